/**
 * Cron triggers for `npm start`. `wrangler dev` never fires a Worker's crons, so housekeeping and
 * memory compression would never run locally. This runs the Worker's scheduled handler on the
 * cadence of `[triggers] crons` in wrangler.toml, in UTC as Cloudflare does, by asking wrangler dev
 * (started with `--test-scheduled`) for `/__scheduled?cron=<expression>`: the handler then sees
 * the same `controller.cron` as under a real trigger.
 */
import { readFile } from 'node:fs/promises'
import { Cron } from 'croner'
import { parse } from 'smol-toml'

/** Cloudflare's cron triggers have five fields (minute precision) and run in UTC. */
const CLOUDFLARE_CRON = { timezone: 'UTC', mode: '5-part' } as const

/** The schedule of a cron expression, in UTC; throws on an expression Cloudflare would refuse. */
export function cronSchedule(expression: string): Cron {
  return new Cron(expression, { ...CLOUDFLARE_CRON, paused: true })
}

/** Reads and checks `[triggers] crons` of a wrangler config file (empty when there are none). */
export async function readCronTriggers(configPath = 'wrangler.toml'): Promise<string[]> {
  const config = parse(await readFile(configPath, 'utf8')) as { triggers?: { crons?: unknown } }
  const crons = config.triggers?.crons ?? []
  if (!Array.isArray(crons) || !crons.every((c): c is string => typeof c === 'string')) {
    throw new Error(`${configPath}: [triggers] crons must be a list of strings`)
  }
  for (const cron of crons) {
    try {
      cronSchedule(cron)
    } catch (error) {
      throw new Error(`${configPath}: "${cron}" is not a valid cron expression (${error})`)
    }
  }
  return crons
}

/** The outcome of one scheduled run. */
export interface ScheduledRun {
  cron: string
  ok: boolean
  /** HTTP status of wrangler dev's answer; undefined when it did not answer. */
  status?: number
  /** Why the run failed when wrangler dev did not answer. */
  error?: string
  ms: number
}

/**
 * Runs the Worker's scheduled handler once for `cron`, through `/__scheduled` of the wrangler dev
 * at `baseUrl`. A handler that throws makes wrangler answer 500: the run is not ok.
 */
export async function triggerScheduled(
  baseUrl: string,
  cron: string,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<ScheduledRun> {
  const url = new URL('/__scheduled', baseUrl)
  url.searchParams.set('cron', cron)
  const started = Date.now()
  try {
    const response = await (options.fetch ?? fetch)(url, { signal: options.signal })
    await response.body?.cancel()
    return { cron, ok: response.ok, status: response.status, ms: Date.now() - started }
  } catch (error) {
    if (options.signal?.aborted) throw error
    // fetch's own message is "fetch failed"; the cause says why (ECONNREFUSED, ...).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    const reason = error instanceof Error ? error.message : String(error)
    const detail = cause?.code ?? cause?.message
    return {
      cron,
      ok: false,
      error: detail ? `${reason}: ${detail}` : reason,
      ms: Date.now() - started,
    }
  }
}

/** One line saying how a run went, for the developer's terminal. */
export function describeRun(run: ScheduledRun, next: Date | null): string {
  const outcome = run.ok
    ? 'ok'
    : run.status !== undefined
      ? `failed (HTTP ${run.status}; the Worker's log above says why)`
      : `failed (${run.error})`
  const nextRun = next ? `; next at ${next.toISOString()}` : ''
  return `[cron] ${run.cron}: scheduled handler ${outcome} in ${run.ms} ms${nextRun}`
}

/** Running cron triggers. */
export interface LocalCrons {
  /** Stops the schedules and abandons a run in flight; resolves once nothing runs. */
  stop(): Promise<void>
}

/**
 * Fires each of `crons` on its schedule against the wrangler dev at `baseUrl`, logging every run.
 * A run still going when its next time comes is not overlapped: that time is skipped and logged.
 * `runNow` also runs each cron once at start (`npm start -- --cron-now`).
 */
export function startLocalCrons(options: {
  baseUrl: string
  crons: readonly string[]
  runNow?: boolean
  fetch?: typeof fetch
  log?: (line: string) => void
}): LocalCrons {
  const log = options.log ?? ((line) => console.log(line))
  const abort = new AbortController()
  const inFlight = new Set<Promise<void>>()

  const run = (cron: string, job: Cron) => {
    const done = triggerScheduled(options.baseUrl, cron, {
      fetch: options.fetch,
      signal: abort.signal,
    }).then(
      (result) => log(describeRun(result, job.nextRun())),
      // Only an abort rejects, and only stop() aborts: the shutdown needs no line per cron.
      () => undefined,
    )
    inFlight.add(done)
    return done.finally(() => inFlight.delete(done))
  }

  const jobs = options.crons.map((cron) => {
    const job = new Cron(
      cron,
      {
        ...CLOUDFLARE_CRON,
        protect: () => log(`[cron] ${cron}: skipped, the previous run is still going`),
      },
      (self: Cron) => run(cron, self),
    )
    log(`[cron] ${cron}: next scheduled run at ${job.nextRun()?.toISOString() ?? 'never'}`)
    return job
  })
  // trigger() runs under the same overlap protection as a scheduled time.
  if (options.runNow) for (const job of jobs) void job.trigger()

  return {
    async stop() {
      for (const job of jobs) job.stop()
      abort.abort()
      await Promise.allSettled([...inFlight])
    },
  }
}
