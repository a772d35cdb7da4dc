import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  cronSchedule,
  readCronTriggers,
  startLocalCrons,
  triggerScheduled,
} from '../../scripts/lib/local-crons'

/**
 * A stand-in for wrangler dev: records each request's path and `cron` parameter and lets the test
 * answer it (or hold it).
 */
async function startFakeWrangler(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ baseUrl: string; requests: { path: string; cron: string | null }[]; server: Server }> {
  const requests: { path: string; cron: string | null }[] = []
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    requests.push({ path: url.pathname, cron: url.searchParams.get('cron') })
    answer(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { baseUrl: `http://127.0.0.1:${port}`, requests, server }
}

const servers: Server[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe('cronSchedule', () => {
  it('computes the quarter hours of */15 after a given time', () => {
    const runs = cronSchedule('*/15 * * * *').nextRuns(3, new Date('2026-01-01T10:07:30Z'))
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:30:00.000Z',
      '2026-01-01T10:45:00.000Z',
    ])
  })

  it('reads hours in UTC, as Cloudflare does, whatever the local time zone', () => {
    const zone = process.env.TZ
    process.env.TZ = 'America/New_York'
    try {
      const [run] = cronSchedule('0 3 * * *').nextRuns(1, new Date('2026-07-01T00:00:00Z'))
      expect(run.toISOString()).toBe('2026-07-01T03:00:00.000Z')
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })

  it('refuses an expression with seconds (Cloudflare crons have five fields)', () => {
    expect(() => cronSchedule('0 */15 * * * *')).toThrow()
    expect(() => cronSchedule('every quarter hour')).toThrow()
  })
})

describe('readCronTriggers', () => {
  const withConfig = async (toml: string, read: (path: string) => Promise<unknown>) => {
    const dir = await mkdtemp(join(tmpdir(), 'crons-'))
    try {
      await writeFile(join(dir, 'wrangler.toml'), toml)
      return await read(join(dir, 'wrangler.toml'))
    } finally {
      await rm(dir, { recursive: true })
    }
  }

  it('reads the crons of the project wrangler.toml', async () => {
    const crons = await readCronTriggers('wrangler.toml')
    expect(crons.length, JSON.stringify(crons)).toBeGreaterThan(0)
    for (const cron of crons) expect(() => cronSchedule(cron)).not.toThrow()
  })

  it('reads every cron of [triggers] and none from elsewhere', async () => {
    const crons = await withConfig(
      `name = "x"\n[triggers]\ncrons = ["*/15 * * * *", "0 3 * * mon"]\n` +
        `[env.production.triggers]\ncrons = ["0 0 * * *"]\n`,
      readCronTriggers,
    )
    expect(crons).toEqual(['*/15 * * * *', '0 3 * * mon'])
  })

  it('answers no crons for a config without triggers', async () => {
    expect(await withConfig('name = "x"\n', readCronTriggers)).toEqual([])
  })

  it('refuses an invalid expression, naming it', async () => {
    await expect(
      withConfig('[triggers]\ncrons = ["61 * * * *"]\n', readCronTriggers),
    ).rejects.toThrow('"61 * * * *" is not a valid cron expression')
  })
})

describe('triggerScheduled', () => {
  it('asks wrangler dev for /__scheduled with the cron expression', async () => {
    const wrangler = await startFakeWrangler((_, response) => response.end('Ran scheduled event'))
    servers.push(wrangler.server)
    const run = await triggerScheduled(wrangler.baseUrl, '*/15 * * * *')
    expect(run, JSON.stringify(run)).toMatchObject({ cron: '*/15 * * * *', ok: true, status: 200 })
    expect(wrangler.requests).toEqual([{ path: '/__scheduled', cron: '*/15 * * * *' }])
  })

  it('reports a failed handler (wrangler answers 500) as a failed run', async () => {
    const wrangler = await startFakeWrangler((_, response) => {
      response.statusCode = 500
      response.end('Error: boom')
    })
    servers.push(wrangler.server)
    const run = await triggerScheduled(wrangler.baseUrl, '*/15 * * * *')
    expect(run, JSON.stringify(run)).toMatchObject({ ok: false, status: 500 })
  })

  it('reports a wrangler dev that does not answer as a failed run', async () => {
    const wrangler = await startFakeWrangler(() => undefined)
    const { baseUrl } = wrangler
    await new Promise((resolve) => wrangler.server.close(resolve))
    const run = await triggerScheduled(baseUrl, '*/15 * * * *')
    expect(run.ok, JSON.stringify(run)).toBe(false)
    expect(run.status, JSON.stringify(run)).toBeUndefined()
    expect(run.error, JSON.stringify(run)).toBe('fetch failed: ECONNREFUSED')
  })
})

describe('startLocalCrons', () => {
  it('fires the scheduled handler at each time of the schedule, logging each run', async () => {
    vi.useFakeTimers({
      now: new Date('2026-01-01T10:07:30Z'),
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
    })
    const calls: string[] = []
    const fakeFetch = (async (url: URL) => {
      calls.push(`${new Date().toISOString()} ${url.searchParams.get('cron')}`)
      return new Response('Ran scheduled event')
    }) as unknown as typeof fetch
    const lines: string[] = []
    const crons = startLocalCrons({
      baseUrl: 'http://127.0.0.1:1',
      crons: ['*/15 * * * *'],
      fetch: fakeFetch,
      log: (line) => lines.push(line),
    })
    try {
      expect(lines).toEqual(['[cron] */15 * * * *: next scheduled run at 2026-01-01T10:15:00.000Z'])
      await vi.advanceTimersByTimeAsync(7.5 * 60_000 - 1_000)
      expect(calls).toEqual([])
      await vi.advanceTimersByTimeAsync(2_000 + 15 * 60_000)
      expect(calls).toEqual([
        '2026-01-01T10:15:00.000Z */15 * * * *',
        '2026-01-01T10:30:00.000Z */15 * * * *',
      ])
      expect(lines.slice(1), JSON.stringify(lines)).toEqual([
        expect.stringMatching(
          /^\[cron\] \*\/15 \* \* \* \*: scheduled handler ok in \d+ ms; next at 2026-01-01T10:30:00.000Z$/,
        ),
        expect.stringMatching(/ok in \d+ ms; next at 2026-01-01T10:45:00.000Z$/),
      ])
    } finally {
      await crons.stop()
    }
  })

  it('runs each cron once at start with runNow, against a real HTTP server', async () => {
    const wrangler = await startFakeWrangler((_, response) => response.end('Ran scheduled event'))
    servers.push(wrangler.server)
    const lines: string[] = []
    const logged = new Promise<void>((resolve) => {
      const crons = startLocalCrons({
        baseUrl: wrangler.baseUrl,
        crons: ['*/15 * * * *', '0 3 * * *'],
        runNow: true,
        log: (line) => {
          lines.push(line)
          if (lines.filter((l) => l.includes('scheduled handler')).length === 2) {
            void crons.stop().then(resolve)
          }
        },
      })
    })
    await logged
    expect(wrangler.requests.map((r) => r.cron).sort()).toEqual(['*/15 * * * *', '0 3 * * *'])
    expect(
      lines.filter((l) => l.includes('scheduled handler ok')),
      JSON.stringify(lines),
    ).toHaveLength(2)
  })

  it('stops while a run is in flight: stop() resolves and logs no failure', async () => {
    let received!: () => void
    const requestArrived = new Promise<void>((resolve) => (received = resolve))
    // Holds every request open, like a scheduled handler that takes long.
    const wrangler = await startFakeWrangler(() => received())
    servers.push(wrangler.server)
    const lines: string[] = []
    const crons = startLocalCrons({
      baseUrl: wrangler.baseUrl,
      crons: ['*/15 * * * *'],
      runNow: true,
      log: (line) => lines.push(line),
    })
    await requestArrived
    await crons.stop()
    expect(
      lines.filter((l) => l.includes('scheduled handler')),
      JSON.stringify(lines),
    ).toEqual([])
  })
})
