/**
 * `npm run probe [-- --rounds 2]` (with `npm start` running): walks every route of `/openapi.json`
 * the way an attacker would, as a player, a moderator, an admin and a service, and reports every
 * answer of 500 or more (it exits 1 when there is one). Path ids: an upper-cased unknown UUID,
 * `not-a-uuid`, 3,000 characters, `%00`, `-1`, a 20-digit number; lists get a forged cursor,
 * limits out of range, bad dates, NUL text; bodies: `{}`, `null`, `[]`, broken JSON, 3,000 nested
 * arrays, absurd numbers, NUL characters. Each combination is sent several times at once. API_URL
 * overrides http://localhost:8787; tokens come from `npm run token` (NEXUS_DB_PORT as for it).
 *
 * It found, on a running stack, a hang no test had shown: the ban list's refresh was one promise
 * shared by concurrent requests (lib/bans.ts).
 */
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '1' } } })
const api = process.env.API_URL ?? 'http://localhost:8787'

function tokenFor(user: string, role: string): string {
  const out = execFileSync('npx', ['tsx', 'scripts/token.ts', '--user', user, '--role', role], {
    encoding: 'utf8',
  })
  return out.trim().split('\n').pop()!
}

const tokens = {
  player: tokenFor('probe_player', 'player'),
  moderator: tokenFor('probe_moderator', 'moderator'),
  admin: tokenFor('probe_admin', 'admin'),
  service: tokenFor('probe_service', 'service'),
}

const unknownId = () => crypto.randomUUID().toUpperCase()
const pathValues = [
  unknownId,
  () => 'not-a-uuid',
  () => 'x'.repeat(3000),
  () => '%00',
  () => '-1',
  () => '99999999999999999999',
]
const forgedCursor = Buffer.from(
  JSON.stringify({ t: '2026-01-01T00:00:00Z', i: "' OR 1=1" }),
).toString('base64url')
const queries = [
  `?cursor=${forgedCursor}&limit=1000`,
  `?limit=-5&cursor=${'A'.repeat(700)}`,
  '?around=me&period=weekly&period_start=2026-13-45',
  `?q=%00&tags=${','.repeat(500)}`,
  `?user_id=NOT&quest_id=${unknownId()}`,
]
const bodies = [
  '{}',
  'null',
  '[]',
  '{"a":',
  '['.repeat(3000) + ']'.repeat(3000),
  JSON.stringify({
    user_id: unknownId(),
    to_user_id: unknownId(),
    item_id: unknownId(),
    quantity: 1e308,
    amount: 1e20,
    price: -1,
    name: 'x\u0000',
    content: 'hi',
    items: [{ item_id: unknownId(), quantity: 2 ** 40 }],
  }),
  '{"position":{"x":1e309}}',
]

const statuses = new Map<number, number>()
const failures: string[] = []
let sent = 0

async function send(method: string, url: string, token: string, body?: string) {
  sent += 1
  try {
    const response = await fetch(url, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': crypto.randomUUID(),
      },
      body,
      signal: AbortSignal.timeout(20_000),
    })
    const text = await response.text()
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
    if (response.status >= 500) {
      failures.push(
        `${response.status} ${method} ${url.slice(api.length, api.length + 160)} ${text.slice(0, 200)}`,
      )
    }
  } catch (error) {
    failures.push(
      `${method} ${url.slice(api.length, api.length + 160)}: ${(error as Error).message}`,
    )
  }
}

const spec = (await (await fetch(`${api}/openapi.json`)).json()) as {
  paths: Record<string, Record<string, unknown>>
}
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [path, operations] of Object.entries(spec.paths)) {
    // WebSocket entrances answer upgrades only; the room tests cover them.
    if (path.endsWith('/ws') || path.endsWith('/observe')) continue
    for (const method of Object.keys(operations).map((m) => m.toUpperCase())) {
      for (const token of Object.values(tokens)) {
        for (const pathValue of pathValues) {
          const url = api + path.replace(/\{[^}]+\}/g, () => encodeURIComponent(pathValue()))
          await Promise.all(
            method === 'GET' || method === 'DELETE'
              ? queries.map((query) => send(method, url + query, token))
              : bodies.map((body) => send(method, url + queries[0], token, body)),
          )
        }
      }
    }
  }
}

console.log(`${sent} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
for (const failure of failures.slice(0, 50)) console.log(failure)
if (failures.length > 0) {
  console.log(`${failures.length} answers of 500 or more, or no answer`)
  process.exit(1)
}
