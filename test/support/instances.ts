/** Helpers for workerd tests of instances and their live rooms. */
import { SELF } from 'cloudflare:test'
import { expect } from 'vitest'
import { api, type Player } from './api'
import { RoomClient } from './room-client'

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

/** Moves in the room and waits until the room has handled it (a ping after it came back). */
export async function roomStep(room: RoomClient, x: number, z = 0) {
  room.send(roomMove(x, z))
  await room.roundTrip()
}
