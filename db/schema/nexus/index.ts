/**
 * The nexus database (`bbworlds_nexus`): every table, one module per domain.
 * Functions, triggers and views are hand-written SQL in `db/migrations/nexus/`; the views are typed
 * in `leaderboards.ts`.
 */
export * from './users'
export * from './world'
export * from './quests'
export * from './challenges'
export * from './items'
export * from './buildings'
export * from './marketplace'
export * from './economy'
export * from './companions'
export * from './assets'
export * from './akashic'
export * from './deities'
export * from './meta'
export * from './leaderboards'
export * from './auth'
export * from './idempotency'
export * from './social'
export * from './moderation'
