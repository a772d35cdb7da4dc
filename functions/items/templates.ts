/**
 * Item templates (admin and service roles): CRUD of `item_templates`, and generation of concrete
 * catalogue items from them (`generation.ts` draws the variable parts from a seeded generator).
 * A template is checked at write time to make an item type, so generation cannot fail later.
 */
import { and, desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { items, itemTemplates, type ItemTemplate } from '../../db/schema/nexus'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { generateItem, templateItemType } from './generation'
import {
  GenerationRulesSchema,
  ITEM_TYPES,
  MAX_GENERATION_SEED,
  TemplateDataSchema,
  type CreateTemplateBody,
  type TemplateData,
  type UpdateTemplateBody,
} from './schemas'
import { existingUserId, itemResource } from './service'

/** The API representation of a template. */
export function templateResource(row: ItemTemplate) {
  return {
    id: row.id,
    category: row.category,
    template_data: row.templateData as Record<string, unknown>,
    generation_rules: (row.generationRules ?? null) as Record<string, unknown> | null,
    created_at: isoTimestamp(row.createdAt),
  }
}

async function loadTemplate(db: Db, templateId: string): Promise<ItemTemplate> {
  const [row] = await db.select().from(itemTemplates).where(eq(itemTemplates.id, templateId))
  if (!row) throw new ApiError('not_found', 'no item template with that id')
  return row
}

/** 400 unless the template makes an item type (its `template_data.item_type`, or its category). */
function assertMakesItems(category: string, templateData: TemplateData) {
  if (templateItemType({ category, template_data: templateData }) === null) {
    throw new ApiError(
      'validation_error',
      `the template makes no item: set template_data.item_type, or use a category among ${ITEM_TYPES.join(', ')}`,
      [
        {
          path: ['template_data', 'item_type'],
          code: 'custom',
          message: 'required for this category',
        },
      ],
    )
  }
}

/** Templates, newest first, optionally of one category. */
export async function listTemplates(
  db: Db,
  input: { actor: Identity; category?: string; limit: number; cursor?: TimestampIdCursor },
) {
  const createdAt = itemTemplates.createdAt
  const rows = await db
    .select({ template: itemTemplates, cursorT: cursorTimestamp(createdAt) })
    .from(itemTemplates)
    .where(
      and(
        input.category ? eq(itemTemplates.category, input.category) : undefined,
        afterTimestampId(createdAt, itemTemplates.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(createdAt), desc(itemTemplates.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => templateResource(r.template),
    (r) => ({ t: r.cursorT, id: r.template.id }),
  )
}

/** One template. */
export async function getTemplate(db: Db, input: { actor: Identity; template_id: string }) {
  return templateResource(await loadTemplate(db, input.template_id))
}

/** Creates a template. */
export async function createTemplate(db: Db, input: { actor: Identity } & CreateTemplateBody) {
  assertMakesItems(input.category, input.template_data)
  const [row] = await db
    .insert(itemTemplates)
    .values({
      category: input.category,
      templateData: input.template_data,
      generationRules: input.generation_rules ?? null,
    })
    .returning()
  return templateResource(row)
}

/** Changes a template; items generated before keep what they were made with. */
export async function updateTemplate(
  db: Db,
  input: { actor: Identity; template_id: string; changes: UpdateTemplateBody },
) {
  const { template_id: templateId, changes } = input
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(itemTemplates)
      .where(eq(itemTemplates.id, templateId))
      .for('update')
    if (!current) throw new ApiError('not_found', 'no item template with that id')
    const category = changes.category ?? current.category
    const templateData = changes.template_data ?? (current.templateData as TemplateData)
    assertMakesItems(category, templateData)
    const [row] = await tx
      .update(itemTemplates)
      .set({
        category,
        templateData,
        ...(changes.generation_rules === undefined
          ? {}
          : { generationRules: changes.generation_rules }),
      })
      .where(eq(itemTemplates.id, templateId))
      .returning()
    return templateResource(row)
  })
}

/** Deletes a template; the items generated from it stay. */
export async function deleteTemplate(db: Db, input: { actor: Identity; template_id: string }) {
  const deleted = await db
    .delete(itemTemplates)
    .where(eq(itemTemplates.id, input.template_id))
    .returning({ id: itemTemplates.id })
  if (deleted.length === 0) throw new ApiError('not_found', 'no item template with that id')
}

/**
 * Makes a catalogue item from the template with `seed` (random when absent, and returned, so
 * the same item can be made again); the caller is its creator.
 */
export async function generateFromTemplate(
  db: Db,
  input: { actor: Identity; template_id: string; seed?: number; name?: string },
) {
  const template = await loadTemplate(db, input.template_id)
  // Rows written before this API (or by hand) are checked again rather than trusted.
  const data = TemplateDataSchema.safeParse(template.templateData)
  const rules = GenerationRulesSchema.nullable().safeParse(template.generationRules)
  if (
    !data.success ||
    !rules.success ||
    templateItemType({ category: template.category, template_data: data.data }) === null
  ) {
    throw new ApiError(
      'conflict',
      'this template is not valid for generation; correct it with PATCH first',
    )
  }
  const seed =
    input.seed ?? crypto.getRandomValues(new Uint32Array(1))[0] % (MAX_GENERATION_SEED + 1)
  const fields = generateItem(
    {
      id: template.id,
      category: template.category,
      template_data: data.data,
      generation_rules: rules.data,
    },
    seed,
    input.name,
  )
  const [row] = await db
    .insert(items)
    .values({
      name: fields.name,
      type: fields.type,
      rarity: fields.rarity,
      glbPath: fields.glb_path,
      iconPath: fields.icon_path,
      baseValue: fields.base_value,
      isTradeable: fields.is_tradeable,
      isConsumable: fields.is_consumable,
      maxStackSize: fields.max_stack_size,
      properties: fields.properties,
      creatorId: existingUserId(input.actor.userId),
    })
    .returning()
  return { template_id: template.id, seed, item: itemResource(row) }
}
