import { defineConfig } from 'drizzle-kit'

/** drizzle-kit for the memory database: `npx drizzle-kit generate --config drizzle.memory.config.ts`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/memory/index.ts',
  out: './db/migrations/memory',
})
