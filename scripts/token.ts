/**
 * `npm run token -- --user <name> [--role admin|service|moderator|player] [--ttl <seconds>]`:
 * prints an access token for scripts and manual tests, signed with the development secret. The
 * user is created in the nexus database when it does not exist yet (needs `npm start` or
 * `npm run db` running).
 */
import { parseArgs } from 'node:util'
import { issueAccessToken, ROLES, type Role } from '../functions/lib/auth'
import type { Config } from '../functions/lib/env'
import { ensureDevSecret } from './lib/dev-secret'
import { withPgClient } from './lib/local-stack'
import { databaseUrls } from './migrate'

const { values } = parseArgs({
  options: {
    user: { type: 'string' },
    role: { type: 'string', multiple: true },
    ttl: { type: 'string', default: '3600' },
  },
})
const username = values.user?.toLowerCase()
if (!username || !/^[a-z0-9_]{3,32}$/.test(username)) {
  console.error('usage: npm run token -- --user <name> [--role admin|service] [--ttl seconds]')
  process.exit(2)
}
const roles = (values.role ?? ['player']) as Role[]
const unknownRole = roles.find((r) => !(ROLES as readonly string[]).includes(r))
if (unknownRole) {
  console.error(`unknown role ${unknownRole}; one of ${ROLES.join(', ')}`)
  process.exit(2)
}

const userId = await withPgClient(databaseUrls().nexusUrl, async (client) => {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO users (username) VALUES ($1)
     ON CONFLICT DO NOTHING RETURNING id`,
    [username],
  )
  if (rows[0]) return rows[0].id
  const found = await client.query<{ id: string }>(
    'SELECT id FROM users WHERE lower(username) = $1',
    [username],
  )
  return found.rows[0].id
})

const config = {
  AUTH_JWT_SECRET: process.env.AUTH_JWT_SECRET || ensureDevSecret(),
  AUTH_ISSUER: process.env.AUTH_ISSUER || 'bbworlds-nexus',
  AUTH_AUDIENCE: process.env.AUTH_AUDIENCE || 'bbworlds-nexus-api',
  AUTH_ACCESS_TTL_SECONDS: Number(values.ttl),
} as Config
const { token } = await issueAccessToken({ userId, username, roles }, config)
console.log(token)
