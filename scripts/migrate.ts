/**
 * `npm run db:migrate`: applies the pending migrations of both databases, at NEXUS_DATABASE_URL and
 * MEMORY_DATABASE_URL (default: the embedded databases of `npm run db`). Safe to run twice. On
 * failure it prints the failing file and the Postgres error and exits non-zero.
 */
import { MigrationError } from '../db/migrate'
import { migrateStack, settingsFromEnv } from './lib/local-stack'

/** The URLs the Node-side tools use: explicit env URLs, else the embedded defaults. */
export function databaseUrls() {
  const s = settingsFromEnv()
  return {
    nexusUrl: s.nexusUrl ?? `postgres://postgres@${s.host}:${s.nexusPort}/postgres`,
    memoryUrl: s.memoryUrl ?? `postgres://postgres@${s.host}:${s.memoryPort}/postgres`,
  }
}

/** Prints what a migration run did. */
export function reportMigrations(results: Awaited<ReturnType<typeof migrateStack>>): void {
  for (const r of results) {
    const applied = r.applied.length ? r.applied.join(', ') : 'nothing new'
    console.log(`  migrated ${r.database}: ${applied} (${r.skipped.length} already applied)`)
  }
}

async function main() {
  reportMigrations(await migrateStack(databaseUrls()))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error instanceof MigrationError ? `error: ${error.message}` : error)
    process.exit(1)
  })
}
