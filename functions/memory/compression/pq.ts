/**
 * PQ-48: the compression of `background` memories older than 7 days (768 floats → 48 bytes, 64:1).
 *
 * A vector is cut into 48 contiguous subspaces of 16 dimensions; each subspace has its own codebook
 * of 256 centroids learnt by k-means (ml-kmeans), and a vector is stored as the index of the
 * nearest centroid in each subspace: one byte per subspace. k-means starts from 256 distinct
 * training points drawn with a fixed seed per subspace (ml-kmeans' `'random'` initialisation), so
 * training is deterministic. We do not use its k-means++ initialisation: in ml-kmeans 7.0.1 it
 * costs ~0.7 s per subspace (~35 s per model on 2,000 vectors, against ~5 s) and measured no
 * better (mean held-out reconstruction cosine 0.891 against 0.889).
 *
 * Search uses asymmetric distance computation (ADC): the query stays exact; `distanceTable`
 * computes, once per query, the inner product of each query subvector with each centroid
 * (48 × 256 floats), and `adcScore` sums 48 table entries per stored code. The metric is the
 * **inner product**, not squared L2, because embeddings are L2-normalized: for unit vectors
 * ⟨q, x⟩ is the cosine, so the ADC score ⟨q, x̂⟩ estimates the same cosine the full and PCA tiers
 * return and results from all tiers can be merged on one scale. Squared L2 to x̂ would add
 * ‖x̂‖², which varies with quantization error, as noise to the ranking. `adcCosine` goes one step
 * further and divides by ‖x̂‖ (from `centroidSquaredNorms`, also a table lookup), which measured
 * better recall than the raw inner product; both are offered.
 *
 * Encoding, decoding, the distance table and the ADC sum are loops of our own: they are a few
 * lines each, run per memory or per query, and ml-kmeans' `nearest` would need a `KMeansResult`
 * and `number[][]` copies for each call.
 *
 * Training size: ml-kmeans needs at least 256 vectors. Measured held-out reconstruction cosine by
 * training size (synthetic data below): 256 → 0.855, 500 → 0.869, 750 → 0.877, 1,000 → 0.881,
 * 2,000 → 0.889. A companion holds at most 750 embedded memories, so its own model is only a little
 * worse than one trained on a 2,000-vector global sample. `quality` measured on the training vectors
 * is optimistic (with 256 vectors every vector is its own centroid: 1.0), so pass `qualitySample`
 * (held-out vectors) when the number will be stored as `average_reconstruction_quality`.
 *
 * Measured (Node 20, 2 cores; `clusteredVectors` 768-d, 20 clusters, spread 1, power-law noise;
 * 2,000 training/base vectors, 100 held-out queries): training 4.2–5.1 s; held-out reconstruction
 * cosine 0.889; recall@10 against exact 768-d cosine search 0.78 with `adcCosine`, 0.715 with
 * `adcScore`. The tests assert floors of 0.85 and 0.7 / 0.6 (test/memory/compression.test.ts).
 */
import { kmeans } from 'ml-kmeans'
import { assertDims, cosine } from './vector'

/** Number of subspaces of the `background` tier: one byte each, 48 bytes per memory. */
export const PQ_SUBSPACES = 48
/** Centroids per subspace: 256, so one centroid index fits in a byte. */
export const PQ_CENTROIDS = 256
/** k-means iterations per subspace unless told otherwise (each stops early once converged). */
export const PQ_DEFAULT_ITERATIONS = 25
/** Seed of the first subspace's k-means; subspace s uses seed + s. */
export const PQ_DEFAULT_SEED = 0x5eed

/** A trained product quantizer. */
export interface PqModel {
  /** Input dimensions (768) = subspaces × subDims. */
  dims: number
  /** Number of subspaces = bytes per code. */
  subspaces: number
  /** Dimensions of each subspace. */
  subDims: number
  /** Centroids per subspace (≤ 256). */
  centroidCount: number
  /** Codebooks, row-major `subspaces × centroidCount × subDims`. */
  centroids: Float32Array
  /** Number of vectors the model was trained on. */
  trainingSize: number
  /** Mean cosine between vectors and their reconstructions, in [-1, 1] (see `qualitySample`). */
  quality: number
}

