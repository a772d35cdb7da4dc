/** Process helpers for the long-running scripts. */

/**
 * Runs `cleanup` once on SIGINT/SIGTERM (or when `trigger` is called), then exits with `code`.
 * A second Ctrl-C during cleanup exits at once.
 */
export function onShutdown(cleanup: () => Promise<void>): (code?: number) => Promise<void> {
  let stopping = false
  const stop = async (code = 0) => {
    if (stopping) process.exit(code || 130)
    stopping = true
    try {
      await cleanup()
    } catch (error) {
      console.error('error during shutdown:', error)
      code = code || 1
    }
    process.exit(code)
  }
  process.on('SIGINT', () => void stop(0))
  process.on('SIGTERM', () => void stop(0))
  return stop
}
