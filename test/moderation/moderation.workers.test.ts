import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'
import { registerModerator } from '../support/moderation'
import { createInstance, enterRoom } from '../support/instances'
import { bytesOf, PNG_64x48 } from '../media/fixtures'

const report = (player: Player, body: Record<string, unknown>) =>
  api('/v1/moderation/reports', { token: player.token, body: { reason: 'harassment', ...body } })

async function questOf(creator: Player, isPublic = true): Promise<string> {
  const [row] = await sqlRows<{ id: string }>(
    `INSERT INTO quests (title, creator_id, challenge_type, quest_data, rewards, is_public)
     VALUES ('Find the owl', $1, 'scavenger', '{}', '{}', $2) RETURNING id`,
    [creator.id, isPublic],
  )
  return row.id
}

async function uploadPng(owner: Player): Promise<string> {
  const res = await SELF.fetch('http://nexus.test/v1/media', {
    method: 'POST',
    headers: { Authorization: `Bearer ${owner.token}` },
    body: bytesOf(PNG_64x48),
  })
  const body: any = await res.json()
  expect(res.status, JSON.stringify(body)).toBe(201)
  return body.id
}

describe('POST /v1/moderation/reports', () => {
  it('reports a user once, however often (and however concurrently) it is sent', async () => {
    const reporter = await registerPlayer('rp')
    const target = await registerPlayer('tg')
    const burst = await Promise.all(
      Array.from({ length: 30 }, () =>
        report(reporter, { target_type: 'user', target_id: target.id }),
      ),
    )
    const statuses = burst.map((r) => r.status).sort((x, y) => x - y)
    expect(statuses, burst[0].text).toEqual([...Array.from({ length: 29 }, () => 200), 201])
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1)
    const mine = await api('/v1/moderation/reports', { token: reporter.token })
    expect(mine.body.items, mine.text).toHaveLength(1)
    expect(mine.body.items[0]).toMatchObject({ target_type: 'user', status: 'open' })
  })

  it('reports a chat message still only in its live room, keeping its text as context', async () => {
    const host = await registerPlayer('host')
    const sender = await registerPlayer('snd')
    const reporter = await registerPlayer('rp')
    const outsider = await registerPlayer('out')
    const mod = await registerModerator()
    const instance = await createInstance(host)
    const roomS = await enterRoom(sender, instance.id)
    const roomR = await enterRoom(reporter, instance.id)
    roomS.send({ type: 'chat', text: 'you are terrible', scope: 'instance' })
    const chat = await roomR.waitForEvent((e) => e.type === 'chat', 'the chat')
    const body = {
      target_type: 'chat_message',
      target_id: chat.message_id,
      instance_id: instance.id,
    }
    // Someone who was never in the room cannot report what was said there.
    expect((await report(outsider, body)).status).toBe(404)
    const filed = await report(reporter, body)
    expect(filed.status, filed.text).toBe(201)
    const queued = await api(`/v1/admin/moderation/reports/${filed.body.id}`, { token: mod.token })
    expect(queued.status, queued.text).toBe(200)
    expect(queued.body).toMatchObject({
      target_user: { id: sender.id, username: sender.username },
      reporter: { id: reporter.id },
      instance_id: instance.id,
      context: { text: 'you are terrible', message_type: 'text', sender_username: sender.username },
      open_reports_on_target: 1,
    })
    roomS.close()
    roomR.close()
  })

  it('reports media, quests and companions only when the reporter could see them', async () => {
    const owner = await registerPlayer('own')
    const reporter = await registerPlayer('rp')
    const mediaId = await uploadPng(owner)
    // Pending media of someone else is invisible: as if it did not exist.
    expect((await report(reporter, { target_type: 'media', target_id: mediaId })).status).toBe(404)
    const privateQuest = await questOf(owner, false)
    expect((await report(reporter, { target_type: 'quest', target_id: privateQuest })).status).toBe(
      404,
    )
    const quest = await questOf(owner)
    const q = await report(reporter, {
      target_type: 'quest',
      target_id: quest,
      details: 'spoilers',
    })
    expect(q.status, q.text).toBe(201)
    const [companion] = await sqlRows<{ id: string }>(
      `INSERT INTO ai_companions (owner_id, name) VALUES ($1, 'Hoot') RETURNING id`,
      [owner.id],
    )
    const c = await report(reporter, {
      target_type: 'companion',
      target_id: companion.id,
      reason: 'hate',
    })
    expect(c.status, c.text).toBe(201)
    expect((await report(reporter, { target_type: 'user', target_id: reporter.id })).status).toBe(
      400,
    )
    const bad = await report(reporter, { target_type: 'planet', target_id: quest })
    expect(bad.status).toBe(400)
  })
})

