/**
 * The instance room's opt-in speed limit (`custom_properties.max_speed_mps`) and its accepted
 * positions over RPC, through the real Worker entrance.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { RoomGateway } from '../../functions/instances/room-gateway'
import { createLogger } from '../../functions/lib/logger'
import { api, registerPlayer, testEnv, type Player } from '../support/api'
import { createInstance, enterRoom, roomMove, roomStep } from '../support/instances'

const gateway = new RoomGateway(testEnv.INSTANCE_ROOM, createLogger())

let player: Player

beforeAll(async () => {
  player = await registerPlayer('speed')
})

describe('the instance room’s speed limit', () => {
  it('refuses a move farther than the limit allows and keeps the player where they were', async () => {
    const instance = await createInstance(player, {
      metadata: { custom_properties: { max_speed_mps: 5 } },
    })
    const room = await enterRoom(player, instance.id)
    await roomStep(room, instance.id, player.id, 4)
    room.send(roomMove(40, 40))
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
    await roomStep(room, instance.id, player.id, 100, 100)
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
