/**
 * `npm run console:build`: bundles the console's browser script (functions/console/ui/ and the SDK)
 * into functions/console/bundle.generated.ts. Run it after changing either; `npm test` fails until
 * you do.
 */
import { writeFile } from 'node:fs/promises'
import { buildConsoleBundle, CONSOLE_BUNDLE_PATH } from './lib/console-bundle'

const text = await buildConsoleBundle()
await writeFile(CONSOLE_BUNDLE_PATH, text)
console.log(`wrote ${CONSOLE_BUNDLE_PATH} (${Math.round(text.length / 1024)} KB)`)
