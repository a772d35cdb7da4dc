/**
 * QuestSession: one Durable Object per live quest session (named by the session's canonical id).
 * The class lives in session.ts, on the live-object core (`../core`); its Postgres sync in sync.ts,
 * its tables in schema.ts, its rules in objectives.ts and timing.ts, its contract with the Worker
 * in rpc.ts and its WebSocket protocol in protocol.ts.
 */
export { QuestSession } from './session'
export type { QuestAttachment } from './session'
export type { SessionActor, SessionDefinition, SessionView } from './rpc'
