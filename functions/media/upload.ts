/**
 * The upload pipeline: a request body streamed into the media bucket, never held whole.
 *
 * 1. The first bytes (`SNIFF_BYTES`) decide the type by their magic numbers (file-type), never
 *    the file name or the Content-Type header: PNG, JPEG, GIF and WebP images; MP3, Ogg, WAV,
 *    FLAC and M4A audio; text starting with `<` is tried as SVG. Anything else is refused
 *    before a byte is stored.
 * 2. Images and audio stream through a `FixedLengthStream` of the declared length into R2 as
 *    they arrive, counted on the way (more than the declared length or `MAX_MEDIA_BYTES` aborts
 *    the write). An image's width and height are read from its header (image-size) on a copy of
 *    the first bytes only, at most `MAX_HEADER_BYTES`; an image whose size cannot be read there
 *    is deleted again and refused.
 * 3. An SVG is parsed as it streams (`SvgSanitizer`) and only the sanitized document, which is
 *    no longer than the upload, is stored.
 */
import { fileTypeFromBuffer } from 'file-type'
import { imageSize } from 'image-size'
import { joinBytes } from '../lib/encoding'
import { ApiError } from '../lib/errors'
import { SvgRejected, SvgSanitizer, type SanitizedSvg } from './svg'

/** The seed's limit (`file_size_bytes <= 5000000`). */
export const MAX_MEDIA_BYTES = 5_000_000
/** Bytes read before the type is decided (file-type's recommended sample). */
const SNIFF_BYTES = 4_100
/** An image's size must be readable within its first MiB (JPEG's SOF follows its metadata). */
const MAX_HEADER_BYTES = 1024 * 1024

/** Types accepted, by the MIME type file-type reports, with the one we store. */
const ACCEPTED: Record<string, { media_type: 'image' | 'audio'; mime_type: string }> = {
  'image/png': { media_type: 'image', mime_type: 'image/png' },
  'image/jpeg': { media_type: 'image', mime_type: 'image/jpeg' },
  'image/gif': { media_type: 'image', mime_type: 'image/gif' },
  'image/webp': { media_type: 'image', mime_type: 'image/webp' },
  'audio/mpeg': { media_type: 'audio', mime_type: 'audio/mpeg' },
  'audio/ogg': { media_type: 'audio', mime_type: 'audio/ogg' },
  'audio/opus': { media_type: 'audio', mime_type: 'audio/ogg' },
  'audio/wav': { media_type: 'audio', mime_type: 'audio/wav' },
  'audio/vnd.wave': { media_type: 'audio', mime_type: 'audio/wav' },
  'audio/x-flac': { media_type: 'audio', mime_type: 'audio/flac' },
  'audio/flac': { media_type: 'audio', mime_type: 'audio/flac' },
  'audio/mp4': { media_type: 'audio', mime_type: 'audio/mp4' },
  'audio/x-m4a': { media_type: 'audio', mime_type: 'audio/mp4' },
}

/** What was stored. */
export interface StoredMedia {
  media_type: 'image' | 'audio' | 'svg'
  mime_type: string
  size_bytes: number
  width: number | null
  height: number | null
  /** Whole seconds, where the header tells (WAV); null otherwise. */
  duration_seconds: number | null
  svg: SanitizedSvg | null
}

const unsupported = (message: string) => new ApiError('unsupported_media_type', message)

/** Reads chunks until at least `bytes` are held or the stream ends. */
async function readHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  bytes: number,
): Promise<{ chunks: Uint8Array[]; length: number; done: boolean }> {
  const chunks: Uint8Array[] = []
  let length = 0
  while (length < bytes) {
    const { done, value } = await reader.read()
    if (done) return { chunks, length, done: true }
    chunks.push(value)
    length += value.byteLength
  }
  return { chunks, length, done: false }
}

/** Text that may be an SVG: optional BOM and white space, then `<`. */
function looksLikeXml(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
  while (i < head.length && [0x20, 0x09, 0x0a, 0x0d].includes(head[i])) i++
  return head[i] === 0x3c
}

/** Counts bytes through the pipeline, refusing more than `limit`. */
function tooLarge(limit: number) {
  return new ApiError('payload_too_large', `the file is larger than ${limit} bytes`)
}

/**
 * Streams `body` (declared `length` bytes) into `bucket` under `key`, deciding its type from its
 * first bytes. Throws `ApiError` (415 unsupported, 413 too large, 400 truncated) and leaves
 * nothing stored when it does.
 */
export async function storeUpload(
  bucket: R2Bucket,
  input: { key: string; body: ReadableStream<Uint8Array>; length: number },
): Promise<StoredMedia> {
  const { key, length } = input
  if (length > MAX_MEDIA_BYTES) throw tooLarge(MAX_MEDIA_BYTES)
  if (length === 0) throw new ApiError('validation_error', 'the file is empty')
  const reader = input.body.getReader()
  try {
    const head = await readHead(reader, Math.min(SNIFF_BYTES, length))
    const headBytes = joinBytes(head.chunks)
    const detected = await fileTypeFromBuffer(headBytes)
    const accepted = detected && ACCEPTED[detected.mime]
    if (accepted) {
      return await streamBinary(bucket, { key, length, reader, head: headBytes, accepted })
    }
    if ((!detected || detected.mime === 'application/xml') && looksLikeXml(headBytes)) {
      return await storeSvg(bucket, { key, length, reader, head: headBytes })
    }
    throw unsupported(
      detected
        ? `files of type ${detected.mime} are not accepted; upload PNG, JPEG, GIF, WebP, MP3, Ogg, WAV, FLAC, M4A or SVG`
        : 'the file type could not be recognised from its content',
    )
  } finally {
    reader.releaseLock()
  }
}

