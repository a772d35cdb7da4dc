/**
 * The SDK's generated types are the API's: `client/generated/openapi.ts` must be exactly what
 * `npm run client:generate` makes from createApp()'s OpenAPI document now.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { API_TYPES_PATH, generateApiTypes } from '../../scripts/lib/client-codegen'

describe('client/generated/openapi.ts', () => {
  it('matches the routes (run `npm run client:generate` after changing a route)', async () => {
    const committed = await readFile(API_TYPES_PATH, 'utf8')
    const fresh = await generateApiTypes()
    // Not toEqual on the texts: a 3,000-line diff would drown the instruction.
    expect(
      committed === fresh,
      `${API_TYPES_PATH} is stale: run \`npm run client:generate\` and commit the result`,
    ).toBe(true)
  })
})
