/**
 * Type tests (vitest typecheck, project `types`): the room's frames and its RPC contract are plain
 * JSON with snake_case keys. A wrong type fails here at compile time, e.g. a `Date` or a camelCase
 * key added to a frame; the checks on the checkers below keep them from passing vacuously.
 */
import { describe, expectTypeOf, it } from 'vitest'
import type {
  BatchMessage,
  ClientFrame,
  ServerEvent,
  ServerMessage,
  WelcomeMessage,
} from '../../durable-objects/instance-room/protocol'
import type { RoomNotice } from '../../durable-objects/instance-room/notices'
import type {
  ChatHistoryQuery,
  ChatHistorySlice,
  RoomConnection,
  RoomPresence,
} from '../../durable-objects/instance-room/rpc'

type Primitive = string | number | boolean | null

/** `true` only when every member of the union is `true` (an object without keys gives never). */
type AllTrue<T> = [T] extends [true] ? true : false

/**
 * True when every value of `T` survives `JSON.stringify` → `JSON.parse` unchanged (optional keys
 * may be absent); false when any part is a function, Date, Map, bigint, undefined value, …
 * `unknown` (e.g. the values of `metadata`, which are JSON from Postgres) cannot be checked here.
 */
type JsonSafe<T> = unknown extends T ? true : AllTrue<JsonSafeMember<T>>
type JsonSafeMember<T> = T extends Primitive
  ? true
  : T extends readonly (infer Item)[]
    ? JsonSafe<Item>
    : T extends (...args: never[]) => unknown
      ? false
      : T extends Date | Map<unknown, unknown> | Set<unknown> | bigint | symbol | undefined
        ? false
        : T extends object
          ? AllTrue<{ [K in keyof T]-?: JsonSafe<Exclude<T[K], undefined>> }[keyof T]>
          : false

/** True when every key of `T`, at any depth, is snake_case (no upper-case letter). */
type SnakeCaseKeys<T> = unknown extends T ? true : AllTrue<SnakeCaseKeysMember<T>>
type SnakeCaseKeysMember<T> = T extends Primitive
  ? true
  : T extends readonly (infer Item)[]
    ? SnakeCaseKeys<Item>
    : T extends object
      ? AllTrue<{ [K in keyof T]-?: SnakeCaseEntry<K, Exclude<T[K], undefined>> }[keyof T]>
      : true
/** A key (an index signature's `string` names no key) and its value. */
type SnakeCaseEntry<K, V> = K extends string
  ? string extends K
    ? SnakeCaseKeys<V>
    : K extends Lowercase<K>
      ? SnakeCaseKeys<V>
      : false
  : false

describe('the checkers', () => {
  it('reject what is not plain JSON or not snake_case', () => {
    expectTypeOf<JsonSafe<{ at: Date }>>().toEqualTypeOf<false>()
    expectTypeOf<JsonSafe<{ run: () => void }>>().toEqualTypeOf<false>()
    expectTypeOf<JsonSafe<{ a: { b: bigint }[] }>>().toEqualTypeOf<false>()
    expectTypeOf<JsonSafe<{ a: string } | { b: Date }>>().toEqualTypeOf<false>()
    expectTypeOf<SnakeCaseKeys<{ userId: string }>>().toEqualTypeOf<false>()
    expectTypeOf<SnakeCaseKeys<{ a: { b: [{ lastSeq: 1 }] } }>>().toEqualTypeOf<false>()
    expectTypeOf<SnakeCaseKeys<{ a: 1 } | { sentAtMs: 1 }>>().toEqualTypeOf<false>()
  })

  it('accept plain snake_case JSON', () => {
    expectTypeOf<JsonSafe<{ a?: string; b: (number | null)[] }>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<{ user_id: string; n: { sent_at_ms: 1 }[] }>>().toEqualTypeOf<true>()
  })
})

describe('ServerMessage', () => {
  it('is plain JSON with snake_case keys', () => {
    expectTypeOf<JsonSafe<ServerMessage>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<ServerMessage>>().toEqualTypeOf<true>()
  })

  it('names the fields of welcome, batch and pong in snake_case', () => {
    expectTypeOf<WelcomeMessage>().toHaveProperty('session_id').toEqualTypeOf<string>()
    expectTypeOf<Extract<ServerEvent, { type: 'chat' }>>()
      .toHaveProperty('sent_at_ms')
      .toEqualTypeOf<number>()
    expectTypeOf<BatchMessage['events']>().toEqualTypeOf<ServerEvent[]>()
    expectTypeOf({ type: 'pong', server_time_ms: 1 } as const).toExtend<ServerMessage>()
    // @ts-expect-error the camelCase key of the old protocol is not a frame any more
    expectTypeOf({ type: 'pong', serverTimeMs: 1 } as const).toExtend<ServerMessage>()
  })
})

describe('ClientFrame', () => {
  it('is plain JSON with snake_case keys', () => {
    expectTypeOf<JsonSafe<ClientFrame>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<ClientFrame>>().toEqualTypeOf<true>()
    expectTypeOf({ type: 'hello', last_seq: 3 } as const).toExtend<ClientFrame>()
  })
})

describe('the RPC contract with the Worker', () => {
  it('passes plain JSON with snake_case keys both ways', () => {
    expectTypeOf<JsonSafe<RoomPresence>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<RoomPresence>>().toEqualTypeOf<true>()
    expectTypeOf<JsonSafe<ChatHistorySlice>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<ChatHistorySlice>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<ChatHistoryQuery>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<RoomNotice>>().toEqualTypeOf<true>()
    expectTypeOf<SnakeCaseKeys<RoomConnection>>().toEqualTypeOf<true>()
  })
})
