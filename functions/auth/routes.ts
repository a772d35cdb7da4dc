/** Built-in accounts: `/v1/auth/register`, `/login`, `/refresh`, `/logout`. */
import { createRoute } from '@hono/zod-openapi'
import { nexus } from '../lib/db'
import { getConfig } from '../lib/env'
import { createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { LoginBodySchema, RefreshBodySchema, RegisterBodySchema, TokenPairSchema } from './schemas'
import { login, logout, refresh, register } from './service'

const tags = ['auth']

export const authRouter = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/register',
      tags,
      summary: 'Create an account (email optional) and sign in',
      request: { body: jsonBody(RegisterBodySchema) },
      responses: {
        201: jsonResponse(TokenPairSchema, 'Account created; tokens issued'),
        400: errorResponseSpec('Invalid username, password or email'),
        409: errorResponseSpec('Username or email already registered'),
      },
    }),
    async (c) => {
      const pair = await register(nexus(c).db, getConfig(c.env), c.req.valid('json'))
      return c.json(pair, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/login',
      tags,
      summary: 'Sign in with username and password',
      request: { body: jsonBody(LoginBodySchema) },
      responses: {
        200: jsonResponse(TokenPairSchema, 'Signed in'),
        401: errorResponseSpec('Unknown user or wrong password (indistinguishable)'),
        429: errorResponseSpec('Five failed logins within 15 minutes; see Retry-After'),
      },
    }),
    async (c) => c.json(await login(nexus(c).db, getConfig(c.env), c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/refresh',
      tags,
      summary: 'Exchange a refresh token for a new pair (the old one stops working)',
      description:
        'Refresh tokens rotate on every use. Presenting a rotated token again revokes its whole family.',
      request: { body: jsonBody(RefreshBodySchema) },
      responses: {
        200: jsonResponse(TokenPairSchema, 'New token pair'),
        401: errorResponseSpec('Invalid, expired, revoked or reused refresh token'),
      },
    }),
    async (c) => {
      const { refreshToken } = c.req.valid('json')
      return c.json(await refresh(nexus(c).db, getConfig(c.env), refreshToken), 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/logout',
      tags,
      summary: 'Revoke a refresh token and its family',
      request: { body: jsonBody(RefreshBodySchema) },
      responses: { 204: { description: 'Signed out (also for unknown tokens)' } },
    }),
    async (c) => {
      await logout(nexus(c).db, c.req.valid('json').refreshToken)
      return c.body(null, 204)
    },
  )
