/**
 * Deterministic synthetic embeddings for tests and benchmarks of the memory compression code.
 *
 * Real sentence embeddings are L2-normalized, clustered by topic, and their variance is spread
 * unevenly over directions (a few directions carry most of it). `clusteredVectors` imitates that:
 * random unit cluster centres plus noise whose per-dimension variance follows a power law
 * (`noiseSpectrumDecay`), assigned to dimensions in a seeded random order so that no block of
 * coordinates (a PQ subspace) is special. With `noiseSpectrumDecay = 0` the noise is isotropic,
 * the hardest case for PCA.
 *
 * The PRNG is our own (mulberry32, a few lines) because tests need bit-identical data from a seed
 * in Node and workerd alike, and `Math.random` cannot be seeded.
 */
import { normalizeInPlace } from './vector'

/** A seeded PRNG returning floats in [0, 1): mulberry32, 32-bit state. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A seeded standard normal sampler (Box–Muller over mulberry32). */
export function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed)
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const value = spare
      spare = undefined
      return value
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()))
    const angle = 2 * Math.PI * uniform()
    spare = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }
}

/** Options of `clusteredVectors`. */
export interface ClusteredVectorsOptions {
  /** How many vectors to return. */
  count: number
  /** Dimensions of each vector (768 for the embedder). */
  dims?: number
  /** Number of random unit cluster centres; vector i belongs to cluster i mod clusters. */
  clusters: number
  /** Expected L2 norm of the noise added to a unit centre, before normalization. */
  spread: number
  /** PRNG seed; the same options always give the same vectors. */
  seed: number
  /**
   * Power-law exponent of the noise spectrum: the r-th largest per-dimension noise variance is
   * proportional to (r + 1)^-decay. 0 is isotropic; 1 resembles sentence embeddings, where half of
   * the directions carry about 90% of the variance.
   */
  noiseSpectrumDecay?: number
}

/** L2-normalized vectors scattered around random unit cluster centres; deterministic per seed. */
export function clusteredVectors(options: ClusteredVectorsOptions): Float32Array[] {
  const { count, clusters, spread, seed } = options
  const dims = options.dims ?? 768
  const decay = options.noiseSpectrumDecay ?? 1
  if (clusters < 1) throw new RangeError('clusters must be at least 1')
  const normal = gaussian(seed)
  const uniform = mulberry32(seed ^ 0x9e3779b9)

  const centres: Float32Array[] = []
  for (let c = 0; c < clusters; c++) {
    const centre = new Float32Array(dims)
    for (let d = 0; d < dims; d++) centre[d] = normal()
    centres.push(normalizeInPlace(centre))
  }

  // Per-dimension noise scale: power-law variances by rank, shuffled over dimensions, scaled so
  // the expected squared noise norm is spread².
  const variances = new Float64Array(dims)
  let varianceSum = 0
  for (let r = 0; r < dims; r++) {
    variances[r] = Math.pow(r + 1, -decay)
    varianceSum += variances[r]
  }
  for (let i = dims - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1))
    const swap = variances[i]
    variances[i] = variances[j]
    variances[j] = swap
  }
  const noiseScale = new Float64Array(dims)
  for (let d = 0; d < dims; d++) noiseScale[d] = spread * Math.sqrt(variances[d] / varianceSum)

  const vectors: Float32Array[] = []
  for (let i = 0; i < count; i++) {
    const centre = centres[i % clusters]
    const v = new Float32Array(dims)
    for (let d = 0; d < dims; d++) v[d] = centre[d] + noiseScale[d] * normal()
    vectors.push(normalizeInPlace(v))
  }
  return vectors
}
