import { describe, expect, it } from 'vitest'
import { api, registerPlayer } from '../support/api'
import { createCompanion, say, startConversation } from '../support/companions'
import { createInstance, enterRoom, roomStep } from '../support/instances'

describe('tool commands of a companion', () => {
  it('change the sky of the live room the player is in, for everyone there', async () => {
    const owner = await registerPlayer('toolown')
    const guest = await registerPlayer('toolgst')
    const instance = await createInstance(owner)
    const companion = await createCompanion(owner)
    const conversation = await startConversation(owner, companion.id)
    const ownerRoom = await enterRoom(owner, instance.id)
    const guestRoom = await enterRoom(guest, instance.id)
    const res = await say(owner, conversation.id, 'Please change the sky to sunset', {
      instance_id: instance.id.toUpperCase(),
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.assistant_message.content).toContain("#setSky:'sunset'")
    expect(res.body.assistant_message.tool_commands).toEqual([
      {
        tool: 'setSky',
        args: 'sunset',
        status: 'applied',
        reason: null,
        message: null,
        instance_id: instance.id,
      },
    ])
    const env = await guestRoom.waitForEvent(
      (e) => e.type === 'env' && e.environment.sky_preset === 'sunset',
      'the sky set by the companion',
    )
    expect(env.environment.last_changed_by).toBe(owner.id)
    // The companion remembers what it did.
    const memories = await api(`/v1/memory/companions/${companion.id}/memories`, {
      token: owner.token,
    })
    expect(memories.body.items.map((m: any) => m.content)).toContain(
      'I set the sky to sunset for you.',
    )
    ownerRoom.close()
    guestRoom.close()
  })

  it('finds the room from the open session when no instance is named', async () => {
    const owner = await registerPlayer('toolses')
    const instance = await createInstance(owner)
    const companion = await createCompanion(owner)
    const conversation = await startConversation(owner, companion.id)
    const room = await enterRoom(owner, instance.id)
    // Not yet in active_sessions (the room syncs within 30 s): refused, and recorded.
    const early = await say(owner, conversation.id, "#setWeather:'rain'")
    expect(early.body.assistant_message.tool_commands[0]).toMatchObject({
      status: 'refused',
      reason: 'not_in_instance',
    })
    room.close()
  })

  it('are refused and recorded: no permission, not connected, invalid value, unknown tool', async () => {
    const owner = await registerPlayer('toolref')
    const visitor = await registerPlayer('toolvis')
    const instance = await createInstance(owner)
    const companion = await createCompanion(visitor)
    const conversation = await startConversation(visitor, companion.id)

    const absent = await say(visitor, conversation.id, "#setSky:'night'", {
      instance_id: instance.id,
    })
    expect(absent.body.assistant_message.tool_commands[0]).toMatchObject({
      status: 'refused',
      reason: 'not_in_instance',
    })

    const room = await enterRoom(visitor, instance.id)
    const forbidden = await say(visitor, conversation.id, "#setSky:'night'", {
      instance_id: instance.id,
    })
    expect(forbidden.body.assistant_message.tool_commands[0]).toMatchObject({
      status: 'refused',
      reason: 'forbidden',
      instance_id: instance.id,
    })

    const granted = await api(`/v1/instances/${instance.id}/visitors/${visitor.id}/permissions`, {
      method: 'PUT',
      token: owner.token,
      body: { can_change_environment: true },
    })
    expect(granted.status, granted.text).toBe(200)
    const mixed = await say(
      visitor,
      conversation.id,
      "#setWeather:'lava' #setTimeOfDay:'25:99' #summonDragon:'now' #setLighting:'warm'",
      { instance_id: instance.id },
    )
    const outcomes = mixed.body.assistant_message.tool_commands
    expect(outcomes.map((o: any) => [o.tool, o.status, o.reason])).toEqual([
      ['setWeather', 'refused', 'invalid_value'],
      ['setTimeOfDay', 'refused', 'invalid_value'],
      ['summonDragon', 'refused', 'unknown_tool'],
      ['setLighting', 'applied', null],
    ])
    await room.waitForEvent(
      (e) => e.type === 'env' && e.environment.lighting_mood === 'warm',
      'the lighting',
    )
    // Stored with the answer, as read back later.
    const stored = await api(`/v1/conversations/${conversation.id}?limit=1`, {
      token: visitor.token,
    })
    expect(stored.body.messages.items[0].tool_commands).toEqual(outcomes)
    room.close()
  })
})

describe('a companion in the live room', () => {
  it('arrives with its owner, follows at a distance, and leaves with them', async () => {
    const owner = await registerPlayer('liveown')
    const watcher = await registerPlayer('livewat')
    const instance = await createInstance(owner)
    const companion = await createCompanion(owner, { name: 'Pip', appearance: { fur: 'grey' } })
    const watcherRoom = await enterRoom(watcher, instance.id)
    const ownerRoom = await enterRoom(owner, instance.id)
    const welcome = ownerRoom.received.find((f) => f.type === 'welcome')
    expect(welcome.companions).toEqual([
      expect.objectContaining({
        companion_id: companion.id,
        owner_id: owner.id,
        behavior_state: 'following',
        detail: { name: 'Pip', appearance: { fur: 'grey' } },
      }),
    ])
    await watcherRoom.waitForEvent(
      (e) => e.type === 'companion_enter' && e.companion.companion_id === companion.id,
      'the companion entering',
    )
    const detail = await watcherRoom.waitForEvent(
      (e) => e.type === 'companion_detail' && e.companion_id === companion.id,
      'the companion detail',
    )
    expect(detail).toMatchObject({ owner_id: owner.id, name: 'Pip' })

    await roomStep(ownerRoom, instance.id, owner.id, 10, 0)
    const moved = await watcherRoom.waitForEvent(
      (e) => e.type === 'companion_move' && e.companion_id === companion.id,
      'the companion following',
    )
    const distance = Math.hypot(moved.position.x - 10, moved.position.z)
    expect(distance).toBeCloseTo(2, 2)

    const presence = await api(`/v1/instances/${instance.id}/presence`, { token: watcher.token })
    expect(presence.body.companions).toEqual([
      expect.objectContaining({ companion_id: companion.id, name: 'Pip', owner_id: owner.id }),
    ])

    // Put to sleep: it leaves the room at once.
    await api(`/v1/companions/${companion.id}`, {
      method: 'PATCH',
      token: owner.token,
      body: { is_active: false },
    })
    await watcherRoom.waitForEvent(
      (e) => e.type === 'companion_leave' && e.companion_id === companion.id,
      'the companion leaving',
    )
    ownerRoom.close()
    watcherRoom.close()
  })

  it('shows a blocked pair nothing of each other’s companion beyond the public minimum', async () => {
    const owner = await registerPlayer('blkown')
    const blocker = await registerPlayer('blkblk')
    const instance = await createInstance(owner)
    const companion = await createCompanion(owner, { name: 'Secret' })
    await enterRoom(blocker, instance.id).then((room) => room.close())
    const blocked = await api('/v1/social/blocks', {
      token: blocker.token,
      body: { user_id: owner.id },
    })
    expect(blocked.status, blocked.text).toBe(201)
    const ownerRoom = await enterRoom(owner, instance.id)
    const blockerRoom = await enterRoom(blocker, instance.id)
    const welcome = blockerRoom.received.find((f) => f.type === 'welcome')
    expect(welcome.companions).toEqual([
      expect.objectContaining({ companion_id: companion.id, owner_id: owner.id, detail: null }),
    ])
    // A rename while both are here: the blocker gets the move, never the detail.
    await api(`/v1/companions/${companion.id}`, {
      method: 'PATCH',
      token: owner.token,
      body: { name: 'Renamed', behavior_state: 'idle' },
    })
    await blockerRoom.waitForEvent(
      (e) => e.type === 'companion_move' && e.behavior_state === 'idle',
      'the behaviour change',
    )
    await ownerRoom.waitForEvent(
      (e) => e.type === 'companion_detail' && e.name === 'Renamed',
      'the rename, for the owner',
    )
    await blockerRoom.roundTrip()
    expect(blockerRoom.events().filter((e) => e.type === 'companion_detail')).toEqual([])
    const presence = await api(`/v1/instances/${instance.id}/presence`, { token: blocker.token })
    expect(presence.body.companions).toEqual([
      expect.objectContaining({ companion_id: companion.id, name: null, appearance: null }),
    ])
    ownerRoom.close()
    blockerRoom.close()
  })

  it('is seen only by players who can see its zone', async () => {
    const owner = await registerPlayer('zoneown')
    const far = await registerPlayer('zonefar')
    const near = await registerPlayer('zonenear')
    const instance = await createInstance(owner)
    const companion = await createCompanion(owner)
    const farRoom = await enterRoom(far, instance.id)
    await roomStep(farRoom, instance.id, far.id, 120, 120) // north_east
    const nearRoom = await enterRoom(near, instance.id)
    await roomStep(nearRoom, instance.id, near.id, -110, -110) // south_west
    const ownerRoom = await enterRoom(owner, instance.id) // centre: seen from north_east
    const isCompanion = (type: string) => (e: any) =>
      e.type === type && (e.companion_id ?? e.companion?.companion_id) === companion.id
    await farRoom.waitForEvent(isCompanion('companion_enter'), 'the companion at the centre')

    // The owner walks to the south-west corner: out of the far player's view, into the near one's.
    await roomStep(ownerRoom, instance.id, owner.id, -120, -120)
    await farRoom.waitForEvent(isCompanion('companion_leave'), 'the companion leaving the view')
    await nearRoom.waitForEvent(isCompanion('companion_enter'), 'the companion coming into view')
    const movesBefore = nearRoom.events().filter(isCompanion('companion_move')).length
    await roomStep(ownerRoom, instance.id, owner.id, -125, -125)
    await nearRoom.waitFor(
      () => nearRoom.events().filter(isCompanion('companion_move')).length > movesBefore,
      'the companion following in the corner',
    )
    // The batch that reached the near player went to the far one too, if it was for them.
    await farRoom.roundTrip()
    const farEvents = farRoom.events()
    const leftAt = farEvents.findIndex(isCompanion('companion_leave'))
    expect(farEvents.slice(leftAt + 1).filter(isCompanion('companion_move'))).toEqual([])
    ownerRoom.close()
    nearRoom.close()
    farRoom.close()
  })
})
