/**
 * The gateway's remote key set (`AUTH_JWKS_URL`), kept per isolate as data.
 *
 * Not jose's `createRemoteJWKSet`: it shares one in-flight fetch between its callers, and in
 * workerd a promise shared between requests runs the waiter's continuation in the context of the
 * request whose I/O settled it, and hangs the waiter when that request ends first (see
 * `lib/bans.ts`). Here a request that finds the set missing or stale fetches it itself; the others
 * keep using the set held.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'

/** How long a fetched key set is used before it is fetched again. */
export const REMOTE_JWKS_TTL_MS = 10 * 60_000
/** Least time between two fetches asked for by an unknown key id (a rotation). */
export const REMOTE_JWKS_COOLDOWN_MS = 30_000
/** How long a fetch may take. */
const FETCH_TIMEOUT_MS = 5_000

interface HeldKeySet {
  keys: JWTVerifyGetKey
  fetchedAtMs: number
}

/** Key sets by URL, with the fetch and clock they use (injectable for tests). */
export function remoteKeySets(
  options: { fetch?: typeof fetch; now?: () => number } = {},
): (url: string, reason?: 'unknown_key') => Promise<JWTVerifyGetKey> {
  const fetchSet = options.fetch ?? ((input, init) => fetch(input, init))
  const now = options.now ?? Date.now
  const held = new Map<string, HeldKeySet>()
  return async (url, reason) => {
    const current = held.get(url)
    const age = current ? now() - current.fetchedAtMs : Infinity
    const due =
      age >= REMOTE_JWKS_TTL_MS || (reason === 'unknown_key' && age >= REMOTE_JWKS_COOLDOWN_MS)
    if (current && !due) return current.keys
    try {
      const response = await fetchSet(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      })
      if (!response.ok) throw new Error(`the key set answered ${response.status}`)
      const keys = createLocalJWKSet((await response.json()) as JSONWebKeySet)
      held.set(url, { keys, fetchedAtMs: now() })
      return keys
    } catch (error) {
      // A gateway outage keeps the last set in use; with none, tokens are refused (401).
      // Retried after the cooldown, not on every request while the gateway is down.
      if (!current) throw error
      held.set(url, {
        keys: current.keys,
        fetchedAtMs: now() - REMOTE_JWKS_TTL_MS + REMOTE_JWKS_COOLDOWN_MS,
      })
      return current.keys
    }
  }
}
