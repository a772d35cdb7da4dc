import { defineConfig } from 'vitest/config'

/**
 * Two projects:
 * - `node`: SQL behaviour, scripts and pure logic, in Node (`test/**\/*.test.ts`).
 * - `workers`: the Worker and its Durable Objects inside workerd (`test/**\/*.workers.test.ts`).
 */
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
    ],
  },
})
