/**
 * `NexusClient`: one signed-in user's way into NEXUS. `api` is the typed HTTP client generated
 * from the API's OpenAPI document (openapi-fetch over `generated/openapi.ts`), authenticated by
 * the session; `joinRoom` and `observeRoom` open live room connections with the same session.
 */
import createClient, { type Client } from 'openapi-fetch'
import type { paths } from './generated/openapi'
import { RoomClient, type RoomClientOptions } from './room/client'
import { NexusSession, type SessionTokens, type TokenPair } from './session'

/** The typed HTTP client: `api.GET('/v1/users/me')`, `api.POST('/v1/instances', { body })`. */
export type NexusApi = Client<paths>

/** Where NEXUS is and how to talk to it. */
export interface NexusClientOptions {
  /** The API's base URL, e.g. `http://localhost:8787`. */
  baseUrl: string
  /** Tokens of an earlier session, and where new ones go (e.g. `localStorage`). */
  tokens?: SessionTokens | null
  onTokens?: (tokens: SessionTokens | null) => void
  /** The WebSocket class for rooms; the global one by default (pass `ws`'s in Node 20). */
  WebSocket?: unknown
  /** The fetch to use (the global one by default). */
  fetch?: (request: Request) => Promise<Response>
}

/** Room options a caller may set (the rest come from the client). */
export type JoinRoomOptions = Omit<
  RoomClientOptions,
  'baseUrl' | 'instanceId' | 'accessToken' | 'mode'
>

/** Thrown for an API answer that is not a success: the envelope's code, message and status. */
export class NexusApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'NexusApiError'
  }
}

/** One user's client; see the file comment. */
export class NexusClient {
  readonly api: NexusApi
  readonly session: NexusSession
  private readonly options: NexusClientOptions

  constructor(options: NexusClientOptions) {
    this.options = options
    this.session = new NexusSession({
      baseUrl: options.baseUrl,
      fetch: options.fetch,
      tokens: options.tokens,
      onChange: options.onTokens,
    })
    this.api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      fetch: this.session.authenticatedFetch,
    })
  }

  /** Creates an account and signs in. */
  async register(username: string, password: string): Promise<TokenPair> {
    return this.signIn(this.api.POST('/v1/auth/register', { body: { username, password } }))
  }

  /** Signs in with a username and password. */
  async login(username: string, password: string): Promise<TokenPair> {
    return this.signIn(this.api.POST('/v1/auth/login', { body: { username, password } }))
  }

  /** Signs out (revokes the refresh token when there is one). */
  async logout(): Promise<void> {
    const refreshToken = this.session.tokens?.refresh_token
    if (refreshToken)
      await this.api.POST('/v1/auth/logout', { body: { refresh_token: refreshToken } })
    this.session.clear()
  }

  /** Enters an instance's live room as a player. */
  joinRoom(instanceId: string, options: JoinRoomOptions = {}): RoomClient {
    return this.room(instanceId, 'player', options)
  }

  /** Watches an instance's live room read-only (moderators and admins). */
  observeRoom(instanceId: string, options: JoinRoomOptions = {}): RoomClient {
    return this.room(instanceId, 'observer', options)
  }

  private room(instanceId: string, mode: 'player' | 'observer', options: JoinRoomOptions) {
    return new RoomClient({
      WebSocket: this.options.WebSocket,
      ...options,
      baseUrl: this.options.baseUrl,
      instanceId,
      mode,
      accessToken: () => this.session.accessToken(),
    })
  }

  private async signIn(
    call: Promise<{ data?: TokenPair; error?: unknown; response: Response }>,
  ): Promise<TokenPair> {
    const tokens = unwrap(await call)
    this.session.setTokens(tokens)
    return tokens
  }
}

/** The data of an openapi-fetch result, or its error envelope thrown as `NexusApiError`. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error === undefined && result.data !== undefined) return result.data
  const envelope = (result.error ?? {}) as {
    error?: { code?: string; message?: string; details?: unknown }
  }
  throw new NexusApiError(
    result.response.status,
    envelope.error?.code ?? 'unknown',
    envelope.error?.message ?? `HTTP ${result.response.status}`,
    envelope.error?.details,
  )
}
