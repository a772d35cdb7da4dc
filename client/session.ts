/**
 * The signed-in session: the access and refresh tokens, and the refresh rules.
 *
 * - Before a request (and before each room connection) an access token that expires within
 *   `refreshMarginMs` is refreshed first, so most requests never see an expired token.
 * - A request answered 401 is refreshed once and retried once (`authenticatedFetch`), which
 *   covers a token that expired in flight or a client clock behind the server's.
 * - Refreshes are single-flight: concurrent requests share one `POST /v1/auth/refresh`. This
 *   matters because refresh tokens rotate and reusing a rotated one revokes the whole family.
 * - A refresh the server refuses signs the session out (`onChange(null)`).
 */
import type { components } from './generated/openapi'

/** What register, login and refresh answer (OAuth 2.0's token response plus the user). */
export type TokenPair = components['schemas']['TokenPair']

/** The tokens a session holds; persist them with `onChange` to survive a page reload. */
export interface SessionTokens {
  access_token: string
  /** Null for a token minted elsewhere (`npm run token`, the gateway): it cannot be refreshed. */
  refresh_token: string | null
  /** The signed-in user, when the server said who it is. */
  user: TokenPair['user'] | null
}

/** How a session starts and where its changes go. */
export interface SessionOptions {
  baseUrl: string
  fetch?: (request: Request) => Promise<Response>
  /** Tokens from an earlier session (e.g. read back from storage). */
  tokens?: SessionTokens | null
  /** Called after every sign-in, refresh and sign-out (null). */
  onChange?: (tokens: SessionTokens | null) => void
  /** Refresh an access token this long before it expires. */
  refreshMarginMs?: number
}

/** The `exp` of a JWT in epoch milliseconds, or null when it has none (or is not a JWT). */
export function tokenExpiresAtMs(token: string): number | null {
  try {
    const payload = token.split('.')[1]
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === 'number' ? exp * 1000 : null
  } catch {
    return null
  }
}

/** The roles a token carries (`player`, `moderator`, `admin`, `service`); read, not verified. */
export function tokenRoles(token: string): string[] {
  try {
    const json = atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))
    const roles = (JSON.parse(json) as { roles?: unknown }).roles
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : []
  } catch {
    return []
  }
}

/** The tokens of one signed-in user and the rules to keep them fresh; see the file comment. */
export class NexusSession {
  private current: SessionTokens | null
  private refreshing: Promise<boolean> | null = null
  private readonly baseUrl: string
  private readonly baseFetch: (request: Request) => Promise<Response>
  private readonly onChange?: (tokens: SessionTokens | null) => void
  private readonly refreshMarginMs: number

  constructor(options: SessionOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '')
    this.baseFetch = options.fetch ?? ((request) => fetch(request))
    this.current = options.tokens ?? null
    this.onChange = options.onChange
    this.refreshMarginMs = options.refreshMarginMs ?? 30_000
  }

  /** The tokens held now (null when signed out). */
  get tokens(): SessionTokens | null {
    return this.current
  }

  /** Signs in with a token pair (register, login) or a bare access token. */
  setTokens(tokens: TokenPair | SessionTokens | { access_token: string }): void {
    this.current = {
      access_token: tokens.access_token,
      refresh_token: 'refresh_token' in tokens ? tokens.refresh_token : null,
      user: 'user' in tokens ? tokens.user : null,
    }
    this.onChange?.(this.current)
  }

  /** Forgets the tokens (signed out). */
  clear(): void {
    this.current = null
    this.onChange?.(null)
  }

  /**
   * An access token to use now: refreshed first when it expires within the margin and a refresh
   * token is held. Null when signed out.
   */
  async accessToken(): Promise<string | null> {
    const tokens = this.current
    if (!tokens) return null
    const expiresAt = tokenExpiresAtMs(tokens.access_token)
    if (
      tokens.refresh_token &&
      expiresAt !== null &&
      expiresAt - Date.now() < this.refreshMarginMs
    ) {
      await this.refresh(tokens.access_token)
    }
    return this.current?.access_token ?? null
  }

  /**
   * Exchanges the refresh token for new tokens, once for any number of concurrent callers.
   * `staleAccessToken`: the token a caller saw fail; when the session already holds a newer one,
   * nothing is refreshed. Resolves true when a usable token is held afterwards.
   */
  refresh(staleAccessToken?: string): Promise<boolean> {
    if (staleAccessToken !== undefined && this.current?.access_token !== staleAccessToken) {
      return Promise.resolve(this.current !== null)
    }
    this.refreshing ??= this.refreshNow().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  /**
   * `fetch` with the session's bearer token; a 401 is refreshed once and retried once. Give it
   * to any HTTP client (the SDK's typed client uses it).
   */
  readonly authenticatedFetch = async (request: Request): Promise<Response> => {
    // The body is read once, so the retry can send it again (bodies are small JSON).
    const body =
      request.method === 'GET' || request.method === 'HEAD'
        ? undefined
        : await request.arrayBuffer()
    const send = (token: string | null) => this.baseFetch(withBearer(request, body, token))
    const token = await this.accessToken()
    const response = await send(token)
    if (response.status !== 401 || token === null || !this.current?.refresh_token) return response
    if (!(await this.refresh(token))) return response
    return send(this.current?.access_token ?? null)
  }

  private async refreshNow(): Promise<boolean> {
    const refreshToken = this.current?.refresh_token
    if (!refreshToken) return false
    let response: Response
    try {
      response = await this.baseFetch(
        new Request(`${this.baseUrl}/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: refreshToken }),
        }),
      )
    } catch {
      return false // offline: keep the tokens, the next request tries again
    }
    if (response.ok) {
      this.setTokens((await response.json()) as TokenPair)
      return true
    }
    // Refused (expired, revoked, rotated): signed out. Anything else (5xx, 429): try again later.
    if (response.status === 400 || response.status === 401) this.clear()
    return false
  }
}

function withBearer(
  request: Request,
  body: ArrayBuffer | undefined,
  token: string | null,
): Request {
  const headers = new Headers(request.headers)
  if (token !== null) headers.set('Authorization', `Bearer ${token}`)
  return new Request(request.url, {
    method: request.method,
    headers,
    body,
    redirect: request.redirect,
    signal: request.signal,
  })
}