/** Options of `trainPq`. */
export interface TrainPqOptions {
  subspaces?: number
  centroids?: number
  /** Maximum k-means iterations per subspace. */
  iterations?: number
  /** Seed of subspace 0's k-means initialisation; subspace s uses seed + s. */
  seed?: number
  /** Held-out vectors to measure `quality` on; defaults to the training vectors (optimistic). */
  qualitySample?: Float32Array[]
}

/**
 * Trains a product quantizer on `vectors` (all of one length, divisible by `subspaces`; at least
 * `centroids` vectors). Deterministic for the same input and options.
 */
export function trainPq(vectors: Float32Array[], options: TrainPqOptions = {}): PqModel {
  const subspaces = options.subspaces ?? PQ_SUBSPACES
  const centroidCount = options.centroids ?? PQ_CENTROIDS
  const iterations = options.iterations ?? PQ_DEFAULT_ITERATIONS
  const seed = options.seed ?? PQ_DEFAULT_SEED
  if (vectors.length === 0) throw new RangeError('PQ needs training vectors')
  const dims = vectors[0].length
  assertDims(vectors, dims, 'vectors')
  if (!Number.isInteger(subspaces) || subspaces < 1 || dims % subspaces !== 0) {
    throw new RangeError(`subspaces must divide ${dims}, got ${subspaces}`)
  }
  if (!Number.isInteger(centroidCount) || centroidCount < 1 || centroidCount > 256) {
    throw new RangeError(`centroids must be an integer in [1, 256], got ${centroidCount}`)
  }
  if (vectors.length < centroidCount) {
    throw new RangeError(
      `PQ needs at least ${centroidCount} training vectors, got ${vectors.length}`,
    )
  }
  const subDims = dims / subspaces
  const centroids = new Float32Array(subspaces * centroidCount * subDims)

  for (let s = 0; s < subspaces; s++) {
    const start = s * subDims
    const points = vectors.map((v) => Array.from(v.subarray(start, start + subDims)))
    const result = kmeans(points, centroidCount, {
      initialization: 'random',
      maxIterations: iterations,
      seed: seed + s,
    })
    const base = s * centroidCount * subDims
    result.centroids.forEach((centroid, c) => centroids.set(centroid, base + c * subDims))
  }

  const model: PqModel = {
    dims,
    subspaces,
    subDims,
    centroidCount,
    centroids,
    trainingSize: vectors.length,
    quality: 0,
  }
  model.quality = pqReconstructionQuality(model, options.qualitySample ?? vectors)
  return model
}

/** The code of `v`: per subspace, the index of the nearest centroid by squared L2. */
export function encodePq(model: PqModel, v: Float32Array): Uint8Array {
  if (v.length !== model.dims) {
    throw new RangeError(`vector has ${v.length} dimensions, model expects ${model.dims}`)
  }
  const { subspaces, subDims, centroidCount, centroids } = model
  const code = new Uint8Array(subspaces)
  for (let s = 0; s < subspaces; s++) {
    const start = s * subDims
    const base = s * centroidCount * subDims
    let best = 0
    let bestDistance = Infinity
    for (let c = 0; c < centroidCount; c++) {
      const offset = base + c * subDims
      let distance = 0
      for (let d = 0; d < subDims; d++) {
        const diff = v[start + d] - centroids[offset + d]
        distance += diff * diff
      }
      // Strict `<` keeps the lowest index on ties, so encoding is deterministic.
      if (distance < bestDistance) {
        bestDistance = distance
        best = c
      }
    }
    code[s] = best
  }
  return code
}

