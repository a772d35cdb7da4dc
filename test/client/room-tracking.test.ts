/**
 * The SDK's room state without a socket: `RoomCodec` resolves `nexus.v2` mover numbers to the
 * players a `welcome` and `enter` named (and refuses numbers outside the wire's range), and
 * `PlayerTracker` applies moves to the snapshot it holds, in place.
 */
import { describe, expect, it } from 'vitest'
import { RoomCodec } from '../../client/room/codec'
import { PlayerTracker } from '../../client/room/players'
import { TickFanout, type RoomEnvelope } from '../../durable-objects/instance-room/fanout'
import type {
  BatchMessage,
  PlayerSnapshot,
  WelcomeMessage,
} from '../../durable-objects/instance-room/protocol'
import { MAX_MOVER_NUMBER, PROTOCOL_V2 } from '../../durable-objects/instance-room/wire'

function player(index: number, number: number): PlayerSnapshot {
  return {
    user_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    number,
    zone: 'center',
    position: { x: 0, y: 0, z: 0 },
    velocity: { x: 0, y: 0, z: 0 },
    rotation: { x: 0, y: 0, z: 0, w: 1 },
    activity: 'idle',
    character: { id: 'c1', name: 'Ada' } as PlayerSnapshot['character'],
  }
}

function welcome(players: PlayerSnapshot[]): WelcomeMessage {
  return {
    type: 'welcome',
    session_id: 's',
    seq: 0,
    you: player(999, 999),
    players,
    environment: {},
    buildings_version: 0,
    companions: [],
  }
}

/** A v2 batch frame with one move of `mover` (by its number) to `x`. */
function moveFrame(seq: number, mover: PlayerSnapshot, x: number): Uint8Array {
  const envelope: RoomEnvelope = {
    event: {
      type: 'move',
      user_id: mover.user_id,
      zone: 'center',
      position: { x, y: 1, z: 2 },
      velocity: mover.velocity,
      rotation: mover.rotation,
      activity: 'moving',
    },
    to: { kind: 'seers', zone: 'center' },
    subject: mover.user_id,
    mover: { kind: 'player', number: mover.number, changes: 0 },
  }
  return new TickFanout(seq, [envelope]).frameFor(
    { userId: 'viewer', zone: 'center' },
    PROTOCOL_V2,
  ) as Uint8Array
}

describe('RoomCodec (nexus.v2 numbers)', () => {
  it('resolves a mover number to the player a welcome named, and forgets it on leave', () => {
    const codec = new RoomCodec()
    codec.opened(PROTOCOL_V2)
    const ada = player(1, 7)
    codec.decode(JSON.stringify(welcome([ada])))
    const batch = codec.decode(moveFrame(1, ada, 3.5)) as BatchMessage
    expect(batch.events).toEqual([expect.objectContaining({ type: 'move', user_id: ada.user_id })])
    expect(batch.events[0]).toMatchObject({ position: { x: 3.5, y: 1, z: 2 } })

    codec.decode(
      JSON.stringify({
        type: 'batch',
        seq: 2,
        events: [{ type: 'leave', user_id: ada.user_id }],
      }),
    )
    expect((codec.decode(moveFrame(3, ada, 4)) as BatchMessage).events).toEqual([])
  })

  it('takes a welcome with numbers outside the wire range and still resolves the valid ones', () => {
    const codec = new RoomCodec()
    codec.opened(PROTOCOL_V2)
    const fine = player(1, MAX_MOVER_NUMBER)
    const odd = [player(2, MAX_MOVER_NUMBER + 1), player(3, -1), player(4, 1.5)]
    codec.decode(JSON.stringify(welcome([fine, ...odd])))
    expect((codec.decode(moveFrame(1, fine, 1)) as BatchMessage).events).toEqual([
      expect.objectContaining({ user_id: fine.user_id }),
    ])
  })
})

describe('RoomCodec with the PlayerTracker of its connection', () => {
  it('applies a mover record to the tracked snapshot as it decodes it, and says so', () => {
    const codec = new RoomCodec()
    const tracker = new PlayerTracker()
    codec.opened(PROTOCOL_V2)
    const message = codec.decode(JSON.stringify(welcome([player(1, 7)]))) as WelcomeMessage
    tracker.reset(message)
    const ada = message.players[0]
    const batch = codec.decode(moveFrame(1, ada, 6.25)) as BatchMessage
    expect(codec.lastBatchApplied).toEqual([true])
    expect(tracker.players.get(ada.user_id)).toMatchObject({
      position: { x: 6.25, y: 1, z: 2 },
      activity: 'moving',
      number: 7,
    })
    expect(batch.events[0]).toMatchObject({ position: { x: 6.25, y: 1, z: 2 } })
    // A JSON message is not a binary batch: nothing of it was applied by the codec.
    codec.decode(JSON.stringify({ type: 'pong', server_time_ms: 1 }))
    expect(codec.lastBatchApplied).toBeNull()
  })
})

describe('PlayerTracker', () => {
  it('applies a move to the snapshot in place, keeping its number and character', () => {
    const tracker = new PlayerTracker()
    const ada = player(1, 7)
    tracker.reset(welcome([ada]))
    const held = tracker.players.get(ada.user_id)!
    const changed = tracker.apply({
      type: 'move',
      user_id: ada.user_id,
      zone: 'north',
      position: { x: 9, y: 0, z: 1 },
      velocity: { x: 1, y: 0, z: 0 },
      rotation: { x: 0, y: 0.7, z: 0, w: 0.7 },
      activity: 'moving',
    })
    expect(changed).toBe(true)
    expect(tracker.players.get(ada.user_id)).toBe(held)
    expect(held).toEqual({
      ...ada,
      zone: 'north',
      position: { x: 9, y: 0, z: 1 },
      velocity: { x: 1, y: 0, z: 0 },
      rotation: { x: 0, y: 0.7, z: 0, w: 0.7 },
      activity: 'moving',
    })
  })

  it('adds a player first seen by a move, without a number or character', () => {
    const tracker = new PlayerTracker()
    tracker.reset(welcome([]))
    const bob = player(2, 8)
    tracker.apply({
      type: 'move',
      user_id: bob.user_id,
      zone: 'center',
      position: bob.position,
      velocity: bob.velocity,
      rotation: bob.rotation,
      activity: 'idle',
    })
    expect(tracker.players.get(bob.user_id)).toMatchObject({ number: 0, character: null })
  })
})
