/**
 * The Worker's bindings and its configuration. Variables are parsed with zod when a request first
 * arrives (not at module load), so a missing or malformed variable becomes a `config_error` response
 * naming it, never a crash loop.
 */
import { z } from 'zod'
import { ApiError } from './errors'

/** Bindings declared in wrangler.toml (vars, secrets, Durable Objects). */
export interface Env {
  NEXUS_DATABASE_URL?: string
  MEMORY_DATABASE_URL?: string
  /** `host:port` of the local Neon-compatible WebSocket proxy; unset against Neon. */
  NEON_WS_PROXY?: string
  /** Milliseconds a health probe waits for a database. */
  HEALTH_DB_TIMEOUT_MS?: string
  APP_VERSION?: string
  INSTANCE_ROOM: DurableObjectNamespace
  QUEST_SESSION: DurableObjectNamespace
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
})

/** Parsed configuration. */
export type Config = z.infer<typeof ConfigSchema>

const parsed = new WeakMap<object, Config>()

/**
 * Returns the configuration parsed from `env`, cached per env object.
 * Throws `ApiError('config_error')` naming each bad variable.
 */
export function getConfig(env: Env): Config {
  const cached = parsed.get(env)
  if (cached) return cached
  const result = ConfigSchema.safeParse(env)
  if (!result.success) {
    const variables = result.error.issues.map((issue) => ({
      variable: String(issue.path[0]),
      problem: issue.message,
    }))
    throw new ApiError(
      'config_error',
      `server misconfigured: ${variables.map((v) => `${v.variable} ${v.problem}`).join('; ')}`,
      { variables },
    )
  }
  parsed.set(env, result.data)
  return result.data
}
