/** `npm run db:reset`: deletes the embedded databases' data directory (DATA_DIR, default .data). */
import { rm } from 'node:fs/promises'
import { settingsFromEnv } from './lib/local-stack'

const { dataDir } = settingsFromEnv()
if (!dataDir) throw new Error('no data directory configured')
await rm(dataDir, { recursive: true, force: true })
console.log(`removed ${dataDir}; the next npm start creates, migrates and seeds fresh databases`)
