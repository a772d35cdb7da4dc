import WebSocket from 'ws' // Node 20 only: browsers and Node 22+ have a global WebSocket
import { NexusClient, unwrap } from '../index'

const baseUrl = process.env.API_URL ?? 'http://localhost:8787'
const alice = new NexusClient({ baseUrl, WebSocket })
const bob = new NexusClient({ baseUrl, WebSocket })
await alice.register(`alice_${Date.now()}`, 'a long password')
await bob.register(`bob_${Date.now()}`, 'a long password')
const body = { type: 'communal', name: 'Plaza' } as const
const plaza = unwrap(await alice.api.POST('/v1/instances', { body }))

const aliceRoom = alice.joinRoom(plaza.id)
const bobRoom = bob.joinRoom(plaza.id)
await Promise.all([aliceRoom.ready, bobRoom.ready])
const seen = bobRoom.next('move') // the next move Bob sees
aliceRoom.move({ position: { x: 5, y: 0, z: 5 } })
console.log('Bob sees Alice at', (await seen).position, `(${bobRoom.players.size} around him)`)
aliceRoom.close()
bobRoom.close()
