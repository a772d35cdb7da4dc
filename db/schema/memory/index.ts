/**
 * The memory database (`voice_ninja`, needs pgvector): every table and enum, one module per
 * domain. Functions, triggers and views are hand-written SQL in `db/migrations/memory/`.
 */
export * from './enums'
export * from './memories'
export * from './relationships'
export * from './compression'
export * from './agents'
export * from './meta'
