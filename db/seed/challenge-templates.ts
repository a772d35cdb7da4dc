/**
 * The official challenge templates: the three the seed's migration 003 inserted (Classic Match-3,
 * Sophisticated Coloring (SVG) and Image-Based Quiz, client-side microgames a quest session cannot
 * judge), and Treasure Hunt (ours, db/README decision 47), whose `variable_slots` generate a quest
 * of every objective type a session runs (`POST /v1/challenge-templates/:id/quests`).
 */

/** One template's reference data (columns of `challenge_templates`). */
export interface ChallengeTemplateSeed {
  name: string
  description: string
  challengeType: string
  category: string
  templateStructure: Record<string, unknown>
  requiresUserUploads: boolean
  maxUserUploads: number
  allowedUploadTypes: string[] | null
  complexityLevel: 'casual' | 'moderate' | 'complex' | 'expert'
  defaultDifficulty: number
  aiCanGenerate: boolean
  aiGenerationPrompt: string | null
}

/** The templates. */
export const CHALLENGE_TEMPLATES: readonly ChallengeTemplateSeed[] = [
  {
    name: 'Classic Match-3',
    description: 'Swap adjacent gems to line up three or more; chains and specials score more.',
    challengeType: 'microgame',
    category: 'bejeweled',
    templateStructure: {
      board: { rows: 8, columns: 8, gem_types: 6 },
      win_condition: { type: 'score', target_range: [5000, 20000] },
      time_limit_seconds_range: [60, 300],
      scoring: { match_3: 50, match_4: 150, match_5: 500, chain_multiplier: 1.5 },
      special_gems: ['bomb', 'line_clear', 'color_burst'],
      reward_scaling: { base_resonance: 20, difficulty_multiplier: 1.5, time_bonus: true },
    },
    requiresUserUploads: false,
    maxUserUploads: 0,
    allowedUploadTypes: null,
    complexityLevel: 'casual',
    defaultDifficulty: 2,
    aiCanGenerate: true,
    aiGenerationPrompt:
      'Create a match-3 board themed on {theme} with a score target for difficulty {difficulty}.',
  },
  {
    name: 'Sophisticated Coloring',
    description: 'Colour an SVG line drawing region by region; neighbours and palettes guide you.',
    challengeType: 'microgame',
    category: 'coloring',
    templateStructure: {
      source: { media_type: 'svg', region_lookup: 'svg_region_mapping' },
      palette: { size_range: [6, 24], allow_custom: true },
      win_condition: { type: 'regions_filled', percent: 100 },
      scoring: { per_region: 10, harmony_bonus: 100, no_hint_bonus: 50 },
      reward_scaling: { base_resonance: 15, difficulty_multiplier: 1.2, time_bonus: false },
    },
    requiresUserUploads: true,
    maxUserUploads: 1,
    allowedUploadTypes: ['svg'],
    complexityLevel: 'moderate',
    defaultDifficulty: 2,
    aiCanGenerate: false,
    aiGenerationPrompt: null,
  },
  {
    name: 'Image-Based Quiz',
    description: 'Answer questions about uploaded images; an educational quiz with categories.',
    challengeType: 'educational',
    category: 'trivia',
    templateStructure: {
      questions: { count_range: [5, 20], answer_options: 4, media_type: 'image' },
      win_condition: { type: 'correct_answers', percent: 70 },
      scoring: { correct: 100, streak_bonus: 25, time_bonus_per_second: 2 },
      reward_scaling: { base_resonance: 25, difficulty_multiplier: 1.5, time_bonus: true },
    },
    requiresUserUploads: true,
    maxUserUploads: 20,
    allowedUploadTypes: ['image'],
    complexityLevel: 'moderate',
    defaultDifficulty: 3,
    aiCanGenerate: true,
    aiGenerationPrompt:
      'Write {count} multiple-choice questions about the attached images for subject {subject}.',
  },
  {
    name: 'Treasure Hunt',
    description:
      'Reach a landmark, gather scattered treasures, talk to a local and answer their riddle; generated from a seed.',
    challengeType: 'isekai_adventure',
    category: 'exploration',
    templateStructure: {
      quest_structure: { phases: 1, objectives_per_phase: [5], difficulty_curve: 'flat' },
      variable_slots: {
        a_landmark: { type: 'random_zone', radius: 10 },
        b_treasure: {
          type: 'common_item',
          quantity_range: [3, 5],
          items: ['moon_flower', 'star_shard', 'river_stone'],
        },
        c_local: {
          type: 'friendly_npc',
          npcs: ['wandering_sage', 'lost_merchant', 'forest_keeper'],
        },
        d_riddle: {
          type: 'quiz_question',
          count_range: [1, 2],
          questions: [
            {
              question: 'What has keys but opens no locks?',
              options: ['A piano', 'A map', 'A door'],
              answer: 'A piano',
            },
            {
              question: 'What gets wetter the more it dries?',
              options: ['A towel', 'The sun', 'Sand'],
              answer: 'A towel',
            },
            {
              question: 'What has a neck but no head?',
              options: ['A bottle', 'A snake', 'A river'],
              answer: 'A bottle',
            },
          ],
        },
      },
      participants: { min: 1, max: 4 },
      time_limit_seconds_range: [600, 1800],
      reward_scaling: {
        base_resonance: 20,
        base_tokens: 10,
        difficulty_multiplier: 1.5,
        time_bonus: false,
      },
    },
    requiresUserUploads: false,
    maxUserUploads: 0,
    allowedUploadTypes: null,
    complexityLevel: 'casual',
    defaultDifficulty: 2,
    aiCanGenerate: false,
    aiGenerationPrompt: null,
  },
]
