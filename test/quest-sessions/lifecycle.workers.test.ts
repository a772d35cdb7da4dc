/**
 * Quest sessions over HTTP through the real Worker entrance: opening (with a holodeck), joining
 * under concurrency, starting, pausing and resuming (the clock's arithmetic), the time limit,
 * abandonment, leaving, and who may do what.
 */
import { runDurableObjectAlarm } from 'cloudflare:test'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ABANDON_AFTER_DISCONNECTED_MS } from '../../durable-objects/quest-session/config'
import { MAX_OPEN_SESSIONS_PER_HOST } from '../../functions/quest-sessions/service'
import { api, registerPlayer, tokenFor, type Player } from '../support/api'
import {
  connectSession,
  createQuest,
  eventually,
  openSession,
  sessionAction,
  sessionRow,
  sessionStub,
  viewSession,
} from '../support/quests'

let host: Player
let guest: Player
let stranger: Player
let moderatorToken: string

beforeAll(async () => {
  ;[guest, stranger] = await Promise.all([registerPlayer('sg'), registerPlayer('ss')])
  moderatorToken = await tokenFor(await registerPlayer('smod'), ['moderator'])
})

// A fresh host per test: a host may have only a few open sessions.
beforeEach(async () => {
  host = await registerPlayer('sh')
})

const post = (player: Player | string, path: string, body?: unknown) =>
  api(path, {
    method: 'POST',
    token: typeof player === 'string' ? player : player.token,
    body,
  })

describe('POST /v1/quests/:id/sessions', () => {
  it('opens a waiting session hosted by the caller, mirrored in Postgres', async () => {
    const quest = await createQuest(host)
    const session = await openSession(host, quest.id)
    expect(session).toMatchObject({
      quest_id: quest.id,
      status: 'waiting',
      host_user_id: host.id,
      is_ranked: true,
      participants: [expect.objectContaining({ user_id: host.id, connected: false })],
    })
    const row = await sessionRow(session.id)
    expect(row).toMatchObject({ status: 'waiting', host_user_id: host.id, participants: [host.id] })
  })

  it('gives a holodeck quest its own private instance whose room has the quest’s speed limit', async () => {
    const quest = await createQuest(host, {
      requires_instance_type: 'holodeck',
      instance_template: { bounds: { min_x: -50, max_x: 50, min_z: -50, max_z: 50 } },
    })
    const session = await openSession(host, quest.id)
    expect(session.instance_id).not.toBeNull()
    const instance = await api(`/v1/instances/${session.instance_id}`, { token: host.token })
    expect(instance.status, instance.text).toBe(200)
    expect(instance.body).toMatchObject({
      instance_subtype: 'quest_holodeck',
      quest_id: quest.id,
      owner_id: host.id,
      is_public: false,
      metadata: { custom_properties: { max_speed_mps: 10, bounds: { min_x: -50 } } },
    })
    expect(
      (await api(`/v1/instances/${session.instance_id}`, { token: stranger.token })).status,
    ).toBe(404)
  })

  it('refuses an archived quest, another player’s draft, a bad type and an invisible quest', async () => {
    const archived = await createQuest(host)
    await api(`/v1/quests/${archived.id}`, {
      method: 'PATCH',
      token: host.token,
      body: { status: 'archived' },
    })
    expect((await post(host, `/v1/quests/${archived.id}/sessions`, {})).status).toBe(409)
    const draft = await createQuest(host, { status: 'draft' })
    expect((await post(guest, `/v1/quests/${draft.id}/sessions`, {})).status).toBe(404)
    const practice = await post(host, `/v1/quests/${draft.id}/sessions`, {})
    expect(practice.status, practice.text).toBe(201)
    expect(practice.body.is_ranked).toBe(false)
    expect(
      (await post(host, `/v1/quests/${draft.id}/sessions`, { session_type: 'solo' })).status,
    ).toBe(400)
  })

  it(`lets a host hold at most ${MAX_OPEN_SESSIONS_PER_HOST} open sessions, even when asked at once`, async () => {
    const busy = await registerPlayer('busy')
    const quest = await createQuest(busy)
    const replies = await Promise.all(
      Array.from({ length: MAX_OPEN_SESSIONS_PER_HOST + 3 }, () =>
        post(busy, `/v1/quests/${quest.id}/sessions`, {}),
      ),
    )
    const created = replies.filter((r) => r.status === 201)
    expect(created.length, replies.map((r) => r.status).join(',')).toBe(MAX_OPEN_SESSIONS_PER_HOST)
    expect(replies.every((r) => r.status === 201 || r.status === 409)).toBe(true)
  })
})

