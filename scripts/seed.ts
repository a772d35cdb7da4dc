/**
 * `npm run db:seed`: idempotent reference data (deities, blessings, assets, challenge templates,
 * memory tiers, schema versions) for both databases. Running it twice changes nothing.
 */
import { seedMemory, seedNexus } from '../db/seed'
import { withPgClient } from './lib/local-stack'
import { databaseUrls } from './migrate'

/** Seeds both databases at `urls`. */
export async function seedStack(urls: { nexusUrl: string; memoryUrl: string }): Promise<void> {
  await withPgClient(urls.nexusUrl, (c) => seedNexus(c))
  await withPgClient(urls.memoryUrl, (c) => seedMemory(c))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  seedStack(databaseUrls())
    .then(() => console.log('  seeded reference data'))
    .catch((error) => {
      console.error(error)
      process.exit(1)
    })
}
