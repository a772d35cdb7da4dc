import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

/**
 * Two projects:
 * - `node`: SQL behaviour, scripts and pure logic, in Node (`test/**\/*.test.ts`).
 * - `workers`: the Worker and its Durable Objects inside workerd (`test/**\/*.workers.test.ts`),
 *   over real embedded databases reached through the Neon driver and the local WebSocket proxy.
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
            miniflare: {
              bindings: {
                NEXUS_DATABASE_URL: inject('nexusUrl'),
                MEMORY_DATABASE_URL: inject('memoryUrl'),
                NEON_WS_PROXY: inject('proxyAddress'),
                AUTH_JWT_SECRET: TEST_JWT_SECRET,
                AUTH_GATEWAY_ISSUER: TEST_GATEWAY_ISSUER,
                AUTH_GATEWAY_AUDIENCE: 'bbworlds-nexus',
                AUTH_JWKS_JSON: inject('gatewayJwks'),
                TEST_GATEWAY_PRIVATE_JWK: inject('gatewayPrivateJwk'),
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
    ],
  },
})
