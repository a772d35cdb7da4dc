/** Helpers for workerd tests of instances and their live rooms. */
import { SELF } from 'cloudflare:test'
import { expect } from 'vitest'
import { RoomGateway } from '../../functions/instances/room-gateway'
import { createLogger } from '../../functions/lib/logger'
import { api, testEnv, type Player } from './api'
import { RoomClient, sleep } from './room-client'

/** Creates an instance owned by `owner`; the body overrides the defaults. */
export async function createInstance(owner: Player, body: Record<string, unknown> = {}) {
  const res = await api('/v1/instances', {
    token: owner.token,
    body: { type: 'communal', name: 'Market square', ...body },
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; [key: string]: any }
}

/**
 * Opens the live room through the Worker's entrance (`path` is the instance id as the client
 * spells it), says hello and waits for the welcome.
 */
export async function enterRoom(player: Player, instanceId: string) {
  const res = await SELF.fetch(`http://nexus.test/v1/instances/${instanceId}/ws`, {
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': `nexus.v1, bearer.${player.token}` },
  })
  expect(res.status, res.status === 101 ? '' : await res.text()).toBe(101)
  expect(res.headers.get('Sec-WebSocket-Protocol')).toBe('nexus.v1')
  const ws = res.webSocket!
  ws.accept()
  const client = new RoomClient(ws)
  await client.greet()
  return client
}

/** A `move` frame of the instance room at (x, z) on the ground. */
export const roomMove = (x: number, z = 0) => ({
  type: 'move',
  position: { x, y: 0, z },
  velocity: { x: 0, y: 0, z: 0 },
  rotation: { x: 0, y: 0, z: 0, w: 1 },
  activity: 'moving',
})

/**
 * Moves `userId` in the room of `instanceId` and waits until the room has accepted the position
 * (asked over RPC) or refused the move. (The test pool may start a socket's handlers out of order,
 * so a ping is no marker for a move.)
 */
export async function roomStep(
  room: RoomClient,
  instanceId: string,
  userId: string,
  x: number,
  z = 0,
) {
  const refusals = () => room.received.filter((f) => f.code === 'implausible_move').length
  const before = refusals()
  room.send(roomMove(x, z))
  const rooms = new RoomGateway(testEnv.INSTANCE_ROOM, createLogger())
  const deadline = Date.now() + 3_000
  for (;;) {
    if (refusals() > before) return
    const accepted = await rooms.acceptedPosition(instanceId, userId)
    if (accepted?.position.x === x && accepted.position.z === z) return
    if (Date.now() > deadline) throw new Error(`the room never answered a move to (${x}, ${z})`)
    await sleep(10)
  }
}
