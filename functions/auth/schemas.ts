/** Request and response schemas of the built-in account routes. */
import { z } from '@hono/zod-openapi'

/** 3–32 of [a-z0-9_]; input is lower-cased first, so names are case-insensitive. */
export const UsernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,32}$/, { error: 'username must be 3-32 characters of a-z, 0-9 and _' })
  .openapi({ example: 'allen_builder' })

export const PasswordSchema = z
  .string()
  .min(10, { error: 'password must be at least 10 characters' })
  .max(256, { error: 'password must be at most 256 characters' })

export const RegisterBodySchema = z
  .strictObject({
    username: UsernameSchema,
    password: PasswordSchema,
    email: z.email().max(254).toLowerCase().optional(),
  })
  .openapi('RegisterBody')

export const LoginBodySchema = z
  .strictObject({
    // Any string up to the maximum: a malformed name fails like an unknown one (401, not 400).
    username: z.string().trim().toLowerCase().min(1).max(64),
    password: z.string().min(1).max(256),
  })
  .openapi('LoginBody')

export const RefreshBodySchema = z
  .strictObject({ refresh_token: z.string().min(16).max(128) })
  .openapi('RefreshBody')

export const SessionUserSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  email: z.string().nullable(),
  display_name: z.string().nullable(),
})

/** OAuth 2.0's token response (RFC 6749 §5.1) plus the signed-in user. */
export const TokenPairSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    /** Seconds the access token stays valid. */
    expires_in: z.number().int(),
    refresh_token: z.string(),
    user: SessionUserSchema,
  })
  .openapi('TokenPair')
