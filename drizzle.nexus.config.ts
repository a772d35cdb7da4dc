import { defineConfig } from 'drizzle-kit'

/** drizzle-kit for the nexus database: `npx drizzle-kit generate --config drizzle.nexus.config.ts`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/nexus/index.ts',
  out: './db/migrations/nexus',
})
