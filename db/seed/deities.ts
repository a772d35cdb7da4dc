/**
 * The 14 deities: the 12 of the ritual ring (in ring order) and the hidden Bob and Thoth.
 *
 * The seed gives the names, the pantheons, the ring membership and the hidden deities' unlocks;
 * colours, affinities and rank requirements are composed from each deity's domain. Ring positions
 * are 12 equal steps on a circle of RITUAL_RING_RADIUS_M around the origin, Zeus at due north.
 */

/** Attributes a deity or blessing can favour (the 12 of users.attr_*). */
export type AttributeName =
  | 'strength'
  | 'agility'
  | 'endurance'
  | 'magic'
  | 'wisdom'
  | 'cunning'
  | 'leadership'
  | 'faith'
  | 'charisma'
  | 'creativity'
  | 'artistry'
  | 'innovation'

/** One deity's reference data (columns of `deities`, positions computed from the ring order). */
export interface DeitySeed {
  deityName: string
  displayName: string
  pantheon: string
  gender: string
  primaryColor: string
  colorHex: string
  minRankRequired: number
  primaryAttribute: AttributeName
  secondaryAttribute: AttributeName
  voicePersonality: string
  personalityArchetype: string
  loreDescription: string
  quote: string
  /** Hidden deities only: how they are unlocked. */
  hidden?: { unlockMethod: string; unlockDescription: string }
}

/** Radius of the ritual ring in metres. */
export const RITUAL_RING_RADIUS_M = 30

