/**
 * The Worker of the `workers` test project (vitest.config.ts `main`): the real Worker and its
 * Durable Objects, plus test-only classes bound as their own namespaces, so a test injects a
 * fault through a subclass instead of patching private members of the real class.
 */
import { DurableObject } from 'cloudflare:workers'
import type { NexusClient } from '../../db/client'
import { InstanceRoom } from '../../durable-objects/instance-room'
import { QuestSession } from '../../durable-objects/quest-session'
import type { ChatHistoryQuery } from '../../durable-objects/instance-room/rpc'
import type { RoomNotice } from '../../durable-objects/instance-room/notices'
import type { Env } from '../../functions/lib/env'

export { default, BanList, InstanceRoom, RateLimiter } from '../../functions/index'

/** Faults a `TestInstanceRoom` injects until they are changed. */
export interface RoomFaults {
  /** Every sync fails as if Postgres were down. */
  database?: boolean
  /** Every RPC method throws. */
  rpc?: boolean
}

/** A client frame whose handling throws inside `TestInstanceRoom` (the error boundary's test). */
export const THROWING_FRAME = '{"type":"test.throw"}'

/** An InstanceRoom with injectable faults (namespace `TEST_INSTANCE_ROOM`). */
export class TestInstanceRoom extends InstanceRoom {
  private faults: RoomFaults = {}

  /** RPC: the faults to inject from now on (they last while the object stays in memory). */
  injectFaults(faults: RoomFaults): void {
    this.faults = faults
  }

  protected override openDatabase(): NexusClient {
    if (this.faults.database) throw new Error('injected fault: database down')
    return super.openDatabase()
  }

  protected override async handleMessage(
    ws: WebSocket,
    message: string | ArrayBuffer,
  ): Promise<void> {
    if (message === THROWING_FRAME) throw new Error('injected fault: frame handler')
    return super.handleMessage(ws, message)
  }

  override presence() {
    this.failIfAsked()
    return super.presence()
  }

  override chatHistory(query: ChatHistoryQuery) {
    this.failIfAsked()
    return super.chatHistory(query)
  }

  override async applyNotice(notice: RoomNotice) {
    this.failIfAsked()
    return super.applyNotice(notice)
  }

  private failIfAsked(): void {
    if (this.faults.rpc) throw new Error('injected fault: rpc')
  }
}

/** Meta key of the test clock's offset (kept in storage, so it survives a restart). */
const CLOCK_OFFSET_KEY = 'test_clock_offset_ms'

/**
 * The QuestSession of the test Worker (bound as `QUEST_SESSION`, so every test goes through the
 * real Worker entrance): the real class plus a clock a test moves forward (`advanceClock`), so
 * time limits, pauses and the 5-minute abandonment are tested without waiting. Alarms are set in
 * wall time; `runDurableObjectAlarm` runs them at once.
 */
export class TestQuestSession extends QuestSession {
  private databaseDown = false

  /** RPC: every sync fails as if Postgres were down, until called with false. */
  injectDatabaseFault(down: boolean): void {
    this.databaseDown = down
  }

  protected override openDatabase(): NexusClient {
    if (this.databaseDown) throw new Error('injected fault: database down')
    return super.openDatabase()
  }

  /** RPC: moves the session's clock forward by `ms` (a test of deadlines). */
  advanceClock(ms: number): void {
    this.meta.setNumber(CLOCK_OFFSET_KEY, this.meta.getNumber(CLOCK_OFFSET_KEY) + ms)
  }

  protected override now(): number {
    return Date.now() + this.meta.getNumber(CLOCK_OFFSET_KEY)
  }

  protected override wallTimeOf(sessionMs: number): number {
    return sessionMs - this.meta.getNumber(CLOCK_OFFSET_KEY)
  }
}
export { TestQuestSession as QuestSession }

/** `QUEST_SESSION` as the test Worker binds it: sessions with the test clock. */
export const testQuestSessions = (env: Env) =>
  env.QUEST_SESSION as unknown as DurableObjectNamespace<TestQuestSession>

/** A Durable Object that does nothing by itself: a pristine SQLite storage for core tests. */
export class StorageProbe extends DurableObject<Env> {}

/** The bindings of the test Worker: the real ones plus the test-only namespaces. */
export interface TestEnv extends Env {
  TEST_INSTANCE_ROOM: DurableObjectNamespace<TestInstanceRoom>
  STORAGE_PROBE: DurableObjectNamespace<StorageProbe>
  TEST_GATEWAY_PRIVATE_JWK: string
}

declare global {
  namespace Cloudflare {
    /** The type of `env` from `cloudflare:test` in the workers project. */
    interface Env extends TestEnv {}
  }
}
