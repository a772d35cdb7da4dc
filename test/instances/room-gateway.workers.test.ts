/**
 * The room gateway (functions/instances/room-gateway.ts) inside workerd: RPC to the room, the
 * mapping of a failing or unreachable room to 503, refusals as `ApiError`, notices that never
 * fail the HTTP change, and names only from canonical ids. Faults come from `TestInstanceRoom`
 * (test/support/test-worker.ts), bound as `TEST_INSTANCE_ROOM`.
 */
import { abortAllDurableObjects, runInDurableObject } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { RoomGateway } from '../../functions/instances/room-gateway'
import { ApiError } from '../../functions/lib/errors'
import { createLogger } from '../../functions/lib/logger'
import { registerPlayer, testEnv, type Player } from '../support/api'
import { RoomClient } from '../support/room-client'

const faultyRooms = testEnv.TEST_INSTANCE_ROOM
const gateway = new RoomGateway(faultyRooms, createLogger({ request_id: 'test-request' }))
const stubOf = (instanceId: string) => faultyRooms.get(faultyRooms.idFromName(instanceId))

/** The `ApiError` a call rejects with (fails the test when it resolves or throws another error). */
async function apiErrorOf(call: Promise<unknown>): Promise<ApiError> {
  const outcome = await call.then(
    (value) => new Error(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  )
  if (!(outcome instanceof ApiError)) throw outcome
  return outcome
}

async function enter(instanceId: string, player: Player): Promise<RoomClient> {
  const ws = await gateway.connect(instanceId, {
    user_id: player.id,
    username: player.username,
    permissions: { can_chat: true, can_change_environment: false },
    metadata: {},
  })
  ws.accept()
  const client = new RoomClient(ws)
  await client.greet()
  return client
}

let alice: Player

beforeAll(async () => {
  alice = await registerPlayer('gw')
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('RoomGateway', () => {
  it('answers presence and chat history by RPC, and delivers notices', async () => {
    const instanceId = crypto.randomUUID()
    expect(await gateway.presence(instanceId)).toEqual({
      instance_id: instanceId,
      players: [],
      companions: [],
    })
    const socket = await enter(instanceId, alice)
    socket.send({ type: 'chat', text: 'over RPC', scope: 'zone' })
    await socket.waitForEvent((e: any) => e.type === 'chat', 'chat echo')
    expect((await gateway.presence(instanceId)).players.map((p) => p.user_id)).toEqual([alice.id])
    expect(await gateway.chatHistory(instanceId, { limit: 5 })).toMatchObject({
      items: [{ text: 'over RPC', user_id: alice.id }],
      next_cursor: null,
    })
    await gateway.notify(instanceId, { type: 'visitor_removed', user_id: alice.id })
    expect((await socket.waitForClose()).code).toBe(4003)
  })

  it('answers 503 service_unavailable when the room throws, and logs it with the request id', async () => {
    const instanceId = crypto.randomUUID()
    await stubOf(instanceId).injectFaults({ rpc: true })
    const errors = vi.spyOn(console, 'error')
    // Each call starts only when the previous one was awaited, so no rejection goes unhandled.
    for (const call of [
      () => gateway.presence(instanceId),
      () => gateway.chatHistory(instanceId, { limit: 5 }),
    ]) {
      const error = await apiErrorOf(call())
      expect(error.code).toBe('service_unavailable')
      expect(error.status).toBe(503)
      expect(error.message, 'no internal detail reaches the client').not.toMatch(/injected/)
    }
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)))
    expect(lines, JSON.stringify(lines)).toContainEqual(
      expect.objectContaining({
        msg: 'instance room unavailable',
        request_id: 'test-request',
        instance_id: instanceId,
        method: 'presence',
        error: expect.stringContaining('injected fault: rpc'),
      }),
    )
  })

  it('answers 503 when the room cannot start (its tables are newer than the code)', async () => {
    const instanceId = crypto.randomUUID()
    await runInDurableObject(stubOf(instanceId), (_room, state) => {
      state.storage.sql.exec(`UPDATE object_meta SET value = '99' WHERE key = 'schema_version'`)
    })
    await abortAllDurableObjects()
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    expect((await apiErrorOf(gateway.presence(instanceId))).code).toBe('service_unavailable')
    const upgrade = gateway.connect(instanceId, {
      user_id: alice.id,
      username: alice.username,
      permissions: { can_chat: true, can_change_environment: false },
      metadata: {},
    })
    expect((await apiErrorOf(upgrade)).code).toBe('service_unavailable')
  })

  it("re-throws a room's refusal as ApiError with its code", async () => {
    const instanceId = crypto.randomUUID()
    const refused = await apiErrorOf(gateway.chatHistory(instanceId, { limit: 0 }))
    expect({ code: refused.code, status: refused.status }).toEqual({
      code: 'validation_error',
      status: 400,
    })
  })

  it('logs a warning and does not throw when a notice cannot be delivered', async () => {
    const instanceId = crypto.randomUUID()
    await stubOf(instanceId).injectFaults({ rpc: true })
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    await expect(gateway.notify(instanceId, { type: 'instance_deleted' })).resolves.toBeUndefined()
    const lines = warnings.mock.calls.map(([line]) => JSON.parse(String(line)))
    expect(lines, JSON.stringify(lines)).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'room notice failed',
        request_id: 'test-request',
        instance_id: instanceId,
        notice: 'instance_deleted',
      }),
    )
  })

  it('names a room only by a canonical (lower-case) id', async () => {
    const instanceId = crypto.randomUUID()
    const upper = instanceId.toUpperCase()
    await expect(gateway.presence(upper)).rejects.toThrow(/canonical/)
    await expect(gateway.notify(upper, { type: 'instance_deleted' })).rejects.toThrow(/canonical/)
    await expect(gateway.presence('not-a-uuid')).rejects.toThrow(/canonical/)
  })
})
