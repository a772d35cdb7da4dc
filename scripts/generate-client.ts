/**
 * `npm run client:generate`: regenerates the SDK's types (`client/generated/openapi.ts`) from the
 * API's OpenAPI document. Run it after adding or changing a route; `npm test` fails until you do.
 */
import { writeFile } from 'node:fs/promises'
import { API_TYPES_PATH, generateApiTypes } from './lib/client-codegen'

await writeFile(API_TYPES_PATH, await generateApiTypes())
console.log(`wrote ${API_TYPES_PATH}`)
