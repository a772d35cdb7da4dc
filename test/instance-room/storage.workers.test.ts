/**
 * The InstanceRoom's tables under schema versions: a room created before versions existed (the
 * old DDL, `room_meta`, camelCase batches) adopts them with its data intact.
 */
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { InstanceRoom } from '../../durable-objects/instance-room'
import { LEGACY_ROOM_TABLES, ROOM_MIGRATIONS } from '../../durable-objects/instance-room/schema'
import { testEnv } from '../support/api'

const rooms = testEnv.INSTANCE_ROOM

describe('InstanceRoom storage', () => {
  it('adopts a room created before schema versions, keeping its players, chat and seq', async () => {
    const instanceId = crypto.randomUUID()
    const userId = crypto.randomUUID()
    const stub = rooms.get(rooms.idFromName(instanceId))
    const legacyMeta: Record<string, string> = {
      instance_id: instanceId,
      environment: JSON.stringify({ weather: 'snow' }),
      environment_version: '3',
      environment_synced_version: '2',
      batch_seq: '7',
      chat_synced_through: '1',
      sync_failures: '2',
    }
    const adopted = await runInDurableObject(stub, (_current, state) => {
      const sql = state.storage.sql
      // Rewind this object's storage to what the code before versions left behind.
      for (const table of [
        'object_meta',
        'players',
        'sessions',
        'chat',
        'batches',
        'block_pairs',
        'sanctions',
        'companions',
      ]) {
        sql.exec(`DROP TABLE IF EXISTS ${table}`)
      }
      sql.exec(LEGACY_ROOM_TABLES)
      for (const [key, value] of Object.entries(legacyMeta)) {
        sql.exec('INSERT INTO room_meta (key, value) VALUES (?, ?)', key, value)
      }
      sql.exec(
        `INSERT INTO players (user_id, username, session_id, zone, position, velocity, rotation,
                              activity, updated_at_ms, version, synced_version)
         VALUES (?, 'old_timer', NULL, 'north', '{"x":0,"y":0,"z":120}', '{"x":0,"y":0,"z":0}',
                 '{"x":0,"y":0,"z":0,"w":1}', 'idle', 1, 4, 4)`,
        userId,
      )
      sql.exec(
        `INSERT INTO chat (message_id, user_id, username, message_type, scope, zone, text,
                           sent_at_ms)
         VALUES (?, ?, 'old_timer', 'text', 'zone', 'north', 'from the old days', 1000)`,
        crypto.randomUUID(),
        userId,
      )
      sql.exec(
        `INSERT INTO batches (seq, events) VALUES (7, ?)`,
        JSON.stringify([{ event: { type: 'join', userId }, to: { kind: 'all' } }]),
      )

      // What a deploy of this code does on the next wake-up.
      const room = new InstanceRoom(state, testEnv)
      const meta = Object.fromEntries(
        sql
          .exec('SELECT key, value FROM object_meta')
          .toArray()
          .map((row) => [row.key, row.value]),
      )
      const tables = sql
        .exec(`SELECT name FROM sqlite_master WHERE type = 'table'`)
        .toArray()
        .map((row) => String(row.name))
        // SQLite's and the runtime's own tables.
        .filter((name) => !name.startsWith('sqlite_') && !name.startsWith('_cf_'))
        .sort()
      return {
        meta,
        tables,
        batches: sql.exec('SELECT seq FROM batches').toArray(),
        players: sql.exec('SELECT user_id, zone, version FROM players').toArray(),
        history: room.chatHistory({ limit: 10 }),
      }
    })
    expect(adopted.meta).toEqual({
      ...legacyMeta,
      schema_version: String(ROOM_MIGRATIONS.length),
      core_schema_version: '1',
    })
    expect(adopted.tables).toEqual([
      'batches',
      'block_pairs',
      'chat',
      'companions',
      'object_meta',
      'players',
      'sanctions',
      'sessions',
    ])
    // Batches of the camelCase protocol are dropped: a resuming client gets a fresh welcome.
    expect(adopted.batches).toEqual([])
    expect(adopted.players).toEqual([{ user_id: userId, zone: 'north', version: 4 }])
    expect(adopted.history).toMatchObject({
      ok: true,
      value: { items: [{ text: 'from the old days', user_id: userId, synced: true }] },
    })
  })
})
