/**
 * The Worker's bindings and its configuration. Variables are parsed with zod when a request first
 * arrives (not at module load), so a missing or malformed variable becomes a `config_error` response
 * and a log line naming it, never a crash loop. The response names no variable: it goes to anonymous
 * callers, and the deployment's shape is the operator's business.
 */
import { z } from 'zod'
import type { InstanceRoom } from '../../durable-objects/instance-room'
import type { QuestSession } from '../../durable-objects/quest-session'
import type { RateLimiter } from '../../durable-objects/rate-limiter'
import type { BanList } from '../../durable-objects/ban-list'
import { ApiError } from './errors'
import { log } from './logger'

/** Bindings declared in wrangler.toml (vars, secrets, Durable Objects). */
export interface Env {
  /** The live room's broadcast tick in ms (20–100); unset means `TICK_MS` (instance-room/config.ts). */
  ROOM_TICK_MS?: string
  NEXUS_DATABASE_URL?: string
  MEMORY_DATABASE_URL?: string
  /** `host:port` of the local Neon-compatible WebSocket proxy; unset against Neon. */
  NEON_WS_PROXY?: string
  /** Milliseconds a health probe waits for a database. */
  HEALTH_DB_TIMEOUT_MS?: string
  APP_VERSION?: string
  /** HS256 secret of the tokens this service issues; unset disables built-in accounts. */
  AUTH_JWT_SECRET?: string
  AUTH_ISSUER?: string
  AUTH_AUDIENCE?: string
  AUTH_ACCESS_TTL_SECONDS?: string
  AUTH_REFRESH_TTL_SECONDS?: string
  /** The external gateway's issuer; unset disables gateway tokens. */
  AUTH_GATEWAY_ISSUER?: string
  AUTH_GATEWAY_AUDIENCE?: string
  /** Where the gateway publishes its signing keys (JWKS), or the key set itself as JSON. */
  AUTH_JWKS_URL?: string
  AUTH_JWKS_JSON?: string
  /** Workers AI: memory embeddings; unset falls back to the local stand-in embedder. */
  AI?: Ai
  /** Abuse-limit policy (see `ConfigSchema` and README, "Abuse limits"); defaults apply when unset. */
  LOGIN_FAILURES_PER_ACCOUNT?: string
  LOGIN_FAILURES_PER_ADDRESS?: string
  REGISTRATIONS_PER_ADDRESS_PER_DAY?: string
  TOKENS_OUTBOUND_MIN_ACCOUNT_AGE_HOURS?: string
  TOKENS_NEW_ACCOUNT_DAYS?: string
  TOKENS_NEW_ACCOUNT_DAILY_OUTBOUND?: string
  /** Percent of each marketplace sale that goes to the house account (README, "Marketplace"). */
  MARKETPLACE_FEE_PERCENT?: string
  /** Live instances, by canonical instance id (reach them through `instances/room-gateway.ts`). */
  INSTANCE_ROOM: DurableObjectNamespace<InstanceRoom>
  /** Live quest sessions. */
  QUEST_SESSION: DurableObjectNamespace<QuestSession>
  /** Abuse limits by key (reach them through `lib/rate-limits.ts`). */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>
  /** The accounts banned now (reach it through `lib/bans.ts`). */
  BAN_LIST: DurableObjectNamespace<BanList>
  /** Uploaded media (`functions/media`): images, audio and SVG. */
  MEDIA_BUCKET: R2Bucket
  /** Milliseconds between the words of the local companion responder's stream (0: no pause). */
  COMPANION_LOCAL_CHUNK_DELAY_MS?: string
}

const postgresUrl = z
  .string({ error: 'is required' })
  .url({ error: 'must be a postgres:// URL' })
  .refine((u) => /^postgres(ql)?:\/\//.test(u), { error: 'must be a postgres:// URL' })

const ConfigSchema = z.object({
  NEXUS_DATABASE_URL: postgresUrl,
  MEMORY_DATABASE_URL: postgresUrl,
  NEON_WS_PROXY: z
    .string()
    .regex(/^[\w.-]+:\d{1,5}$/, { error: 'must be host:port' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  HEALTH_DB_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3_000),
  APP_VERSION: z.string().default('0.1.0'),
  AUTH_JWT_SECRET: z
    .string()
    .min(32, { error: 'must be at least 32 characters' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  AUTH_ISSUER: z.string().min(1).default('bbworlds-nexus'),
  AUTH_AUDIENCE: z.string().min(1).default('bbworlds-nexus-api'),
  AUTH_ACCESS_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  AUTH_REFRESH_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(30 * 86_400),
  AUTH_GATEWAY_ISSUER: z.string().min(1).optional(),
  AUTH_GATEWAY_AUDIENCE: z.string().min(1).default('bbworlds-nexus'),
  AUTH_JWKS_URL: z.string().url({ error: 'must be an https URL' }).optional(),
  /** Failed logins per username and client address within 15 minutes before 429. */
  LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  /** Failed logins per client address (any usernames) within 15 minutes before 429. */
  LOGIN_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
  /** Accounts one client address may register within 24 hours. */
  REGISTRATIONS_PER_ADDRESS_PER_DAY: z.coerce.number().int().min(1).default(10),
  /** Hours after registration before an account may send tokens to another player. */
  TOKENS_OUTBOUND_MIN_ACCOUNT_AGE_HOURS: z.coerce.number().min(0).default(72),
  /** Days an account counts as new, with its outbound tokens capped per UTC day. */
  TOKENS_NEW_ACCOUNT_DAYS: z.coerce.number().min(0).default(30),
  /** Tokens a new account may send to other players per UTC day. */
  TOKENS_NEW_ACCOUNT_DAILY_OUTBOUND: z.coerce.number().int().min(0).default(200),
  /**
   * Percent of a marketplace sale's total the house keeps (rounded down to whole tokens); the
   * seller receives the rest.
   */
  MARKETPLACE_FEE_PERCENT: z.coerce.number().min(0).max(50).default(5),
  /** Pause between the words the local companion responder streams (functions/companions). */
  COMPANION_LOCAL_CHUNK_DELAY_MS: z.coerce.number().int().min(0).max(1_000).default(0),
  AUTH_JWKS_JSON: z
    .string()
    .optional()
    .refine(
      (text) => {
        if (text === undefined) return true
        try {
          return Array.isArray(JSON.parse(text).keys)
        } catch {
          return false
        }
      },
      { error: 'must be a JSON Web Key Set ({"keys": [...]})' },
    ),
})

/** Parsed configuration. */
export type Config = z.infer<typeof ConfigSchema>

const parsed = new WeakMap<object, Config>()

/** The message of every `config_error` response (the variables are in the log line). */
export const CONFIG_ERROR_MESSAGE =
  'the server is misconfigured; the operator can find the details in the logs'

/**
 * Returns the configuration parsed from `env`, cached per env object. On a bad variable, logs a
 * line naming each one and its problem (never its value), and throws `ApiError('config_error')`
 * with a generic message.
 */
export function getConfig(env: Env): Config {
  const cached = parsed.get(env)
  if (cached) return cached
  const result = ConfigSchema.safeParse(env)
  if (!result.success) {
    // A value can fail two checks with one message (a URL that is neither URL nor postgres://).
    const problems = new Set(
      result.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`),
    )
    // Logged here rather than by the error handler, so every caller (requests, the scheduled
    // handler, Durable Objects) leaves the reason in the log; the caller logs its own request id.
    log('error', 'configuration invalid', { problems: [...problems] })
    throw new ApiError('config_error', CONFIG_ERROR_MESSAGE)
  }
  parsed.set(env, result.data)
  return result.data
}
