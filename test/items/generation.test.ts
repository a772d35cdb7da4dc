import { describe, expect, it } from 'vitest'
import {
  generateItem,
  templateItemType,
  type GenerationTemplate,
} from '../../functions/items/generation'
import { TemplateDataSchema } from '../../functions/items/schemas'

const template = (overrides: Partial<GenerationTemplate> = {}): GenerationTemplate => ({
  id: '00000000-0000-4000-8000-000000000001',
  category: 'building',
  template_data: TemplateDataSchema.parse({
    base_model: 'modular_house',
    variable_components: {
      wall_material: ['wood', 'stone', 'glass'],
      roof_type: ['flat', 'peaked', 'dome'],
      window_count: { min: 2, max: 8 },
    },
    size_scaling: {
      small: { multiplier: 0.7, value: 5 },
      large: { multiplier: 1.5, value: 20 },
    },
  }),
  generation_rules: null,
  ...overrides,
})

describe('generateItem', () => {
  it('gives the same item for the same seed whatever order the components were stored in', () => {
    const a = template()
    const reordered = template({
      template_data: TemplateDataSchema.parse({
        base_model: 'modular_house',
        size_scaling: {
          large: { multiplier: 1.5, value: 20 },
          small: { multiplier: 0.7, value: 5 },
        },
        variable_components: {
          window_count: { min: 2, max: 8 },
          roof_type: ['flat', 'peaked', 'dome'],
          wall_material: ['wood', 'stone', 'glass'],
        },
      }),
    })
    for (const seed of [0, 1, 42, 0xffffffff]) {
      expect(generateItem(reordered, seed)).toEqual(generateItem(a, seed))
    }
  })

  it('draws every choice and every value of a range over many seeds, and nothing else', () => {
    const roofs = new Set<unknown>()
    const windows = new Set<unknown>()
    for (let seed = 0; seed < 500; seed++) {
      const { components } = generateItem(template(), seed).properties as any
      roofs.add(components.roof_type)
      windows.add(components.window_count)
    }
    expect([...roofs].sort()).toEqual(['dome', 'flat', 'peaked'])
    expect([...windows].sort()).toEqual([2, 3, 4, 5, 6, 7, 8])
  })

  it('draws rarities in proportion to their weights, and only weighted ones', () => {
    const counts: Record<string, number> = {}
    const weighted = template({ generation_rules: { rarity_weights: { common: 3, epic: 1 } } })
    for (let seed = 0; seed < 4000; seed++) {
      const { rarity } = generateItem(weighted, seed)
      counts[rarity] = (counts[rarity] ?? 0) + 1
    }
    expect(Object.keys(counts).sort()).toEqual(['common', 'epic'])
    expect(counts.epic / 4000).toBeGreaterThan(0.2)
    expect(counts.epic / 4000).toBeLessThan(0.3)
  })

  it('takes the base value from the size and the type from the category', () => {
    const item = generateItem(template(), 7)
    const size = (item.properties as any).size as 'small' | 'large'
    expect(item.base_value).toBe({ small: 5, large: 20 }[size])
    expect(item.type).toBe('building')
    expect(item.name).toBe(`Modular House (${size})`)
  })

  it('knows which templates make items', () => {
    expect(templateItemType({ category: 'weapon', template_data: {} })).toBe('weapon')
    expect(templateItemType({ category: 'vehicle', template_data: {} })).toBeNull()
    expect(
      templateItemType({ category: 'vehicle', template_data: { item_type: 'decoration' } }),
    ).toBe('decoration')
  })
})
