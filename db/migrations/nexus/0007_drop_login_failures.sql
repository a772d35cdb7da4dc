-- Failed logins are counted by the RateLimiter Durable Object now (functions/auth/routes.ts),
-- atomically and per client address; the table could not be counted atomically.
DROP TABLE "login_failures" CASCADE;