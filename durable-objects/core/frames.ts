/**
 * Parsing of client frames, for every live object: size first (UTF-8 bytes, before anything
 * else), then UTF-8, then JSON, then the object's zod schema. Never throws.
 */
import type { z } from 'zod'

/** Why a client frame was rejected. */
export type FrameErrorCode = 'frame_too_large' | 'malformed_json' | 'invalid_frame'

/** Outcome of `parseJsonFrame`. */
export type ParsedFrame<T> =
  { ok: true; frame: T } | { ok: false; code: FrameErrorCode; message: string }

const utf8Encoder = new TextEncoder()
const strictUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
const MAX_REPORTED_ISSUES = 3

/** Parses one raw WebSocket message against `schema`, refusing more than `maxBytes`. */
export function parseJsonFrame<S extends z.ZodType>(
  raw: string | ArrayBuffer,
  schema: S,
  maxBytes: number,
): ParsedFrame<z.infer<S>> {
  const tooLarge = {
    ok: false as const,
    code: 'frame_too_large' as const,
    message: `frame is larger than ${maxBytes} bytes`,
  }
  let text: string
  if (typeof raw === 'string') {
    // A string's UTF-8 length is at least its UTF-16 length: skip encoding hopeless frames.
    if (raw.length > maxBytes || utf8Encoder.encode(raw).byteLength > maxBytes) return tooLarge
    text = raw
  } else {
    if (raw.byteLength > maxBytes) return tooLarge
    try {
      text = strictUtf8Decoder.decode(raw)
    } catch {
      return { ok: false, code: 'malformed_json', message: 'frame is not valid UTF-8' }
    }
  }

  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, code: 'malformed_json', message: 'frame is not valid JSON' }
  }

  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const message = parsed.error.issues
      .slice(0, MAX_REPORTED_ISSUES)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'frame'}: ${issue.message}`)
      .join('; ')
    return { ok: false, code: 'invalid_frame', message }
  }
  return { ok: true, frame: parsed.data }
}

/** The JSON of a header a gateway set on an upgrade request, or undefined when absent or not JSON. */
export function parseJsonHeader(value: string | null): unknown {
  if (value === null || value === '') return undefined
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}

/** The end of an exhaustive switch over frame or notice types: unreachable when all are handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`)
}
