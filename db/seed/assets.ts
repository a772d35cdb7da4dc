/**
 * The 16 CC0 Poly Haven models of the asset registry.
 *
 * The seed names the trees, rocks and the prop; for plants it gives only kinds (grass, moss,
 * shrubs, autumn leaves), and its per-category counts add to 15 against its stated 16, so the plant
 * names are ours and plants get six (two grasses, two shrubs).
 */

/** One asset's reference data (columns of `assets`). */
export interface AssetSeed {
  assetName: string
  category: 'tree' | 'rock' | 'plant' | 'prop'
  displayName: string
  tags: string[]
  hasCollisions: boolean
}

/** Licence, source and attribution shared by every seeded asset. */
export const POLY_HAVEN = {
  license: 'CC0',
  source: 'polyhaven',
  originalAuthor: 'Poly Haven',
  ownerName: 'poqpoq',
  url: (assetName: string) => `https://polyhaven.com/a/${assetName}`,
  glbPath: (assetName: string) => `/assets/polyhaven/${assetName}.glb`,
} as const

/** The 16 assets. */
export const ASSETS: readonly AssetSeed[] = [
  {
    assetName: 'fir_sapling',
    category: 'tree',
    displayName: 'Fir Sapling',
    tags: ['tree', 'conifer', 'young'],
    hasCollisions: true,
  },
  {
    assetName: 'island_tree_01',
    category: 'tree',
    displayName: 'Island Tree 1',
    tags: ['tree', 'tropical'],
    hasCollisions: true,
  },
  {
    assetName: 'island_tree_02',
    category: 'tree',
    displayName: 'Island Tree 2',
    tags: ['tree', 'tropical'],
    hasCollisions: true,
  },
  {
    assetName: 'island_tree_03',
    category: 'tree',
    displayName: 'Island Tree 3',
    tags: ['tree', 'tropical'],
    hasCollisions: true,
  },
  {
    assetName: 'jacaranda_tree',
    category: 'tree',
    displayName: 'Jacaranda Tree',
    tags: ['tree', 'flowering', 'purple'],
    hasCollisions: true,
  },
  {
    assetName: 'tree_small_02',
    category: 'tree',
    displayName: 'Small Tree',
    tags: ['tree', 'small'],
    hasCollisions: true,
  },
  {
    assetName: 'moon_rock_03',
    category: 'rock',
    displayName: 'Moon Rock',
    tags: ['rock', 'lunar'],
    hasCollisions: true,
  },
  {
    assetName: 'namaqualand_boulder_02',
    category: 'rock',
    displayName: 'Namaqualand Boulder 2',
    tags: ['rock', 'boulder'],
    hasCollisions: true,
  },
  {
    assetName: 'namaqualand_boulder_06',
    category: 'rock',
    displayName: 'Namaqualand Boulder 6',
    tags: ['rock', 'boulder'],
    hasCollisions: true,
  },
  {
    assetName: 'grass_medium_01',
    category: 'plant',
    displayName: 'Grass Clump 1',
    tags: ['plant', 'grass'],
    hasCollisions: false,
  },
  {
    assetName: 'grass_medium_02',
    category: 'plant',
    displayName: 'Grass Clump 2',
    tags: ['plant', 'grass'],
    hasCollisions: false,
  },
  {
    assetName: 'moss_01',
    category: 'plant',
    displayName: 'Moss Patch',
    tags: ['plant', 'moss', 'ground_cover'],
    hasCollisions: false,
  },
  {
    assetName: 'shrub_01',
    category: 'plant',
    displayName: 'Shrub 1',
    tags: ['plant', 'shrub'],
    hasCollisions: true,
  },
  {
    assetName: 'shrub_02',
    category: 'plant',
    displayName: 'Shrub 2',
    tags: ['plant', 'shrub'],
    hasCollisions: true,
  },
  {
    assetName: 'autumn_leaves_01',
    category: 'plant',
    displayName: 'Autumn Leaves',
    tags: ['plant', 'leaves', 'autumn'],
    hasCollisions: false,
  },
  {
    assetName: 'treasure_chest',
    category: 'prop',
    displayName: 'Treasure Chest',
    tags: ['prop', 'chest', 'loot'],
    hasCollisions: true,
  },
]
