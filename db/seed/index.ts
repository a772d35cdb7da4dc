/**
 * Reference data for both databases. Idempotent: rows are upserted on their natural keys
 * (deity_name, (deity_id, blessing_name), asset_name, template name, tier, version, key) and only
 * rewritten when a value differs, so a second run changes nothing.
 */
import type { SqlClient } from '../sql-client'
import { ASSETS, POLY_HAVEN } from './assets'
import { BLESSINGS } from './blessings'
import { CHALLENGE_TEMPLATES } from './challenge-templates'
import { DEITIES, ringPosition } from './deities'
import { MEMORY_TIERS, SCHEMA_METADATA } from './memory-tiers'
import { SCHEMA_VERSIONS } from './schema-versions'
import { upsertRows } from './upsert'

export { ASSETS } from './assets'
export { BLESSINGS } from './blessings'
export { CHALLENGE_TEMPLATES } from './challenge-templates'
export { DEITIES } from './deities'
export { MEMORY_TIERS, SCHEMA_METADATA } from './memory-tiers'
export { SCHEMA_VERSIONS } from './schema-versions'

/** Seeds the nexus database: deities, blessings, assets, challenge templates, schema versions. */
export async function seedNexus(client: SqlClient): Promise<void> {
  await client.query('BEGIN')
  try {
    let ringIndex = 0
    await upsertRows(
      client,
      'deities',
      ['deity_name'],
      DEITIES.map((d) => {
        const position = d.hidden ? null : ringPosition(ringIndex++)
        return {
          deity_name: d.deityName,
          display_name: d.displayName,
          pantheon: d.pantheon,
          gender: d.gender,
          primary_color: d.primaryColor,
          color_hex: d.colorHex,
          position_x: position?.x ?? null,
          position_y: position?.y ?? null,
          position_z: position?.z ?? null,
          min_rank_required: d.minRankRequired,
          is_hidden: d.hidden !== undefined,
          unlock_method: d.hidden?.unlockMethod ?? 'rank',
          unlock_description:
            d.hidden?.unlockDescription ?? `Reach akashic rank ${d.minRankRequired}.`,
          primary_attribute: d.primaryAttribute,
          secondary_attribute: d.secondaryAttribute,
          voice_personality: d.voicePersonality,
          personality_archetype: d.personalityArchetype,
          in_ritual_ring: d.hidden === undefined,
          is_active: true,
          lore_description: d.loreDescription,
          quote: d.quote,
        }
      }),
    )

    const { rows } = await client.query<{ id: string; deity_name: string }>(
      'SELECT id, deity_name FROM deities',
    )
    const deityIds = new Map(rows.map((r) => [r.deity_name, r.id]))
    await upsertRows(
      client,
      'deity_blessings',
      ['deity_id', 'blessing_name'],
      BLESSINGS.map((b) => ({
        deity_id: deityIds.get(b.deityName),
        blessing_name: b.blessingName,
        display_name: b.displayName,
        description: b.description,
        primary_attribute: b.primaryAttribute,
        primary_bonus: b.primaryBonus,
        secondary_attribute: b.secondaryAttribute,
        secondary_bonus: b.secondaryBonus,
        theme_archetype: b.themeArchetype,
        companion_variant: b.companionVariant,
      })),
      { deity_id: 'uuid' },
    )

    await upsertRows(
      client,
      'assets',
      ['asset_name'],
      ASSETS.map((a) => ({
        asset_name: a.assetName,
        category: a.category,
        glb_path: POLY_HAVEN.glbPath(a.assetName),
        license: POLY_HAVEN.license,
        source: POLY_HAVEN.source,
        original_author: POLY_HAVEN.originalAuthor,
        original_url: POLY_HAVEN.url(a.assetName),
        owner_name: POLY_HAVEN.ownerName,
        display_name: a.displayName,
        tags: a.tags,
        has_collisions: a.hasCollisions,
      })),
      { tags: 'text[]' },
    )

    await upsertRows(
      client,
      'challenge_templates',
      ['name'],
      CHALLENGE_TEMPLATES.map((t) => ({
        name: t.name,
        description: t.description,
        challenge_type: t.challengeType,
        category: t.category,
        template_structure: t.templateStructure,
        requires_user_uploads: t.requiresUserUploads,
        max_user_uploads: t.maxUserUploads,
        allowed_upload_types: t.allowedUploadTypes,
        complexity_level: t.complexityLevel,
        default_difficulty: t.defaultDifficulty,
        ai_can_generate: t.aiCanGenerate,
        ai_generation_prompt: t.aiGenerationPrompt,
        is_official: true,
        is_public: true,
      })),
      { template_structure: 'jsonb', allowed_upload_types: 'text[]' },
    )

    await upsertRows(
      client,
      'schema_version',
      ['version'],
      SCHEMA_VERSIONS.map((v) => ({ version: v.version, description: v.description })),
    )
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}

/** Seeds the memory database: the 4 tier rows and the schema metadata. */
export async function seedMemory(client: SqlClient): Promise<void> {
  await client.query('BEGIN')
  try {
    await upsertRows(
      client,
      'memory_tier_config',
      ['tier'],
      MEMORY_TIERS.map((t) => ({
        tier: t.tier,
        max_memories: t.maxMemories,
        compression_after_days: t.compressionAfterDays,
        target_compression_type: t.targetCompressionType,
        max_storage_bytes: t.maxStorageBytes,
        description: t.description,
      })),
      { tier: 'memory_tier_enum', target_compression_type: 'compression_type_enum' },
    )
    await upsertRows(client, 'schema_metadata', ['key'], [...SCHEMA_METADATA])
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}
