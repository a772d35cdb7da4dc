/**
 * `npm start`: the whole system on one machine, with no account and no network.
 *
 * 1. starts the embedded databases and the Neon-compatible proxy (a database whose URL is set in
 *    NEXUS_DATABASE_URL / MEMORY_DATABASE_URL is used as it is instead);
 * 2. migrates and seeds both databases;
 * 3. runs `wrangler dev` on PORT (8787) with the database URLs and the proxy address;
 * 4. prints the URLs, then runs the Worker's scheduled handler on the cadence of wrangler.toml's
 *    crons (wrangler dev never fires them); `--cron-now` also runs each cron once at start;
 * 5. stops everything on Ctrl-C or when wrangler exits.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { MigrationError } from '../db/migrate'
import { ensureDevSecret } from './lib/dev-secret'
import { PortInUseError } from './lib/embedded-postgres'
import { readCronTriggers, startLocalCrons, type LocalCrons } from './lib/local-crons'
import { migrateStack, settingsFromEnv, startLocalStack } from './lib/local-stack'
import { onShutdown } from './lib/process'
import { startWranglerDev, type WranglerDev } from './lib/wrangler-dev'
import { reportMigrations } from './migrate'
import { seedStack } from './seed'

async function main() {
  const { values: flags } = parseArgs({ options: { 'cron-now': { type: 'boolean' } } })
  const settings = settingsFromEnv()
  // Read and checked before anything starts, so a bad cron expression stops nothing half-way.
  const crons = await readCronTriggers('wrangler.toml')
  ensureDevSecret()
  console.log('starting databases…')
  const stack = await startLocalStack(settings)
  let wrangler: WranglerDev | undefined
  let scheduler: LocalCrons | undefined
  const stop = onShutdown(async () => {
    await scheduler?.stop()
    await wrangler?.stop()
    await stack.close()
  })

  try {
    reportMigrations(await migrateStack(stack))
    await seedStack(stack)
    console.log('  seeded reference data')
  } catch (error) {
    console.error(error instanceof MigrationError ? `error: ${error.message}` : error)
    await stop(1)
    return
  }

  const api = `http://localhost:${settings.apiPort}`
  wrangler = startWranglerDev({
    stack,
    port: settings.apiPort,
    persistTo: resolve(settings.dataDir ?? '.data', 'wrangler'),
    testScheduled: true,
  })
  wrangler.ready.then(
    () => {
      console.log(`
BBWorlds NEXUS is running
  API      ${api}
  health   ${api}/health
  docs     ${api}/docs   (OpenAPI: ${api}/openapi.json)
  nexus    psql ${stack.nexusUrl}
  memory   psql ${stack.memoryUrl}
  crons    ${crons.join(', ') || '(none)'} (UTC), run by npm start
Ctrl-C stops everything; data stays in ${settings.dataDir} (npm run db:reset wipes it).
`)
      scheduler = startLocalCrons({
        // wrangler listens on 127.0.0.1 only; "localhost" may resolve to ::1 first.
        baseUrl: `http://127.0.0.1:${settings.apiPort}`,
        crons,
        runNow: flags['cron-now'],
      })
    },
    () => undefined,
  )
  wrangler.child.once('exit', (code) => {
    console.error(`wrangler dev exited (${code ?? 'signal'}); stopping the databases`)
    void stop(code ?? 1)
  })
}

main().catch((error) => {
  console.error(error instanceof PortInUseError ? `error: ${error.message}` : error)
  process.exit(1)
})