describe('POST /v1/quest-sessions/:id/join', () => {
  it('lets exactly max_participants in when many join at once', async () => {
    const quest = await createQuest(host, { max_participants: 3 })
    const session = await openSession(host, quest.id)
    const players = await Promise.all(Array.from({ length: 6 }, () => registerPlayer('j')))
    const replies = await Promise.all(
      players.map((p) => post(p, `/v1/quest-sessions/${session.id}/join`)),
    )
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses, replies.map((r) => r.text).join('\n')).toEqual([201, 201, 409, 409, 409, 409])
    expect(
      replies
        .filter((r) => r.status === 409)
        .every((r) => r.body.error.code === 'capacity_reached'),
    ).toBe(true)
    const row = await sessionRow(session.id)
    expect(row.participants).toHaveLength(3)
    // Joining again is a no-op (200).
    const winner = players[replies.findIndex((r) => r.status === 201)]
    expect((await post(winner, `/v1/quest-sessions/${session.id}/join`)).status).toBe(200)
  })

  it('answers 404 for a session of a quest the caller cannot see, and 409 once started', async () => {
    const hidden = await createQuest(host, { is_public: false, max_participants: 3 })
    const session = await openSession(host, hidden.id)
    expect((await post(stranger, `/v1/quest-sessions/${session.id}/join`)).status).toBe(404)
    expect((await api(`/v1/quest-sessions/${session.id}`, { token: stranger.token })).status).toBe(
      404,
    )
    const open = await createQuest(host, { max_participants: 3 })
    const started = await openSession(host, open.id)
    await sessionAction(host, started.id, 'start')
    const late = await post(guest, `/v1/quest-sessions/${started.id}/join`)
    expect(late.status, late.text).toBe(409)
    expect(
      (await api(`/v1/quest-sessions/${crypto.randomUUID()}`, { token: host.token })).status,
    ).toBe(404)
  })
})

describe('POST /v1/quest-sessions/:id/start', () => {
  it('is for the host, with at least min_participants, and counts a play per participant', async () => {
    const quest = await createQuest(host, { min_participants: 2, max_participants: 2 })
    const session = await openSession(host, quest.id)
    expect((await post(host, `/v1/quest-sessions/${session.id}/start`)).status).toBe(409)
    await sessionAction(guest, session.id, 'join')
    expect((await post(guest, `/v1/quest-sessions/${session.id}/start`)).status).toBe(403)
    const started = await sessionAction(host, session.id, 'start')
    expect(started.status).toBe('in_progress')
    expect((await post(host, `/v1/quest-sessions/${session.id}/start`)).status).toBe(409)
    const row = await sessionRow(session.id)
    expect(row.status).toBe('in_progress')
    expect(row.started_at).not.toBeNull()
    const counts = await api(`/v1/quests/${quest.id}`, { token: host.token })
    expect(counts.body).toMatchObject({ play_count: 2, completion_count: 0 })
  })
})

