/**
 * `npm run db`: the embedded databases (nexus on 54320, memory on 54321, persisted under .data/)
 * and the Neon-compatible WebSocket proxy (54330), until Ctrl-C. Ports: NEXUS_DB_PORT,
 * MEMORY_DB_PORT, DB_PROXY_PORT; data directory: DATA_DIR.
 */
import { PortInUseError } from './lib/embedded-postgres'
import { settingsFromEnv, startLocalStack, type LocalStack } from './lib/local-stack'
import { onShutdown } from './lib/process'

/** Prints the addresses of a running stack. */
export function printStack(stack: LocalStack): void {
  console.log(`  nexus  database  ${stack.nexusUrl}`)
  console.log(`  memory database  ${stack.memoryUrl}`)
  console.log(`  Neon WebSocket proxy  ws://${stack.proxyAddress}/v2?address=<host>:<port>`)
  console.log(`  psql: psql ${stack.nexusUrl}`)
}

async function main() {
  const settings = settingsFromEnv()
  const stack = await startLocalStack(settings)
  console.log(`embedded databases ready (data in ${settings.dataDir})`)
  printStack(stack)
  onShutdown(() => stack.close())
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error instanceof PortInUseError ? `error: ${error.message}` : error)
    process.exit(1)
  })
}
