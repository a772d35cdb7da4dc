/** The Hono environment shared by every router: bindings plus per-request variables. */
import type { Identity } from './auth'
import type { Env } from './env'
import type { Logger } from './logger'
import type { MemoryClient, NexusClient } from '../../db/client'

export interface AppVariables {
  requestId: string
  /** The request's logger: every line carries `request_id`. */
  log: Logger
  /** Set by `requireAuth`. */
  identity?: Identity
  nexusClient?: NexusClient
  memoryClient?: MemoryClient
  /** Work started by the request that may finish after the response (see `runAfterResponse`). */
  backgroundTasks?: Promise<unknown>[]
}

export interface AppEnv {
  Bindings: Env
  Variables: AppVariables
}
