/**
 * The Worker's one way to the QuestSession objects, as `instances/room-gateway.ts` is to rooms:
 * every lifecycle change and read by RPC, `fetch` only for the WebSocket upgrade, a session named
 * only by its canonical id, an unreachable or throwing session answered as `503`, and a session's
 * refusal (a code of the closed set) re-thrown as `ApiError`.
 */
import type { Context } from 'hono'
import type { QuestSession } from '../../durable-objects/quest-session'
import {
  SESSION_CONNECTION_HEADER,
  type SessionActor,
  type SessionConnection,
  type SessionDefinition,
  type SessionView,
} from '../../durable-objects/quest-session/rpc'
import type { AppEnv } from '../lib/context'
import { LiveObjectGateway, type ObjectNamespace } from '../lib/live-object-gateway'
import { createLogger, type Logger } from '../lib/logger'

/** The namespace of the sessions: `QUEST_SESSION`. */
export type SessionNamespace = ObjectNamespace<QuestSession>

/** Lifecycle changes a participant or host asks for over HTTP. */
export type LifecycleChange = 'leave' | 'start' | 'pause' | 'resume' | 'abandon'

/** The gateway of one request (or one test): QuestSession calls with the Worker's error model. */
export class SessionGateway extends LiveObjectGateway<QuestSession> {
  constructor(sessions: SessionNamespace, logger: Logger = createLogger()) {
    super(
      sessions,
      {
        unavailableLog: 'quest session unavailable',
        idField: 'quest_session_id',
        unavailableMessage: 'the live quest session is unavailable; try again shortly',
      },
      logger,
    )
  }

  /** Opens the session object with what it runs on (idempotent for the same definition). */
  async open(definition: SessionDefinition): Promise<SessionView> {
    return this.answer(definition.session_id, 'open', (s) => s.open(definition))
  }

  /** The live session. */
  async describe(sessionId: string): Promise<SessionView> {
    return this.answer(sessionId, 'describe', (s) => s.describe())
  }

  /** Joins `actor` to a waiting session; `joined` is false when they already were in it. */
  async join(
    sessionId: string,
    actor: SessionActor,
  ): Promise<{ joined: boolean; session: SessionView }> {
    return this.answer(sessionId, 'join', (s) => s.join(actor))
  }

  /** Leaves, starts, pauses, resumes or abandons the session as `actor`. */
  async change(sessionId: string, change: LifecycleChange, actor: SessionActor) {
    return this.answer(sessionId, change, (s) => s[change](actor))
  }

  /** Opens a WebSocket on the session for an authenticated user; returns the client end. */
  async connect(sessionId: string, connection: Omit<SessionConnection, 'session_id'>) {
    const body: SessionConnection = { session_id: sessionId, ...connection }
    return this.upgrade(sessionId, 'https://session/connect', {
      [SESSION_CONNECTION_HEADER]: JSON.stringify(body),
    })
  }
}

/** The gateway for the request of `c`. */
export function sessionGateway(c: Context<AppEnv>): SessionGateway {
  return new SessionGateway(c.env.QUEST_SESSION, c.var.log)
}
