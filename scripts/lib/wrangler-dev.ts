/**
 * Runs `wrangler dev` as a child process against a local database stack (used by `npm start` and
 * the room benchmark), and tells when it is ready.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import type { LocalStack } from './local-stack'

/** A running `wrangler dev`. */
export interface WranglerDev {
  child: ChildProcess
  /** Resolves when wrangler prints "Ready on". */
  ready: Promise<void>
  /** Stops wrangler and waits for it to exit. */
  stop(): Promise<void>
}

/** Starts `wrangler dev` on `port` with the stack's database URLs and proxy address as vars. */
export function startWranglerDev(options: {
  stack: Pick<LocalStack, 'nexusUrl' | 'memoryUrl' | 'proxyAddress'>
  port: number
  persistTo: string
  config?: string
  /** Extra `--var NAME:value` pairs. */
  vars?: Record<string, string>
  /** Serves `/__scheduled?cron=…`, which runs the scheduled handler (`--test-scheduled`). */
  testScheduled?: boolean
  /** Receives wrangler's standard output (default: this process's stdout). */
  output?: (chunk: Buffer) => void
}): WranglerDev {
  const vars = {
    NEXUS_DATABASE_URL: options.stack.nexusUrl,
    MEMORY_DATABASE_URL: options.stack.memoryUrl,
    NEON_WS_PROXY: options.stack.proxyAddress,
    ...options.vars,
  }
  const child = spawn(
    process.execPath,
    [
      resolve('node_modules/wrangler/bin/wrangler.js'),
      'dev',
      ...(options.config ? ['--config', options.config] : []),
      '--port',
      String(options.port),
      '--ip',
      '127.0.0.1',
      '--persist-to',
      options.persistTo,
      '--show-interactive-dev-session=false',
      ...(options.testScheduled ? ['--test-scheduled'] : []),
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' },
    },
  )
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      ;(options.output ?? ((c) => process.stdout.write(c)))(chunk)
      if (chunk.toString().includes('Ready on')) resolveReady()
    })
    child.once('exit', (code) =>
      reject(new Error(`wrangler dev exited (${code}) before it was ready`)),
    )
  })
  return {
    child,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((done) => child.once('exit', done))
      child.kill('SIGTERM')
      await exited
    },
  }
}
