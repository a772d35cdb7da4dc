/**
 * The console in a real browser: headless Chromium from Debian opens `/console` on a real
 * `wrangler dev` (real Worker, real Durable Objects, its own databases) while two scripted players
 * walk in opposite corners of one instance and chat, and checks what a person would see: both
 * dots on the map in the right zones and moving, their chat lines, the live count, the
 * environment, a player's balance and the economy's latest transactions.
 *
 * Needs `/usr/bin/chromium` (`apt-get install chromium`; `.ci/run` installs it). Without it the
 * suite is skipped with one line, except under CI, where it fails.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { zoneOf } from '../../durable-objects/instance-room/zones'
import { canvasToWorld, colorOf } from '../../functions/console/ui/geometry'
import {
  dotCentroids,
  hasChromium,
  openInstanceInConsole,
  startConsoleScenario,
  WALKS,
  type ConsoleScenario,
} from '../../scripts/lib/console-scenario'

const DEFAULT_BOUNDS = { min_x: -150, max_x: 150, min_z: -150, max_z: 150 }
const runs = hasChromium() || process.env.CI !== undefined
if (!runs)
  console.log(
    'console browser test skipped: /usr/bin/chromium is missing (apt-get install chromium)',
  )

describe.runIf(runs)('the console in headless Chromium', () => {
  let scenario: ConsoleScenario
  const logLines: string[] = []

  beforeAll(async () => {
    scenario = await startConsoleScenario({ log: (line) => logLines.push(line) })
    await scenario.alice.room.setEnvironment({ weather: 'rain', time_of_day: '18:30' })
    await openInstanceInConsole(scenario)
  }, 180_000)

  afterAll(async () => {
    await scenario?.close()
  }, 60_000)

  it('counts the two players live, in the room header and in the instance list', async () => {
    const { page } = scenario
    await expect
      .poll(() => page.getByTestId('live-count').textContent(), { timeout: 20_000 })
      .toBe('2 players live')
    const row = page.getByTestId('instance-row').filter({ hasText: scenario.instance.name })
    await expect
      .poll(() => row.getByTestId('instance-live').textContent(), { timeout: 20_000 })
      .toBe('2')
  })

  it('draws both dots in their zones on the map, and they move', async () => {
    const { page, alice, bob } = scenario
    const colours = { alice: colorOf(alice.id), bob: colorOf(bob.id) }
    const zonesOf = (dots: Record<string, { px: number; py: number } | null>) =>
      Object.fromEntries(
        Object.entries(dots).map(([who, dot]) => [
          who,
          dot && zoneOf(canvasToWorld(DEFAULT_BOUNDS, dot.px, dot.py)),
        ]),
      )
    await expect
      .poll(async () => zonesOf(await dotCentroids(page, colours)), { timeout: 20_000 })
      .toEqual({ alice: WALKS.alice.zone, bob: WALKS.bob.zone })
    const first = await dotCentroids(page, colours)
    // Walking at 0.8 rad/s on a 20 m circle (40 px on this map): a second later both moved.
    await expect
      .poll(
        async () => {
          const now = await dotCentroids(page, colours)
          return (['alice', 'bob'] as const).map(
            (who) => Math.hypot(now[who]!.px - first[who]!.px, now[who]!.py - first[who]!.py) > 3,
          )
        },
        { timeout: 10_000 },
      )
      .toEqual([true, true])
    expect(zonesOf(await dotCentroids(page, colours))).toEqual({
      alice: WALKS.alice.zone,
      bob: WALKS.bob.zone,
    })
    const listed = await page
      .getByTestId('player')
      .evaluateAll((items) =>
        items.map((item) => [item.getAttribute('data-user-id'), item.getAttribute('data-zone')]),
      )
    expect(Object.fromEntries(listed)).toEqual({
      [alice.id]: WALKS.alice.zone,
      [bob.id]: WALKS.bob.zone,
    })
  })

  it('shows the chat lines as they are said, with who said them', async () => {
    const { page, alice, bob } = scenario
    alice.room.chat('hello from the north-west corner', 'instance')
    bob.room.chat('greetings from the south-east', 'zone')
    const lines = page.getByTestId('chat-line')
    await expect
      .poll(() => lines.allTextContents(), { timeout: 20_000 })
      .toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`${alice.username}.*hello from the north-west corner`)),
          expect.stringMatching(new RegExp(`${bob.username}.*greetings from the south-east`)),
        ]),
      )
  })

  it('shows the environment the players set', async () => {
    await expect
      .poll(() => scenario.page.getByTestId('environment').textContent(), { timeout: 20_000 })
      .toMatch(/weather\s*rain.*time_of_day\s*18:30|time_of_day\s*18:30.*weather\s*rain/s)
  })

  it("opens a player's detail with the balance, and lists the economy's latest transactions", async () => {
    const { page, alice } = scenario
    await page.locator(`[data-testid=player][data-user-id="${alice.id}"]`).click()
    // 100 starting tokens and the daily reward of the first day (10).
    await expect
      .poll(() => page.getByTestId('player-balance').textContent(), { timeout: 20_000 })
      .toMatch(/^110 tokens/)
    await expect
      .poll(() => page.locator('#economy [data-testid=transaction]').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2)
  })

  it('runs the SDK README example: two players see each other', async () => {
    const example = await readFile('client/examples/two-players.ts', 'utf8')
    expect(await readFile('client/README.md', 'utf8')).toContain('```ts\n' + example + '```')
    const { stdout } = await promisify(execFile)(
      'node_modules/.bin/tsx',
      ['client/examples/two-players.ts'],
      { env: { ...process.env, API_URL: scenario.baseUrl }, timeout: 60_000 },
    )
    expect(stdout).toMatch(/^Bob sees Alice at \{ x: 5, y: 0, z: 5 \} \(1 around him\)$/m)
  }, 90_000)
})