describe('/v1/admin/moderation', () => {
  it('is closed to players (403) and to anonymous callers (401)', async () => {
    const player = await registerPlayer('pl')
    for (const path of ['/reports', '/media', '/actions']) {
      expect((await api(`/v1/admin/moderation${path}`, { token: player.token })).status).toBe(403)
      expect((await api(`/v1/admin/moderation${path}`)).status).toBe(401)
    }
  })

  it('lists open reports oldest first with context, and an action resolves and audits one', async () => {
    const mod = await registerModerator()
    const reporter = await registerPlayer('rp')
    const target = await registerPlayer('tg')
    const filed = await report(reporter, {
      target_type: 'user',
      target_id: target.id,
      reason: 'spam',
    })
    const queue = await api('/v1/admin/moderation/reports?target_type=user&limit=100', {
      token: mod.token,
    })
    expect(queue.status, queue.text).toBe(200)
    const item = queue.body.items.find((r: any) => r.id === filed.body.id)
    expect(item, queue.text).toMatchObject({
      context: { username: target.username },
      status: 'open',
    })

    const action = await api('/v1/admin/moderation/actions', {
      token: mod.token,
      body: { action: 'dismiss_report', report_id: filed.body.id, reason: 'not spam' },
    })
    expect(action.status, action.text).toBe(201)
    const again = await api('/v1/admin/moderation/actions', {
      token: mod.token,
      body: { action: 'dismiss_report', report_id: filed.body.id, reason: 'twice' },
    })
    expect(again.status, again.text).toBe(409)
    const resolved = await api(`/v1/admin/moderation/reports/${filed.body.id}`, {
      token: mod.token,
    })
    expect(resolved.body).toMatchObject({
      status: 'dismissed',
      resolved_by: mod.id,
      resolution_note: 'not spam',
    })
    const mine = await api('/v1/moderation/reports', { token: reporter.token })
    expect(mine.body.items[0].status).toBe('dismissed')
    const audit = await api(`/v1/admin/moderation/actions?target_id=${filed.body.id}`, {
      token: mod.token,
    })
    expect(audit.body.items, audit.text).toHaveLength(1)
    expect(audit.body.items[0]).toMatchObject({
      action: 'dismiss_report',
      moderator_id: mod.id,
      reason: 'not spam',
    })
    const forged = await api('/v1/admin/moderation/reports?cursor=xyz', { token: mod.token })
    expect(forged.status).toBe(400)
  })

  it('approves and rejects media from the pending queue', async () => {
    const mod = await registerModerator()
    const owner = await registerPlayer('own')
    const other = await registerPlayer('see')
    const first = await uploadPng(owner)
    const second = await uploadPng(owner)
    const pending = await api('/v1/admin/moderation/media?limit=100', { token: mod.token })
    const ids = pending.body.items.map((m: any) => m.id)
    expect(ids, pending.text).toEqual(expect.arrayContaining([first, second]))
    expect(pending.body.items.find((m: any) => m.id === first).uploader.id).toBe(owner.id)
    const act = (action: string, id: string) =>
      api('/v1/admin/moderation/actions', {
        token: mod.token,
        body: { action, target_id: id, reason: 'reviewed' },
      })
    expect((await act('approve_media', first)).status).toBe(201)
    expect((await act('reject_media', second)).status).toBe(201)
    expect((await api(`/v1/media/${first}`, { token: other.token })).status).toBe(200)
    expect((await api(`/v1/media/${second}`, { token: other.token })).status).toBe(404)
    const own = await api(`/v1/media/${second}`, { token: owner.token })
    expect(own.body.moderation_status).toBe('rejected')
    expect((await act('approve_media', crypto.randomUUID())).status).toBe(404)
  })

  it('hides and restores a quest, and sets its official rating', async () => {
    const mod = await registerModerator()
    const creator = await registerPlayer('cr')
    const player = await registerPlayer('pl')
    const quest = await questOf(creator)
    const act = (body: Record<string, unknown>) =>
      api('/v1/admin/moderation/actions', { token: mod.token, body: { reason: 'review', ...body } })
    const hidden = await act({ action: 'hide_quest', target_id: quest })
    expect(hidden.status, hidden.text).toBe(201)
    expect(hidden.body.details).toEqual({ previous_status: 'active' })
    expect((await act({ action: 'hide_quest', target_id: quest })).status).toBe(409)
    expect((await sqlRows('SELECT status FROM quests WHERE id = $1', [quest]))[0]).toEqual({
      status: 'hidden',
    })
    // A hidden quest is out of players' reach, reports included.
    expect((await report(player, { target_type: 'quest', target_id: quest })).status).toBe(404)
    expect((await api(`/v1/quests/${quest}`, { token: player.token })).status).toBe(404)
    const board = await api(`/v1/quests/${quest}/leaderboard`, { token: player.token })
    expect(board.status, board.text).toBe(404)
    // Its creator still sees it, cannot lift the hiding, and cannot open a session on it.
    const seen = await api(`/v1/quests/${quest}`, { token: creator.token })
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body.status).toBe('hidden')
    const relisted = await api(`/v1/quests/${quest}`, {
      method: 'PATCH',
      token: creator.token,
      body: { status: 'active' },
    })
    expect(relisted.status, relisted.text).toBe(409)
    const opened = await api(`/v1/quests/${quest}/sessions`, {
      token: creator.token,
      body: { session_type: 'standard' },
    })
    expect(opened.status, opened.text).toBe(409)
    expect((await act({ action: 'unhide_quest', target_id: quest })).status).toBe(201)
    expect((await sqlRows('SELECT status FROM quests WHERE id = $1', [quest]))[0]).toEqual({
      status: 'active',
    })

    const suggested = await api(`/v1/moderation/ratings/quest/${quest}`, {
      method: 'PUT',
      token: player.token,
      body: { rating: 'T' },
    })
    expect(suggested.status, suggested.text).toBe(200)
    expect(suggested.body).toMatchObject({ official: null, counts: { T: 1 }, mine: 'T' })
    const rated = await act({
      action: 'set_rating',
      content_type: 'quest',
      target_id: quest,
      rating: 'M',
    })
    expect(rated.status, rated.text).toBe(201)
    const summary = await api(`/v1/moderation/ratings/quest/${quest}`, { token: player.token })
    expect(summary.body).toMatchObject({ official: 'M', counts: { T: 1 }, mine: 'T' })
    const badRating = await api(`/v1/moderation/ratings/quest/${quest}`, {
      method: 'PUT',
      token: player.token,
      body: { rating: 'XXX' },
    })
    expect(badRating.status).toBe(400)
  })

  it('replays a retried action with the same Idempotency-Key instead of auditing it twice', async () => {
    const mod = await registerModerator()
    const target = await registerPlayer('tg')
    const key = crypto.randomUUID()
    const send = () =>
      api('/v1/admin/moderation/actions', {
        token: mod.token,
        headers: { 'Idempotency-Key': key },
        body: { action: 'mute', target_id: target.id, duration_seconds: 120, reason: 'flood' },
      })
    const first = await send()
    const second = await send()
    expect(second.text).toBe(first.text)
    expect(second.headers.get('Idempotent-Replayed')).toBe('true')
    const audit = await api(`/v1/admin/moderation/actions?target_id=${target.id}`, {
      token: mod.token,
    })
    expect(audit.body.items, audit.text).toHaveLength(1)
    expect(audit.body.items[0].expires_at).toMatch(/^\d{4}-/)
  })
})
