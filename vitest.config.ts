import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

/**
 * Three projects:
 * - `node`: SQL behaviour, scripts and pure logic, in Node (`test/**\/*.test.ts`).
 * - `workers`: the Worker and its Durable Objects inside workerd (`test/**\/*.workers.test.ts`),
 *   over real embedded databases reached through the Neon driver and the local WebSocket proxy.
 *   Its Worker is `test/support/test-worker.ts`: the real one plus test-only Durable Object
 *   classes (fault-injecting subclasses) bound as their own namespaces.
 * - `types`: type tests (`test/**\/*.test-d.ts`), checked by tsc through vitest's typecheck mode.
 */
/** Secrets of the test run only (never used elsewhere). */
const TEST_JWT_SECRET = 'test-secret-for-vitest-only-0123456789abcdef'
const TEST_GATEWAY_ISSUER = 'https://gateway.poqpoq.test'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.workers.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            main: './test/support/test-worker.ts',
            miniflare: {
              durableObjects: {
                TEST_INSTANCE_ROOM: { className: 'TestInstanceRoom', useSQLite: true },
                STORAGE_PROBE: { className: 'StorageProbe', useSQLite: true },
              },
              bindings: {
                NEXUS_DATABASE_URL: inject('nexusUrl'),
                MEMORY_DATABASE_URL: inject('memoryUrl'),
                NEON_WS_PROXY: inject('proxyAddress'),
                AUTH_JWT_SECRET: TEST_JWT_SECRET,
                AUTH_GATEWAY_ISSUER: TEST_GATEWAY_ISSUER,
                AUTH_GATEWAY_AUDIENCE: 'bbworlds-nexus',
                AUTH_JWKS_JSON: inject('gatewayJwks'),
                TEST_GATEWAY_PRIVATE_JWK: inject('gatewayPrivateJwk'),
                // The local companion responder streams a word every 3 ms, so a test can leave
                // in the middle of an answer (test/companions).
                COMPANION_LOCAL_CHUNK_DELAY_MS: '3',
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/**/*.workers.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/**/*.test-d.ts'] },
        },
      },
    ],
  },
})
