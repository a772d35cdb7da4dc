/**
 * A live world for the console to show, used by the console's browser test and by `npm run
 * console:screenshots`: its own databases and `wrangler dev` (real Worker, real Durable Objects)
 * on a free port, an admin token, two players walking in opposite corners of one instance and
 * chatting, and headless Chromium from Debian (`/usr/bin/chromium`, never a downloaded browser)
 * driven by playwright-core.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { unwrap, type NexusClient, type RoomClient } from '../../client'
import { issueAccessToken } from '../../functions/lib/auth'
import { localTokenConfig } from './dev-secret'
import { migrateStack, startLocalStack, withPgClient, type LocalStack } from './local-stack'
import { registerPlayer } from './room-client'
import { startWranglerDev, type WranglerDev } from './wrangler-dev'

/** Debian's Chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Flags for a headless Chromium that reaches nothing but the page under test. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Where the two scripted players walk: circles around the centres of opposite corner zones. */
export const WALKS = {
  alice: { centre: { x: -100, z: 100 }, zone: 'north_west' },
  bob: { centre: { x: 100, z: -100 }, zone: 'south_east' },
} as const
const WALK_RADIUS_M = 20
const WALK_HZ = 5

/** True when Debian's Chromium is installed. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH)
}

/** A free TCP port on 127.0.0.1 (asked of the OS, then released for wrangler to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** A scripted player: its SDK client, room and name. */
export interface ScriptedPlayer {
  id: string
  username: string
  client: NexusClient
  room: RoomClient
}

/** The running world. */
export interface ConsoleScenario {
  baseUrl: string
  adminToken: string
  instance: { id: string; name: string }
  alice: ScriptedPlayer
  bob: ScriptedPlayer
  browser: Browser
  page: Page
  /** Stops everything it started. */
  close(): Promise<void>
}

/** Starts the world, the players (walking and chatting) and the browser; see the file comment. */
export async function startConsoleScenario(
  options: { port?: number; log?: (line: string) => void } = {},
): Promise<ConsoleScenario> {
  const log = options.log ?? (() => undefined)
  const cleanups: Array<() => Promise<void> | void> = []
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
  try {
    const port = options.port ?? (await freePort())
    const baseUrl = `http://127.0.0.1:${port}`
    const persistDir = await mkdtemp(join(tmpdir(), 'nexus-console-'))
    cleanups.push(() => rm(persistDir, { recursive: true, force: true }))
    const stack: LocalStack = await startLocalStack({
      host: '127.0.0.1',
      nexusPort: 0,
      memoryPort: 0,
      proxyPort: 0,
      apiPort: port,
    })
    cleanups.push(() => stack.close())
    await migrateStack(stack)
    const secret = randomBytes(32).toString('base64url')
    const wrangler: WranglerDev = startWranglerDev({
      stack,
      port,
      persistTo: persistDir,
      vars: { AUTH_JWT_SECRET: secret },
      output: (chunk) => log(chunk.toString()),
    })
    cleanups.push(() => wrangler.stop())
    await wrangler.ready
    log(`wrangler dev ready on ${baseUrl}`)

    const adminToken = await withPgClient(stack.nexusUrl, async (pg) => {
      const { rows } = await pg.query<{ id: string }>(
        `INSERT INTO users (username) VALUES ('console_ops') RETURNING id`,
      )
      const issued = await issueAccessToken(
        { userId: rows[0].id, username: 'console_ops', roles: ['admin'] },
        localTokenConfig(secret),
      )
      return issued.token
    })

    const alicePlayer = await registerPlayer(baseUrl, 'alice')
    const bobPlayer = await registerPlayer(baseUrl, 'bob')
    const instance = unwrap(
      await alicePlayer.client.api.POST('/v1/instances', {
        body: { type: 'communal', name: 'Market square', is_public: true, max_visitors: 20 },
      }),
    )
    const alice = { ...alicePlayer, room: alicePlayer.client.joinRoom(instance.id) }
    const bob = { ...bobPlayer, room: bobPlayer.client.joinRoom(instance.id) }
    cleanups.push(() => {
      alice.room.close()
      bob.room.close()
    })
    await Promise.all([alice.room.ready, bob.room.ready])

    // Some economy to show: both claim their daily reward.
    for (const player of [alice, bob]) {
      await player.client.api.POST('/v1/economy/daily-claim', {})
    }

    const started = Date.now()
    const walker = setInterval(() => {
      const angle = ((Date.now() - started) / 1000) * 0.8
      for (const [player, walk, phase] of [
        [alice, WALKS.alice, 0],
        [bob, WALKS.bob, Math.PI],
      ] as const) {
        player.room.move({
          position: {
            x: walk.centre.x + WALK_RADIUS_M * Math.cos(angle + phase),
            y: 0,
            z: walk.centre.z + WALK_RADIUS_M * Math.sin(angle + phase),
          },
          activity: 'moving',
        })
      }
    }, 1000 / WALK_HZ)
    cleanups.push(() => clearInterval(walker))

    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS })
    cleanups.push(() => browser.close())
    const page = await browser.newPage({ viewport: { width: 1600, height: 940 } })
    page.on('pageerror', (error) => log(`page error: ${error.message}`))
    page.on('console', (message) => log(`page console: ${message.text()}`))
    return {
      baseUrl,
      adminToken,
      instance: { id: instance.id, name: instance.name },
      alice,
      bob,
      browser,
      page,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** Signs the console in with `token` and opens `instanceName`'s live room. */
export async function openInstanceInConsole(
  scenario: ConsoleScenario,
  token: string = scenario.adminToken,
): Promise<void> {
  const { page } = scenario
  await page.goto(`${scenario.baseUrl}/console`)
  await page.getByTestId('token-input').fill(token)
  await page.getByTestId('token-submit').click()
  const row = page.getByTestId('instance-row').filter({ hasText: scenario.instance.name })
  await row.click()
}

/**
 * Where each colour's dot is on the map canvas, as the page draws it: the centroid of the
 * pixels of exactly that colour, in CSS pixels, or null when none is drawn.
 */
export async function dotCentroids(
  page: Page,
  colours: Record<string, [number, number, number]>,
): Promise<Record<string, { px: number; py: number } | null>> {
  return page.evaluate((wanted) => {
    // Runs in the page (this file is typechecked without the DOM library).
    interface Canvas {
      width: number
      height: number
      clientWidth: number
      getContext(kind: '2d'): {
        getImageData(
          x: number,
          y: number,
          w: number,
          h: number,
        ): {
          data: Uint8ClampedArray
          width: number
        }
      }
    }
    const page = globalThis as unknown as { document: { querySelector(s: string): Canvas } }
    const canvas = page.document.querySelector('[data-testid=map]')
    const ratio = canvas.width / canvas.clientWidth
    const { data, width } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
    const result: Record<string, { px: number; py: number } | null> = {}
    for (const [key, [r, g, b]] of Object.entries(wanted)) {
      let count = 0
      let sumX = 0
      let sumY = 0
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) continue
        const pixel = i / 4
        sumX += pixel % width
        sumY += Math.floor(pixel / width)
        count += 1
      }
      result[key] = count === 0 ? null : { px: sumX / count / ratio, py: sumY / count / ratio }
    }
    return result
  }, colours)
}
