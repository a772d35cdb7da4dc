/** Byte encodings and hashes shared by auth, pagination and idempotency (WebCrypto, no Node APIs). */

/** Bytes per `String.fromCharCode` call: spreading a whole model's bytes would overflow the stack. */
const BINARY_STRING_CHUNK_BYTES = 0x8000

/** Standard base64 (with padding) of `bytes`, of any size. */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += BINARY_STRING_CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(i, i + BINARY_STRING_CHUNK_BYTES))
  }
  return btoa(binary)
}

/** Bytes of a standard or URL-safe base64 string (padding optional). */
export const fromBase64 = (text: string): Uint8Array =>
  Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (ch) => ch.charCodeAt(0))

/** URL-safe base64 without padding. */
export const toBase64Url = (bytes: Uint8Array): string =>
  toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')

/** SHA-256 of the UTF-8 text, as lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** Byte pieces joined into one array (a frame of records, a stream's first chunks). */
export function joinBytes(pieces: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const piece of pieces) size += piece.length
  const joined = new Uint8Array(size)
  let at = 0
  for (const piece of pieces) {
    joined.set(piece, at)
    at += piece.length
  }
  return joined
}