describe('pause and resume', () => {
  it('stop the quest clock: elapsed and time limit exclude paused time', async () => {
    const quest = await createQuest(host, { max_participants: 2, time_limit_seconds: 60 })
    const session = await openSession(host, quest.id)
    await sessionAction(guest, session.id, 'join')
    await sessionAction(host, session.id, 'start')
    const clock = sessionStub(session.id)
    await clock.advanceClock(10_000)
    expect((await post(stranger, `/v1/quest-sessions/${session.id}/pause`)).status).toBe(403)
    const paused = await sessionAction(guest, session.id, 'pause')
    expect(paused).toMatchObject({ status: 'paused', elapsed_seconds: 10 })
    await clock.advanceClock(100_000)
    // Past the time limit on the wall clock, but the quest clock is stopped.
    await runDurableObjectAlarm(clock)
    expect((await viewSession(host, session.id)).status).toBe('paused')
    expect((await post(guest, `/v1/quest-sessions/${session.id}/resume`)).status).toBe(403)
    const resumed = await sessionAction(host, session.id, 'resume')
    expect(resumed).toMatchObject({
      status: 'in_progress',
      total_pause_duration_seconds: 100,
      elapsed_seconds: 10,
      time_remaining_seconds: 50,
    })
    await clock.advanceClock(5_000)
    expect(await viewSession(guest, session.id)).toMatchObject({
      elapsed_seconds: 15,
      time_remaining_seconds: 45,
    })
    const row = await sessionRow(session.id)
    expect(row.total_pause_duration_seconds).toBe(100)
    // The pause on the session's clock: the 100 s moved forward and the milliseconds between calls.
    const pausedMs = new Date(row.resumed_at).getTime() - new Date(row.paused_at).getTime()
    expect(pausedMs).toBeGreaterThanOrEqual(100_000)
    expect(pausedMs).toBeLessThan(101_000)
    expect((await post(host, `/v1/quest-sessions/${session.id}/resume`)).status).toBe(409)
  })
})

describe('the time limit', () => {
  it('fails the session at the limit (by the alarm), pauses excluded', async () => {
    const quest = await createQuest(host, { time_limit_seconds: 30 })
    const session = await openSession(host, quest.id)
    const { client } = await connectSession(host, session.id)
    await sessionAction(host, session.id, 'start')
    const clock = sessionStub(session.id)
    await clock.advanceClock(20_000)
    await sessionAction(host, session.id, 'pause')
    await clock.advanceClock(60_000)
    await sessionAction(host, session.id, 'resume')
    await clock.advanceClock(9_000)
    await runDurableObjectAlarm(clock)
    expect((await viewSession(host, session.id)).status).toBe('in_progress')
    await clock.advanceClock(2_000)
    expect(await runDurableObjectAlarm(clock)).toBe(true)
    const failed = await viewSession(host, session.id)
    expect(failed).toMatchObject({
      status: 'failed',
      end_reason: 'time_limit',
      elapsed_seconds: 30,
    })
    const event = await client.waitForEvent(
      (e) => e.type === 'status' && e.status === 'failed',
      'failed',
    )
    expect(event.reason).toBe('time_limit')
    const row = await sessionRow(session.id)
    expect(row).toMatchObject({ status: 'failed', completed_at: null })
    // Ended at the deadline, not when the alarm noticed: 30 s of quest time plus the pause.
    const endedAfterMs = new Date(row.ended_at).getTime() - new Date(row.started_at).getTime()
    expect(endedAfterMs).toBeGreaterThanOrEqual(90_000)
    expect(endedAfterMs).toBeLessThan(91_000)
    client.send({ type: 'reach', objective_id: 'garden', ref: 'late' })
    const refused = await client.waitFor((f) => f.type === 'error' && f.ref === 'late', 'refusal')
    expect(refused.code).toBe('not_in_progress')
    client.close()
  })
})

