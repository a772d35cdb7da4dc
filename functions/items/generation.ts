/**
 * Procedural items from a template (`POST /v1/admin/item-templates/:id/generate`): every variable
 * component, the size and the rarity are drawn from one seeded generator (pure-rand's
 * xoroshiro128+), in a fixed order (components by name, then size, then rarity), so the same
 * template and seed always give the same item. Keys are sorted before drawing because JSONB does
 * not keep the order they were written in.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import {
  ITEM_TYPES,
  RARITIES,
  type GenerationRules,
  type ItemType,
  type Rarity,
  type TemplateData,
} from './schemas'

/** The catalogue fields of a generated item (what `items` stores, without id and creator). */
export interface GeneratedItemFields {
  name: string
  type: ItemType
  rarity: Rarity
  glb_path: string | null
  icon_path: string | null
  base_value: number
  is_tradeable: boolean
  is_consumable: boolean
  max_stack_size: number
  properties: Record<string, unknown>
}

/** A template as generation reads it. */
export interface GenerationTemplate {
  id: string
  category: string
  template_data: TemplateData
  generation_rules: GenerationRules | null
}

/** Longest generated name (the catalogue's limit). */
const MAX_NAME_CHARS = 200

const isItemType = (value: string): value is ItemType =>
  (ITEM_TYPES as readonly string[]).includes(value)

/** The item type a template makes: `template_data.item_type`, else its category if that is one. */
export function templateItemType(template: {
  category: string
  template_data: Pick<TemplateData, 'item_type'>
}): ItemType | null {
  const type = template.template_data.item_type ?? template.category
  return isItemType(type) ? type : null
}

const titleCase = (slug: string) =>
  slug
    .split('_')
    .filter((word) => word.length > 0)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ')

/** Makes the item `template` gives for `seed` (a 32-bit unsigned integer). */
export function generateItem(
  template: GenerationTemplate,
  seed: number,
  nameOverride?: string,
): GeneratedItemFields {
  const type = templateItemType(template)
  if (type === null) throw new Error(`template ${template.id} makes no item type`)
  const data = template.template_data
  const rules = template.generation_rules ?? {}
  // The generator takes a signed 32-bit seed; the API's unsigned one maps onto it one to one.
  const rng = xoroshiro128plus(seed | 0)

  const components: Record<string, string | number | boolean> = {}
  for (const name of Object.keys(data.variable_components ?? {}).sort()) {
    const component = data.variable_components[name]
    components[name] = Array.isArray(component)
      ? component[uniformInt(rng, 0, component.length - 1)]
      : uniformInt(rng, component.min, component.max)
  }

  const sizes = Object.keys(data.size_scaling ?? {}).sort()
  const size = sizes.length > 0 ? sizes[uniformInt(rng, 0, sizes.length - 1)] : null
  const scaling = size === null ? null : data.size_scaling![size]

  const rarity = drawRarity(rules.rarity_weights, rng)

  const values: Record<string, string> = { base_model: titleCase(data.base_model) }
  for (const [name, value] of Object.entries(components)) values[name] = String(value)
  if (size !== null) values.size = size
  const generatedName = data.name_pattern
    ? data.name_pattern.replace(/\{([a-z0-9_]+)\}/g, (match, key: string) => values[key] ?? match)
    : `${values.base_model}${size === null ? '' : ` (${size})`}`

  return {
    name: (nameOverride ?? generatedName).slice(0, MAX_NAME_CHARS),
    type,
    rarity,
    glb_path: data.glb_path ?? null,
    icon_path: data.icon_path ?? null,
    base_value: scaling?.value ?? rules.base_value ?? 1,
    is_tradeable: rules.is_tradeable ?? true,
    is_consumable: rules.is_consumable ?? type === 'consumable',
    max_stack_size: rules.max_stack_size ?? 1,
    properties: {
      template_id: template.id,
      seed,
      base_model: data.base_model,
      components,
      ...(size === null ? {} : { size, scale_multiplier: scaling!.multiplier }),
    },
  }
}

/** A rarity drawn in proportion to its weight; `common` without weights. */
function drawRarity(
  weights: GenerationRules['rarity_weights'],
  rng: ReturnType<typeof xoroshiro128plus>,
): Rarity {
  if (!weights) return 'common'
  const total = RARITIES.reduce((sum, rarity) => sum + (weights[rarity] ?? 0), 0)
  let ticket = uniformInt(rng, 0, total - 1)
  for (const rarity of RARITIES) {
    ticket -= weights[rarity] ?? 0
    if (ticket < 0) return rarity
  }
  return 'common'
}