/** The reconstruction of a code: the chosen centroids laid end to end. */
export function decodePq(model: PqModel, code: Uint8Array): Float32Array {
  assertCode(model, code)
  const { subspaces, subDims, centroidCount, centroids } = model
  const out = new Float32Array(model.dims)
  for (let s = 0; s < subspaces; s++) {
    const offset = (s * centroidCount + code[s]) * subDims
    out.set(centroids.subarray(offset, offset + subDims), s * subDims)
  }
  return out
}

/**
 * The ADC table of a query: entry `s × centroidCount + c` is the inner product of the query's
 * subvector s with centroid c of subspace s.
 */
export function distanceTable(model: PqModel, query: Float32Array): Float32Array {
  if (query.length !== model.dims) {
    throw new RangeError(`query has ${query.length} dimensions, model expects ${model.dims}`)
  }
  const { subspaces, subDims, centroidCount, centroids } = model
  const table = new Float32Array(subspaces * centroidCount)
  for (let s = 0; s < subspaces; s++) {
    const start = s * subDims
    for (let c = 0; c < centroidCount; c++) {
      const offset = (s * centroidCount + c) * subDims
      let product = 0
      for (let d = 0; d < subDims; d++) product += query[start + d] * centroids[offset + d]
      table[s * centroidCount + c] = product
    }
  }
  return table
}

/**
 * The approximate inner product ⟨query, decoded code⟩ from the query's `distanceTable`; for
 * L2-normalized vectors, an estimate of their cosine. Higher is more similar.
 */
export function adcScore(table: Float32Array, code: Uint8Array): number {
  const centroidCount = table.length / code.length
  let score = 0
  for (let s = 0; s < code.length; s++) score += table[s * centroidCount + code[s]]
  return score
}

/**
 * Squared norms of the centroids, laid out like a `distanceTable` (`subspaces × centroidCount`).
 * Compute once per model; `adcCosine` uses it to divide by the reconstruction's norm.
 */
export function centroidSquaredNorms(model: PqModel): Float32Array {
  const { subspaces, subDims, centroidCount, centroids } = model
  const norms = new Float32Array(subspaces * centroidCount)
  for (let i = 0; i < norms.length; i++) {
    let sum = 0
    for (let d = 0; d < subDims; d++) sum += centroids[i * subDims + d] ** 2
    norms[i] = sum
  }
  return norms
}

/**
 * The cosine between the query and the decoded code, ⟨q, x̂⟩ / ‖x̂‖, for a unit query. Dividing by
 * ‖x̂‖ (exact, since subspaces are disjoint: ‖x̂‖² is the sum of 48 centroid squared norms) removes
 * the quantization's norm error from the ranking; measured recall@10 is higher than `adcScore`'s.
 */
export function adcCosine(
  table: Float32Array,
  squaredNorms: Float32Array,
  code: Uint8Array,
): number {
  const centroidCount = table.length / code.length
  let score = 0
  let squaredNorm = 0
  for (let s = 0; s < code.length; s++) {
    const index = s * centroidCount + code[s]
    score += table[index]
    squaredNorm += squaredNorms[index]
  }
  return squaredNorm === 0 ? 0 : score / Math.sqrt(squaredNorm)
}

/** Mean cosine similarity between each vector of `sample` and its PQ reconstruction. */
export function pqReconstructionQuality(model: PqModel, sample: Float32Array[]): number {
  if (sample.length === 0) throw new RangeError('sample is empty')
  let sum = 0
  for (const v of sample) sum += cosine(v, decodePq(model, encodePq(model, v)))
  return sum / sample.length
}

function assertCode(model: PqModel, code: Uint8Array): void {
  if (code.length !== model.subspaces) {
    throw new RangeError(`code has ${code.length} bytes, model has ${model.subspaces} subspaces`)
  }
  for (let s = 0; s < code.length; s++) {
    if (code[s] >= model.centroidCount) {
      throw new RangeError(
        `code[${s}] = ${code[s]} but the model has ${model.centroidCount} centroids`,
      )
    }
  }
}
