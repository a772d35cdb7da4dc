/** Quest generation from template rules, in Node: valid and deterministic for every seed. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CHALLENGE_TEMPLATES } from '../../db/seed/challenge-templates'
import { questDataSchema } from '../../durable-objects/quest-session/quest-data'
import { generateQuest, seedOf } from '../../functions/quests/templates'

const structureOf = (name: string) =>
  CHALLENGE_TEMPLATES.find((t) => t.name === name)!.templateStructure

describe('generateQuest', () => {
  it('generates a quest a session can run for every seed and difficulty, the same each time', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 5 }),
        (seed, difficulty) => {
          const options = { templateId: 'template', seed, difficulty }
          const quest = generateQuest(structureOf('Treasure Hunt'), options)
          expect(quest).not.toBeNull()
          expect(questDataSchema.safeParse(quest!.quest_data).success).toBe(true)
          expect(generateQuest(structureOf('Treasure Hunt'), options)).toEqual(quest)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('generates nothing from the seed’s microgame templates', () => {
    for (const name of ['Classic Match-3', 'Sophisticated Coloring', 'Image-Based Quiz']) {
      expect(
        generateQuest(structureOf(name), { templateId: 't', seed: 's', difficulty: 1 }),
      ).toBeNull()
    }
  })

  it('seeds the generator from the template and the seed', () => {
    expect(seedOf('a:b')).toBe(seedOf('a:b'))
    expect(seedOf('a:b')).not.toBe(seedOf('a:c'))
  })
})
