/**
 * `npm run console:screenshots`: runs the console's scenario (its own databases, `wrangler dev`,
 * two players walking and chatting, Debian's headless Chromium) and writes the screenshots the
 * README shows: docs/console-sign-in.png and docs/console-live.png. Needs `/usr/bin/chromium`.
 */
import { mkdir } from 'node:fs/promises'
import { hasChromium, openInstanceInConsole, startConsoleScenario } from './lib/console-scenario'

if (!hasChromium()) {
  console.error('needs /usr/bin/chromium: apt-get install chromium')
  process.exit(1)
}
await mkdir('docs', { recursive: true })
const scenario = await startConsoleScenario()
try {
  const { page, alice, bob } = scenario
  await page.goto(`${scenario.baseUrl}/console`)
  await page.getByTestId('token-input').waitFor()
  await page.screenshot({ path: 'docs/console-sign-in.png' })
  await alice.room.setEnvironment({ sky_preset: 'sunset', weather: 'clear', time_of_day: '18:30' })
  await openInstanceInConsole(scenario)
  await page.getByText('2 players live').waitFor()
  alice.room.chat('hello from the north-west corner', 'instance')
  bob.room.chat('greetings from the south-east', 'zone')
  alice.room.emote('wave')
  await page.getByTestId('chat-line').nth(2).waitFor()
  await page.locator(`[data-testid=player][data-user-id="${alice.id}"]`).click()
  await page.getByTestId('player-balance').waitFor()
  // Let the walkers move on a little, so the picture shows them mid-stride.
  await page.waitForTimeout(1_500)
  await page.screenshot({ path: 'docs/console-live.png' })
  console.log('wrote docs/console-sign-in.png and docs/console-live.png')
} finally {
  await scenario.close()
}
