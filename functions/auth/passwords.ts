/**
 * Password hashing with PBKDF2-SHA256 through WebCrypto (workerd caps PBKDF2 at 100,000
 * iterations). Stored form: `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`, so the cost can
 * rise later without invalidating existing hashes.
 */
import { fromBase64, toBase64 } from '../lib/encoding'

/** The iteration count for new hashes (the workerd maximum). */
export const PBKDF2_ITERATIONS = 100_000
const SALT_BYTES = 16
const HASH_BITS = 256
const SCHEME = 'pbkdf2-sha256'

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password.normalize('NFKC')),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    HASH_BITS,
  )
  return new Uint8Array(bits)
}

/** Hashes `password` with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const hash = await derive(password, salt, PBKDF2_ITERATIONS)
  return `${SCHEME}$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`
}

/** Compares in time independent of where the inputs differ. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}

/** True when `password` matches `stored`. A malformed stored value never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split('$')
  const rounds = Number(iterations)
  if (scheme !== SCHEME || !Number.isInteger(rounds) || rounds < 1 || rounds > PBKDF2_ITERATIONS) {
    return false
  }
  const expected = fromBase64(hash ?? '')
  const actual = await derive(password, fromBase64(salt ?? ''), rounds)
  return constantTimeEqual(actual, expected)
}

/**
 * A hash of no one's password, verified against when the username is unknown so that an unknown
 * user and a wrong password take the same time.
 */
export const DECOY_PASSWORD_HASH = `${SCHEME}$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`
