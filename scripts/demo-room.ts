/**
 * `npm run demo:room` (with `npm start` running): two players join one instance over WebSockets,
 * move, chat and see each other. Prints what each receives; exits non-zero if they do not.
 * API_URL overrides http://localhost:8787.
 */
import { apiCall, moveFrame, registerPlayer, RoomConnection } from './lib/room-client'

const baseUrl = process.env.API_URL ?? 'http://localhost:8787'

const alice = await registerPlayer(baseUrl, 'alice')
const bob = await registerPlayer(baseUrl, 'bob')
const instance = await apiCall(baseUrl, '/v1/instances', {
  token: alice.token,
  body: { type: 'communal', name: 'Demo plaza', max_visitors: 10, is_public: true },
  expect: 201,
})
console.log(`instance ${instance.id} created by ${alice.username}`)

const aliceRoom = await RoomConnection.open(baseUrl, instance.id, alice.token)
const bobRoom = await RoomConnection.open(baseUrl, instance.id, bob.token)
for (const [name, room] of [
  [alice.username, aliceRoom],
  [bob.username, bobRoom],
] as const) {
  room.onMessage = (m) => console.log(`${name} <- ${JSON.stringify(m).slice(0, 200)}`)
  room.send({ type: 'hello' })
}
await aliceRoom.waitFor((m) => m.type === 'welcome')
await bobRoom.waitFor((m) => m.type === 'welcome')

aliceRoom.send(moveFrame(5, 5))
bobRoom.send(moveFrame(-5, 5))
aliceRoom.send({ type: 'chat', text: 'Hello Bob, welcome to the plaza!', scope: 'instance' })

const hasEvent = (type: string, userId: string) => (m: any) =>
  m.type === 'batch' && m.events.some((e: any) => e.type === type && e.user_id === userId)
try {
  await bobRoom.waitFor(hasEvent('move', alice.id))
  await bobRoom.waitFor(hasEvent('chat', alice.id))
  await aliceRoom.waitFor(hasEvent('move', bob.id))
  console.log("\nboth players saw each other move, and Bob received Alice's chat")
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`)
  process.exitCode = 1
} finally {
  aliceRoom.close()
  bobRoom.close()
}