/**
 * A WAV file's length from its header: the `data` chunk's size over the `fmt ` chunk's byte rate,
 * rounded to whole seconds (the seed's column); null when the head does not hold both chunks.
 */
export function wavDurationSeconds(head: Uint8Array): number | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const tag = (at: number) => String.fromCharCode(...head.subarray(at, at + 4))
  let byteRate: number | null = null
  for (let at = 12; at + 8 <= head.byteLength;) {
    const size = view.getUint32(at + 4, true)
    if (tag(at) === 'fmt ' && at + 20 <= head.byteLength) byteRate = view.getUint32(at + 16, true)
    if (tag(at) === 'data') return byteRate ? Math.round(size / byteRate) : null
    at += 8 + size + (size % 2)
  }
  return null
}

/** Reads an image's width and height from a copy of its first bytes only, as they arrive. */
class ImageSizeReader {
  size: { width: number; height: number } | null = null
  private header: Uint8Array | null

  constructor(head: Uint8Array) {
    this.header = head
    this.read()
  }

  add(chunk: Uint8Array): void {
    if (this.header === null) return
    this.header = joinBytes([this.header, chunk])
    this.read()
  }

  private read(): void {
    const header = this.header
    if (header === null) return
    try {
      const found = imageSize(header)
      if (found.width && found.height) {
        this.size = { width: found.width, height: found.height }
        this.header = null
      }
    } catch {
      // Not enough of the header yet (a JPEG's size follows its metadata segments).
      if (header.byteLength >= MAX_HEADER_BYTES) this.header = null
    }
  }
}

async function streamBinary(
  bucket: R2Bucket,
  input: {
    key: string
    length: number
    reader: ReadableStreamDefaultReader<Uint8Array>
    head: Uint8Array
    accepted: { media_type: 'image' | 'audio'; mime_type: string }
  },
): Promise<StoredMedia> {
  const { key, length, reader, head, accepted } = input
  const isImage = accepted.media_type === 'image'
  const fixed = new FixedLengthStream(length)
  const writer = fixed.writable.getWriter()
  const stored = bucket.put(key, fixed.readable, {
    httpMetadata: { contentType: accepted.mime_type },
  })
  // The put's rejection is awaited below; this keeps it from being reported as unhandled first.
  stored.catch(() => undefined)
  const sizeReader = isImage ? new ImageSizeReader(head) : null
  let received = 0
  try {
    for (let chunk: Uint8Array | undefined = head; chunk !== undefined;) {
      received += chunk.byteLength
      if (received > length) throw tooLarge(length)
      await writer.write(chunk)
      if (chunk !== head) sizeReader?.add(chunk)
      const next = await reader.read()
      chunk = next.done ? undefined : next.value
    }
    if (received < length) {
      throw new ApiError('bad_request', 'the body ended before its Content-Length')
    }
    await writer.close()
    await stored
  } catch (error) {
    await writer.abort(error).catch(() => undefined)
    await stored.catch(() => undefined)
    await bucket.delete(key).catch(() => undefined)
    throw error
  }
  const dims = sizeReader?.size ?? null
  if (isImage && dims === null) {
    await bucket.delete(key)
    throw unsupported(
      `the ${accepted.mime_type} image's width and height could not be read from its first ${MAX_HEADER_BYTES} bytes`,
    )
  }
  return {
    media_type: accepted.media_type,
    mime_type: accepted.mime_type,
    size_bytes: received,
    width: dims?.width ?? null,
    height: dims?.height ?? null,
    duration_seconds: accepted.mime_type === 'audio/wav' ? wavDurationSeconds(head) : null,
    svg: null,
  }
}

async function storeSvg(
  bucket: R2Bucket,
  input: {
    key: string
    length: number
    reader: ReadableStreamDefaultReader<Uint8Array>
    head: Uint8Array
  },
): Promise<StoredMedia> {
  const { key, length, reader, head } = input
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
  const sanitizer = new SvgSanitizer()
  let received = 0
  let result: SanitizedSvg
  try {
    for (let chunk: Uint8Array | undefined = head; chunk !== undefined;) {
      received += chunk.byteLength
      if (received > length) throw tooLarge(length)
      sanitizer.write(decoder.decode(chunk, { stream: true }))
      const next = await reader.read()
      chunk = next.done ? undefined : next.value
    }
    sanitizer.write(decoder.decode())
    result = sanitizer.finish()
  } catch (error) {
    if (error instanceof SvgRejected) throw unsupported(`not a safe SVG: ${error.message}`)
    if (error instanceof TypeError) throw unsupported('an SVG must be UTF-8 text')
    throw error
  }
  if (received < length)
    throw new ApiError('bad_request', 'the body ended before its Content-Length')
  const bytes = new TextEncoder().encode(result.svg)
  if (bytes.byteLength > MAX_MEDIA_BYTES) throw tooLarge(MAX_MEDIA_BYTES)
  await bucket.put(key, bytes, { httpMetadata: { contentType: 'image/svg+xml' } })
  return {
    media_type: 'svg',
    mime_type: 'image/svg+xml',
    size_bytes: bytes.byteLength,
    width: result.width,
    height: result.height,
    duration_seconds: null,
    svg: result,
  }
}
