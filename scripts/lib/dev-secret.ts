/**
 * The development JWT secret: created once in `.dev.vars` (git-ignored, read by `wrangler dev`), so
 * tokens survive restarts. Production sets `AUTH_JWT_SECRET` with `wrangler secret put`.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Config } from '../../functions/lib/env'

const DEV_VARS_FILE = resolve('.dev.vars')

/** Returns the development secret, creating it in `.dev.vars` when absent. */
export function ensureDevSecret(): string {
  const text = existsSync(DEV_VARS_FILE) ? readFileSync(DEV_VARS_FILE, 'utf8') : ''
  const existing = text.match(/^AUTH_JWT_SECRET\s*=\s*"?([^"\n]+)"?\s*$/m)?.[1]
  if (existing) return existing
  const secret = randomBytes(32).toString('base64url')
  const separator = text === '' || text.endsWith('\n') ? '' : '\n'
  writeFileSync(DEV_VARS_FILE, `${text}${separator}AUTH_JWT_SECRET="${secret}"\n`, { mode: 0o600 })
  return secret
}

/**
 * What `issueAccessToken` needs to sign a local token with `secret` (the default issuer and
 * audience of `wrangler.toml`), for scripts that mint tokens for a `wrangler dev` they started.
 */
export function localTokenConfig(secret: string, ttlSeconds = 3600): Config {
  return {
    AUTH_JWT_SECRET: secret,
    AUTH_ISSUER: 'bbworlds-nexus',
    AUTH_AUDIENCE: 'bbworlds-nexus-api',
    AUTH_ACCESS_TTL_SECONDS: ttlSeconds,
  } as Config
}
