/**
 * The instance room's opt-in speed limit (`custom_properties.max_speed_mps`) and its accepted
 * positions over RPC, through the real Worker entrance.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { RoomGateway } from '../../functions/instances/room-gateway'
import { createLogger } from '../../functions/lib/logger'
import { api, registerPlayer, testEnv, type Player } from '../support/api'
import { createInstance, enterRoom } from '../support/instances'
import type { RoomClient } from '../support/room-client'

const gateway = new RoomGateway(testEnv.INSTANCE_ROOM, createLogger())

let player: Player

beforeAll(async () => {
  player = await registerPlayer('speed')
})

const move = (x: number, z = 0) => ({
  type: 'move',
  position: { x, y: 0, z },
  velocity: { x: 0, y: 0, z: 0 },
  rotation: { x: 0, y: 0, z: 0, w: 1 },
  activity: 'moving',
})

async function step(room: RoomClient, x: number, z = 0) {
  room.send(move(x, z))
  await room.roundTrip()
}

describe('the instance room’s speed limit', () => {
  it('refuses a move farther than the limit allows and keeps the player where they were', async () => {
    const instance = await createInstance(player, {
      metadata: { custom_properties: { max_speed_mps: 5 } },
    })
    const room = await enterRoom(player, instance.id)
    await step(room, 4)
    room.send(move(40, 40))
    const refused = await room.waitFor((f) => f.code === 'implausible_move', 'refusal')
    expect(refused.position).toMatchObject({ x: 4, z: 0 })
    await room.roundTrip()
    expect(room.events().some((e) => e.type === 'move' && e.position.x === 40)).toBe(false)
    const accepted = await gateway.acceptedPosition(instance.id, player.id)
    expect(accepted).toMatchObject({
      connected: true,
      position: { x: 4, y: 0, z: 0 },
      max_speed_mps: 5,
    })
    room.close()
  })

  it('accepts any position in an instance without a limit, as before', async () => {
    const instance = await createInstance(player)
    const room = await enterRoom(player, instance.id)
    await step(room, 100, 100)
    expect(room.received.some((f) => f.code === 'implausible_move')).toBe(false)
    expect(await gateway.acceptedPosition(instance.id, player.id)).toMatchObject({
      position: { x: 100, z: 100 },
      max_speed_mps: null,
    })
    expect(await gateway.acceptedPosition(instance.id, crypto.randomUUID())).toBeNull()
    room.close()
  })

  it('refuses an invalid limit in the instance metadata (400)', async () => {
    const res = await api('/v1/instances', {
      token: player.token,
      body: { type: 'communal', name: 'x', metadata: { custom_properties: { max_speed_mps: -1 } } },
    })
    expect(res.status, res.text).toBe(400)
  })
})
