/**
 * Built-in accounts, mounted at `/v1/auth`: `/register`, `/login`, `/refresh`, `/logout`.
 *
 * Abuse limits (README, "Abuse limits"; numbers in the configuration): registrations per client
 * address and day; failed logins per username and address, and per address over all usernames,
 * within 15 minutes. A login attempt reserves one unit of each before the password is checked, so
 * 30 wrong passwords sent at once get exactly the allowed number of 401s and then 429s; a
 * successful login gives the reservation back and clears the account's failures.
 */
import { createRoute } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../lib/context'
import { nexus } from '../lib/db'
import { getConfig } from '../lib/env'
import { ApiError } from '../lib/errors'
import { createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import {
  clientAddress,
  refundRateLimit,
  resetRateLimit,
  takeRateLimit,
  type RateLimit,
} from '../lib/rate-limits'
import { LoginBodySchema, RefreshBodySchema, RegisterBodySchema, TokenPairSchema } from './schemas'
import { assertNotBanned } from '../lib/bans'
import { login, logout, refresh, register } from './service'

const tags = ['auth']
const FAILED_LOGIN_WINDOW_MS = 15 * 60_000
const REGISTRATION_WINDOW_MS = 24 * 3_600_000

/** The limits of this router, from the configuration. */
function limitsOf(c: Context<AppEnv>) {
  const config = getConfig(c.env)
  return {
    account: {
      name: 'login-account',
      limit: config.LOGIN_FAILURES_PER_ACCOUNT,
      windowMs: FAILED_LOGIN_WINDOW_MS,
    },
    address: {
      name: 'login-address',
      limit: config.LOGIN_FAILURES_PER_ADDRESS,
      windowMs: FAILED_LOGIN_WINDOW_MS,
    },
    registrations: {
      name: 'register-address',
      limit: config.REGISTRATIONS_PER_ADDRESS_PER_DAY,
      windowMs: REGISTRATION_WINDOW_MS,
    },
  } satisfies Record<string, RateLimit>
}

export const authRouter = createRouter({ auth: false })
  .openapi(
    createRoute({
      method: 'post',
      path: '/register',
      tags,
      summary: 'Create an account (email optional) and sign in',
      request: { body: jsonBody(RegisterBodySchema) },
      responses: {
        201: jsonResponse(TokenPairSchema, 'Account created; tokens issued'),
        400: errorResponseSpec('Invalid username, password or email'),
        409: errorResponseSpec('Username or email already registered'),
        429: errorResponseSpec('Too many registrations from this address; see Retry-After'),
      },
    }),
    async (c) => {
      const address = clientAddress(c)
      const { registrations } = limitsOf(c)
      if (address) {
        await takeRateLimit(
          c,
          registrations,
          address,
          'too many accounts were registered from your address; try again later',
        )
      }
      try {
        const pair = await register(nexus(c).db, { config: getConfig(c.env), ...c.req.valid('json') })
        return c.json(pair, 201)
      } catch (error) {
        // Only an account that exists counts against the address.
        if (address) await refundRateLimit(c, registrations, address)
        throw error
      }
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/login',
      tags,
      summary: 'Sign in with username and password',
      request: { body: jsonBody(LoginBodySchema) },
      responses: {
        200: jsonResponse(TokenPairSchema, 'Signed in'),
        401: errorResponseSpec('Unknown user or wrong password (indistinguishable)'),
        403: errorResponseSpec('The account is banned (`details.reason = "banned"`)'),
        429: errorResponseSpec('Too many failed logins for this account or address; see Retry-After'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const address = clientAddress(c)
      const limits = limitsOf(c)
      const accountKey = `${body.username}|${address ?? '-'}`
      if (address) {
        await takeRateLimit(c, limits.address, address, 'too many failed logins from your address; try again later')
      }
      try {
        await takeRateLimit(c, limits.account, accountKey, 'too many failed logins for this username; try again later')
      } catch (error) {
        if (address) await refundRateLimit(c, limits.address, address)
        throw error
      }
      let pair
      try {
        pair = await login(nexus(c).db, { config: getConfig(c.env), ...body })
      } catch (error) {
        // A wrong password keeps its reservations; anything else was not a failed login.
        if (!(error instanceof ApiError && error.code === 'unauthorized')) {
          await refundRateLimit(c, limits.account, accountKey)
          if (address) await refundRateLimit(c, limits.address, address)
        }
        throw error
      }
      await resetRateLimit(c, limits.account, accountKey)
      if (address) await refundRateLimit(c, limits.address, address)
      // Only after the password: a ban is told to the account's owner, not to anyone guessing.
      await assertNotBanned(c, pair.user.id, { fresh: true })
      return c.json(pair, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/refresh',
      tags,
      summary: 'Exchange a refresh token for a new pair (the old one stops working)',
      description:
        'Refresh tokens rotate on every use. Presenting a rotated token again revokes its whole family.',
      request: { body: jsonBody(RefreshBodySchema) },
      responses: {
        200: jsonResponse(TokenPairSchema, 'New token pair'),
        401: errorResponseSpec('Invalid, expired, revoked or reused refresh token'),
        403: errorResponseSpec('The account is banned (`details.reason = "banned"`)'),
      },
    }),
    async (c) => {
      const pair = await refresh(nexus(c).db, { config: getConfig(c.env), ...c.req.valid('json') })
      await assertNotBanned(c, pair.user.id, { fresh: true })
      return c.json(pair, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      tags,
      summary: 'Revoke a refresh token and its family',
      request: { body: jsonBody(RefreshBodySchema) },
      responses: { 204: { description: 'Signed out (also for unknown tokens)' } },
    }),
    async (c) => {
      await logout(nexus(c).db, c.req.valid('json'))
      return c.body(null, 204)
    },
  )
