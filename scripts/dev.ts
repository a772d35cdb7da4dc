/**
 * `npm start`: the whole system on one machine, with no account and no network.
 *
 * 1. starts the embedded databases and the Neon-compatible proxy (a database whose URL is set in
 *    NEXUS_DATABASE_URL / MEMORY_DATABASE_URL is used as it is instead);
 * 2. migrates and seeds both databases;
 * 3. runs `wrangler dev` on PORT (8787) with the database URLs and the proxy address;
 * 4. prints the URLs, and stops everything on Ctrl-C or when wrangler exits.
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { MigrationError } from '../db/migrate'
import { ensureDevSecret } from './lib/dev-secret'
import { PortInUseError } from './lib/embedded-postgres'
import { migrateStack, settingsFromEnv, startLocalStack } from './lib/local-stack'
import { onShutdown } from './lib/process'
import { reportMigrations } from './migrate'
import { seedStack } from './seed'

async function main() {
  const settings = settingsFromEnv()
  ensureDevSecret()
  console.log('starting databases…')
  const stack = await startLocalStack(settings)
  let wrangler: ReturnType<typeof spawn> | undefined
  const stop = onShutdown(async () => {
    if (wrangler && wrangler.exitCode === null) {
      wrangler.kill('SIGTERM')
      await new Promise((done) => wrangler!.once('exit', done))
    }
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
  wrangler = spawn(
    process.execPath,
    [
      resolve('node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--port',
      String(settings.apiPort),
      '--ip',
      '127.0.0.1',
      '--persist-to',
      resolve(settings.dataDir ?? '.data', 'wrangler'),
      '--show-interactive-dev-session=false',
      '--var',
      `NEXUS_DATABASE_URL:${stack.nexusUrl}`,
      '--var',
      `MEMORY_DATABASE_URL:${stack.memoryUrl}`,
      '--var',
      `NEON_WS_PROXY:${stack.proxyAddress}`,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' },
    },
  )
  let announced = false
  wrangler.stdout!.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk)
    if (!announced && chunk.toString().includes('Ready on')) {
      announced = true
      console.log(`
BBWorlds NEXUS is running
  API      ${api}
  health   ${api}/health
  docs     ${api}/docs   (OpenAPI: ${api}/openapi.json)
  nexus    psql ${stack.nexusUrl}
  memory   psql ${stack.memoryUrl}
Ctrl-C stops everything; data stays in ${settings.dataDir} (npm run db:reset wipes it).
`)
    }
  })
  wrangler.once('exit', (code) => {
    console.error(`wrangler dev exited (${code ?? 'signal'}); stopping the databases`)
    void stop(code ?? 1)
  })
}

main().catch((error) => {
  console.error(error instanceof PortInUseError ? `error: ${error.message}` : error)
  process.exit(1)
})
