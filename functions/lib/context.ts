/** The Hono environment shared by every router: bindings plus per-request variables. */
import type { Identity } from './auth'
import type { Env } from './env'
import type { MemoryClient, NexusClient } from '../../db/client'

export interface AppVariables {
  requestId: string
  /** Set by `requireAuth`. */
  identity?: Identity
  nexusClient?: NexusClient
  memoryClient?: MemoryClient
}

export interface AppEnv {
  Bindings: Env
  Variables: AppVariables
}
