/**
 * `npm run demo:room` (with `npm start` running): two players join one instance through the SDK
 * (`client/`), move, chat and see each other. Prints what each receives; exits non-zero if they
 * do not. API_URL overrides http://localhost:8787.
 */
import { unwrap } from '../client'
import { registerPlayer } from './lib/room-client'

const baseUrl = process.env.API_URL ?? 'http://localhost:8787'

const alice = await registerPlayer(baseUrl, 'alice')
const bob = await registerPlayer(baseUrl, 'bob')
const instance = unwrap(
  await alice.client.api.POST('/v1/instances', {
    body: { type: 'communal', name: 'Demo plaza', max_visitors: 10, is_public: true },
  }),
)
console.log(`instance ${instance.id} created by ${alice.username}`)

const aliceRoom = alice.client.joinRoom(instance.id)
const bobRoom = bob.client.joinRoom(instance.id)
for (const [name, room] of [
  [alice.username, aliceRoom],
  [bob.username, bobRoom],
] as const) {
  room.on('welcome', (m) => console.log(`${name} <- welcome with ${m.players.length} player(s)`))
  room.on('batch', (m) => console.log(`${name} <- ${JSON.stringify(m).slice(0, 200)}`))
}
await Promise.all([aliceRoom.ready, bobRoom.ready])

const bobSeesAliceMove = bobRoom.next('move', (e) => e.user_id === alice.id)
const bobHearsAlice = bobRoom.next('chat', (e) => e.user_id === alice.id)
const aliceSeesBobMove = aliceRoom.next('move', (e) => e.user_id === bob.id)
aliceRoom.move({ position: { x: 5, y: 0, z: 5 } })
bobRoom.move({ position: { x: -5, y: 0, z: 5 } })
aliceRoom.chat('Hello Bob, welcome to the plaza!', 'instance')

try {
  await Promise.all([bobSeesAliceMove, bobHearsAlice, aliceSeesBobMove])
  console.log(
    `\nboth players saw each other move, and Bob received Alice's chat; ` +
      `Bob has ${bobRoom.players.size} player(s) around him, at ${JSON.stringify(bobRoom.players.get(alice.id)?.position)}`,
  )
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`)
  process.exitCode = 1
} finally {
  aliceRoom.close()
  bobRoom.close()
}