describe('abandonment', () => {
  it('abandons a session whose participants have all been disconnected for 5 minutes', async () => {
    const quest = await createQuest(host, { max_participants: 2 })
    const session = await openSession(host, quest.id)
    await sessionAction(guest, session.id, 'join')
    const a = await connectSession(host, session.id)
    const b = await connectSession(guest, session.id)
    await sessionAction(host, session.id, 'start')
    a.client.close()
    const clock = sessionStub(session.id)
    await clock.advanceClock(ABANDON_AFTER_DISCONNECTED_MS)
    // One participant is still connected: nothing happens.
    await runDurableObjectAlarm(clock)
    expect((await viewSession(host, session.id)).status).toBe('in_progress')
    b.client.close()
    await eventually(
      () => viewSession(host, session.id),
      (s) => s.participants.every((p: any) => !p.connected),
      'both disconnected',
    )
    await clock.advanceClock(ABANDON_AFTER_DISCONNECTED_MS - 1_000)
    await runDurableObjectAlarm(clock)
    expect((await viewSession(host, session.id)).status).toBe('in_progress')
    await clock.advanceClock(1_000)
    expect(await runDurableObjectAlarm(clock)).toBe(true)
    expect(await viewSession(host, session.id)).toMatchObject({
      status: 'abandoned',
      end_reason: 'all_disconnected',
      is_abandoned: true,
    })
    expect(await sessionRow(session.id)).toMatchObject({ status: 'abandoned', is_abandoned: true })
  })
})

describe('leave and abandon', () => {
  it('closes the leaver’s socket, passes the host on, and abandons an empty session', async () => {
    const quest = await createQuest(host, { max_participants: 2 })
    const session = await openSession(host, quest.id)
    await sessionAction(guest, session.id, 'join')
    const a = await connectSession(host, session.id)
    const left = await sessionAction(host, session.id, 'leave')
    expect(left.host_user_id).toBe(guest.id)
    expect((await a.client.waitForClose()).code).toBe(4001)
    expect((await post(host, `/v1/quest-sessions/${session.id}/leave`)).status).toBe(404)
    const empty = await sessionAction(guest, session.id, 'leave')
    expect(empty).toMatchObject({ status: 'abandoned', end_reason: 'all_left' })
  })

  it('lets the host or staff abandon, and no one else', async () => {
    const quest = await createQuest(host, { max_participants: 2 })
    const session = await openSession(host, quest.id)
    await sessionAction(guest, session.id, 'join')
    expect((await post(guest, `/v1/quest-sessions/${session.id}/abandon`)).status).toBe(403)
    const ended = await post(moderatorToken, `/v1/quest-sessions/${session.id}/abandon`)
    expect(ended.status, ended.text).toBe(200)
    expect(ended.body).toMatchObject({ status: 'abandoned', end_reason: 'abandoned_by_host' })
    expect((await post(host, `/v1/quest-sessions/${session.id}/abandon`)).status).toBe(409)
  })
})

describe('GET /v1/quest-sessions and the WebSocket entrance', () => {
  it('lists the caller’s sessions and lets a non-participant watch as a spectator', async () => {
    const quest = await createQuest(host)
    const session = await openSession(host, quest.id)
    const mine = await api('/v1/quest-sessions?limit=100', { token: host.token })
    expect(
      mine.body.items.map((s: any) => s.id),
      mine.text,
    ).toContain(session.id)
    const theirs = await api('/v1/quest-sessions?limit=100', { token: stranger.token })
    expect(theirs.body.items.map((s: any) => s.id)).not.toContain(session.id)
    const watcher = await connectSession(stranger, session.id)
    expect(watcher.welcome.role).toBe('spectator')
    watcher.client.close()
  })

  it('refuses an upgrade without a token, without Upgrade, or to a session one cannot see', async () => {
    const hidden = await createQuest(host, { is_public: false })
    const session = await openSession(host, hidden.id)
    const url = `/v1/quest-sessions/${session.id}/ws`
    expect((await api(url, { headers: { Upgrade: 'websocket' } })).status).toBe(401)
    expect((await api(url, { token: host.token })).status).toBe(400)
    expect(
      (await api(url, { token: stranger.token, headers: { Upgrade: 'websocket' } })).status,
    ).toBe(404)
  })
})