/** The ritual ring in order (clockwise from north), then the hidden deities. */
export const DEITIES: readonly DeitySeed[] = [
  {
    deityName: 'zeus',
    displayName: 'Zeus',
    pantheon: 'greek',
    gender: 'male',
    primaryColor: 'gold',
    colorHex: '#FFD700',
    minRankRequired: 76,
    primaryAttribute: 'leadership',
    secondaryAttribute: 'strength',
    voicePersonality: 'thunderous_regal',
    personalityArchetype: 'sovereign',
    loreDescription: 'King of the gods, keeper of order and the storm.',
    quote: 'Order is the lightning that holds the sky together.',
  },
  {
    deityName: 'hera',
    displayName: 'Hera',
    pantheon: 'greek',
    gender: 'female',
    primaryColor: 'royal purple',
    colorHex: '#7B2D8E',
    minRankRequired: 51,
    primaryAttribute: 'leadership',
    secondaryAttribute: 'charisma',
    voicePersonality: 'regal_composed',
    personalityArchetype: 'matriarch',
    loreDescription: 'Queen of the gods, guardian of oaths, family and rightful rule.',
    quote: 'A promise kept is a crown worn well.',
  },
  {
    deityName: 'poseidon',
    displayName: 'Poseidon',
    pantheon: 'greek',
    gender: 'male',
    primaryColor: 'ocean blue',
    colorHex: '#1E6FBA',
    minRankRequired: 51,
    primaryAttribute: 'strength',
    secondaryAttribute: 'endurance',
    voicePersonality: 'deep_tidal',
    personalityArchetype: 'tempest',
    loreDescription: 'Lord of the seas and earthquakes, moody as the tide.',
    quote: 'The sea does not hurry, and it does not stop.',
  },
  {
    deityName: 'demeter',
    displayName: 'Demeter',
    pantheon: 'greek',
    gender: 'female',
    primaryColor: 'harvest green',
    colorHex: '#6B8E23',
    minRankRequired: 1,
    primaryAttribute: 'endurance',
    secondaryAttribute: 'faith',
    voicePersonality: 'warm_nurturing',
    personalityArchetype: 'nurturer',
    loreDescription: 'Goddess of the harvest and the turning seasons.',
    quote: 'Every seed is a small act of faith.',
  },
  {
    deityName: 'athena',
    displayName: 'Athena',
    pantheon: 'greek',
    gender: 'female',
    primaryColor: 'silver grey',
    colorHex: '#A9B4C2',
    minRankRequired: 26,
    primaryAttribute: 'wisdom',
    secondaryAttribute: 'cunning',
    voicePersonality: 'measured_scholarly',
    personalityArchetype: 'strategist',
    loreDescription: 'Goddess of wisdom, strategy and crafts.',
    quote: 'Think twice, strike once.',
  },
  {
    deityName: 'apollo',
    displayName: 'Apollo',
    pantheon: 'greek',
    gender: 'male',
    primaryColor: 'sun orange',
    colorHex: '#FFA500',
    minRankRequired: 11,
    primaryAttribute: 'artistry',
    secondaryAttribute: 'wisdom',
    voicePersonality: 'bright_melodic',
    personalityArchetype: 'muse',
    loreDescription: 'God of the sun, music, poetry and prophecy.',
    quote: 'Sing it true and the light will follow.',
  },
  {
    deityName: 'artemis',
    displayName: 'Artemis',
    pantheon: 'greek',
    gender: 'female',
    primaryColor: 'forest green',
    colorHex: '#228B22',
    minRankRequired: 11,
    primaryAttribute: 'agility',
    secondaryAttribute: 'cunning',
    voicePersonality: 'calm_wild',
    personalityArchetype: 'huntress',
    loreDescription: 'Goddess of the hunt, the wilderness and the moon.',
    quote: 'The forest rewards the patient.',
  },
  {
    deityName: 'ares',
    displayName: 'Ares',
    pantheon: 'greek',
    gender: 'male',
    primaryColor: 'crimson',
    colorHex: '#DC143C',
    minRankRequired: 26,
    primaryAttribute: 'strength',
    secondaryAttribute: 'endurance',
    voicePersonality: 'fierce_blunt',
    personalityArchetype: 'warrior',
    loreDescription: 'God of war, courage and raw strength.',
    quote: 'Stand your ground and the ground will stand with you.',
  },
  {
    deityName: 'hephaestus',
    displayName: 'Hephaestus',
    pantheon: 'greek',
    gender: 'male',
    primaryColor: 'forge bronze',
    colorHex: '#B7410E',
    minRankRequired: 26,
    primaryAttribute: 'innovation',
    secondaryAttribute: 'creativity',
    voicePersonality: 'gruff_patient',
    personalityArchetype: 'artisan',
    loreDescription: 'God of the forge, fire and invention.',
    quote: 'Anything worth making is worth remaking.',
  },
  {
    deityName: 'aphrodite',
    displayName: 'Aphrodite',
    pantheon: 'greek',
    gender: 'female',
    primaryColor: 'rose pink',
    colorHex: '#FF69B4',
    minRankRequired: 11,
    primaryAttribute: 'charisma',
    secondaryAttribute: 'artistry',
    voicePersonality: 'silken_playful',
    personalityArchetype: 'enchantress',
    loreDescription: 'Goddess of love, beauty and desire.',
    quote: 'Beauty is an invitation; accept it.',
  },
  {
    deityName: 'hermes',
    displayName: 'Hermes',
    pantheon: 'greek',
    gender: 'male',
    primaryColor: 'sky blue',
    colorHex: '#87CEEB',
    minRankRequired: 1,
    primaryAttribute: 'agility',
    secondaryAttribute: 'cunning',
    voicePersonality: 'quick_witty',
    personalityArchetype: 'trickster',
    loreDescription: 'Messenger of the gods, patron of travellers, traders and tricksters.',
    quote: 'Prove yourself, and be quick about it.',
  },
  {
    deityName: 'dionysus',
    displayName: 'Dionysus',
    pantheon: 'greek',
    gender: 'male',
    primaryColor: 'wine purple',
    colorHex: '#722F37',
    minRankRequired: 11,
    primaryAttribute: 'creativity',
    secondaryAttribute: 'charisma',
    voicePersonality: 'jovial_unpredictable',
    personalityArchetype: 'reveller',
    loreDescription: 'God of wine, theatre and ecstatic celebration.',
    quote: 'Every gathering is a stage; play your part loudly.',
  },
  {
    deityName: 'bob',
    displayName: 'Bob',
    pantheon: 'poqpoq',
    gender: 'male',
    primaryColor: 'teal',
    colorHex: '#008080',
    minRankRequired: 1,
    primaryAttribute: 'wisdom',
    secondaryAttribute: 'charisma',
    voicePersonality: 'friendly_dry',
    personalityArchetype: 'companion',
    loreDescription: 'The companion who was there all along, and knows more than he lets on.',
    quote: 'Oh, you found me. Took you long enough.',
    hidden: {
      unlockMethod: 'special_unlock',
      unlockDescription: 'Bob reveals himself only to players who find his special unlock.',
    },
  },
  {
    deityName: 'thoth',
    displayName: 'Thoth',
    pantheon: 'egyptian',
    gender: 'male',
    primaryColor: 'lapis blue',
    colorHex: '#26619C',
    minRankRequired: 1,
    primaryAttribute: 'wisdom',
    secondaryAttribute: 'magic',
    voicePersonality: 'ancient_precise',
    personalityArchetype: 'scribe',
    loreDescription: 'Egyptian god of writing, magic and knowledge, keeper of the akashic record.',
    quote: 'Thirteen tablets, one record. Read it all.',
    hidden: {
      unlockMethod: 'akashic_tablets',
      unlockDescription: 'Collect all 13 akashic tablets to unlock Thoth.',
    },
  },
]

/** Position of the deity at ring index `i` (0 = north), rounded to centimetres. */
export function ringPosition(i: number): { x: number; y: number; z: number } {
  const angle = (i * 2 * Math.PI) / 12
  const round = (v: number) => Math.round(v * 100) / 100 + 0
  return {
    x: round(RITUAL_RING_RADIUS_M * Math.sin(angle)),
    y: 0,
    z: round(RITUAL_RING_RADIUS_M * Math.cos(angle)),
  }
}
