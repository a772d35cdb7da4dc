/**
 * The example quest of `npm run demo:quest` (and of the quest tests): one objective of every type
 * a session runs, under a 10 m/s speed limit. Alice and Bob start at the origin; the garden is
 * 10 m east, two of three moon flowers lie just past it, the sage stands north of the path, and
 * the riddle's key is "Paris" (at most two wrong answers).
 */

/** `quest_data` of the example quest. */
export const EXAMPLE_QUEST_DATA = {
  max_speed_mps: 10,
  objectives: [
    {
      id: 'garden',
      type: 'reach_location',
      description: 'Find the hidden garden',
      location: { x: 10, y: 0, z: 0 },
      radius: 3,
    },
    {
      id: 'flowers',
      type: 'collect_items',
      item_id: 'moon_flower',
      quantity: 2,
      objects: [
        { object_id: 'flower_a', position: { x: 12, y: 0, z: 2 } },
        { object_id: 'flower_b', position: { x: 12, y: 0, z: -2 } },
        { object_id: 'flower_c', position: { x: 40, y: 0, z: 40 } },
      ],
    },
    { id: 'sage', type: 'interact', target_id: 'old_sage', position: { x: 8, y: 0, z: 4 } },
    {
      id: 'riddle',
      type: 'answer',
      question: 'The capital of France?',
      options: ['Paris', 'Rome', 'Berlin'],
      answer: 'Paris',
      max_attempts: 2,
    },
  ],
}

/** The body of `POST /v1/quests` for the example quest (a two-player quest with rewards). */
export const EXAMPLE_QUEST = {
  title: 'The hidden garden',
  description: 'Find the garden, pick two moon flowers, ask the sage, answer his riddle',
  challenge_type: 'isekai_adventure',
  category: 'exploration',
  tags: ['garden', 'coop'],
  quest_data: EXAMPLE_QUEST_DATA,
  rewards: {
    akashic_resonance: 50,
    akashic_wisdom: 25,
    attributes: { wisdom: 3, agility: 2 },
    tokens: 30,
  },
  min_participants: 1,
  max_participants: 2,
}
