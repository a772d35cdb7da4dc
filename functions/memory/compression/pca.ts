/**
 * PCA-384: the compression of `important` memories older than 30 days (768 → 384 floats, 2:1).
 *
 * Training: the covariance matrix of the training vectors is accumulated by a loop of our own, then
 * decomposed by ml-pca (`isCovarianceMatrix`, i.e. ml-matrix's symmetric eigendecomposition). Our
 * loop exists only for speed: it uses symmetry and typed arrays and takes ~1 s for 2,000 × 768,
 * where ml-matrix's `Xᵀ·X` takes ~2.7 s (ml-pca's own SVD or covariance paths take 10.5–12 s in
 * all); the decomposition itself (~2–3 s for 768 × 768, whatever the sample count) is the
 * library's.
 *
 * Codes: `projectPca` returns the coordinates of the vector itself (not of `v − mean`) in the
 * principal basis. Cosine between two such codes is the cosine between the parts of the original
 * vectors inside the kept subspace, so it ranks like cosine on the original 768-d vectors, which is
 * what pgvector's `vector_cosine_ops` index on `compressed_embedding vector(384)` computes. Cosine
 * between *centred* codes would instead rank by similarity to the training mean removed, a
 * different ordering (measured: lower recall@10 against exact 768-d search). Reconstruction is
 * unaffected: `reconstructPca` adds back the part of the mean outside the subspace.
 *
 * Rank: with n training vectors the covariance has rank ≤ n − 1. The eigendecomposition still
 * returns a full orthonormal basis, so the components past the rank are an arbitrary orthonormal
 * completion carrying no training variance: codes stay valid, but `explainedVariance` and
 * `reconstructionQuality` on held-out data show the cost. Train on at least
 * `PCA_RECOMMENDED_MIN_TRAINING_SAMPLES` vectors (fall back to the global sample below that).
 *
 * `explainedVariance` is measured on the training vectors (1.0 whenever n ≤ 385). Held-out
 * reconstruction cosine by training size (synthetic data below): 256 → 0.945, 500 → 0.957,
 * 750 → 0.961, 1,000 → 0.964, 2,000 → 0.969.
 *
 * Measured (Node 20, 2 cores; `clusteredVectors` 768-d, 20 clusters, spread 1, power-law noise;
 * 2,000 training/base vectors, 100 held-out queries): training 2.6–4.4 s; explained variance
 * 0.965; held-out reconstruction cosine 0.969; recall@10 of cosine on codes against exact 768-d
 * cosine search 0.964 (0.954 with centred codes). With isotropic noise (`noiseSpectrumDecay: 0`,
 * the worst case, unlike real embeddings) these drop to 0.87 / 0.865 / 0.67. The tests assert
 * floors of 0.95 (reconstruction) and 0.9 (recall) (test/memory/compression.test.ts).
 */
import { PCA } from 'ml-pca'
import { assertDims, cosine } from './vector'

/** Number of components the `important` tier keeps (pgvector column `vector(384)`). */
export const PCA_COMPONENTS = 384

/** Below this many training vectors the covariance rank (n − 1) is smaller than the code size. */
export const PCA_RECOMMENDED_MIN_TRAINING_SAMPLES = PCA_COMPONENTS + 1

/** A trained PCA model: everything needed to project, reconstruct and store it. */
export interface PcaModel {
  /** Input dimensions (768). */
  dims: number
  /** Number of kept components (length of a code). */
  componentCount: number
  /** Mean of the training vectors, length `dims`. */
  mean: Float32Array
  /** Principal axes, row-major `componentCount × dims`, unit rows, largest variance first. */
  components: Float32Array
  /** Fraction of the training variance the kept components explain, in [0, 1]. */
  explainedVariance: number
  /** Number of vectors the model was trained on. */
  trainingSize: number
}

/**
 * Trains a PCA model keeping `components` principal axes of `vectors` (all of one length).
 * Deterministic for the same input.
 */
export function trainPca(vectors: Float32Array[], components = PCA_COMPONENTS): PcaModel {
  if (vectors.length < 2) throw new RangeError('PCA needs at least 2 training vectors')
  const dims = vectors[0].length
  assertDims(vectors, dims, 'vectors')
  if (!Number.isInteger(components) || components < 1 || components > dims) {
    throw new RangeError(`components must be an integer in [1, ${dims}], got ${components}`)
  }
  const n = vectors.length

  const mean = new Float64Array(dims)
  for (const v of vectors) for (let d = 0; d < dims; d++) mean[d] += v[d]
  for (let d = 0; d < dims; d++) mean[d] /= n

  // Upper triangle of Σ (x − mean)(x − mean)ᵀ, one centred row at a time.
  const scatter = new Float64Array(dims * dims)
  const centred = new Float64Array(dims)
  for (const v of vectors) {
    for (let d = 0; d < dims; d++) centred[d] = v[d] - mean[d]
    for (let a = 0; a < dims; a++) {
      const ca = centred[a]
      if (ca === 0) continue
      const rowOffset = a * dims
      for (let b = a; b < dims; b++) scatter[rowOffset + b] += ca * centred[b]
    }
  }
  const covariance: number[][] = []
  for (let a = 0; a < dims; a++) covariance.push(new Array<number>(dims))
  for (let a = 0; a < dims; a++) {
    for (let b = a; b < dims; b++) {
      const value = scatter[a * dims + b] / (n - 1)
      covariance[a][b] = value
      covariance[b][a] = value
    }
  }

  const pca = new PCA(covariance, { isCovarianceMatrix: true })
  const eigenvectors = pca.getEigenvectors() // columns, largest eigenvalue first
  const eigenvalues = pca.getEigenvalues()
  let totalVariance = 0
  let keptVariance = 0
  for (let k = 0; k < eigenvalues.length; k++) {
    // Rounding leaves tiny negative eigenvalues past the rank; they are zero variance.
    const variance = Math.max(0, eigenvalues[k])
    totalVariance += variance
    if (k < components) keptVariance += variance
  }

  const componentRows = new Float32Array(components * dims)
  for (let k = 0; k < components; k++) {
    for (let d = 0; d < dims; d++) componentRows[k * dims + d] = eigenvectors.get(d, k)
  }
  return {
    dims,
    componentCount: components,
    mean: Float32Array.from(mean),
    components: componentRows,
    explainedVariance: totalVariance === 0 ? 1 : keptVariance / totalVariance,
    trainingSize: n,
  }
}

/** The code of `v`: its coordinates along the model's components (see the module doc). */
export function projectPca(model: PcaModel, v: Float32Array): Float32Array {
  if (v.length !== model.dims) {
    throw new RangeError(`vector has ${v.length} dimensions, model expects ${model.dims}`)
  }
  const { dims, components } = model
  const code = new Float32Array(model.componentCount)
  for (let k = 0; k < code.length; k++) {
    const rowOffset = k * dims
    let sum = 0
    for (let d = 0; d < dims; d++) sum += components[rowOffset + d] * v[d]
    code[k] = sum
  }
  return code
}

/**
 * The best `dims`-vector for a code: mean + Σ_k (code_k − ⟨component_k, mean⟩) · component_k, i.e.
 * the standard PCA reconstruction of the vector that was projected.
 */
export function reconstructPca(model: PcaModel, code: Float32Array): Float32Array {
  if (code.length !== model.componentCount) {
    throw new RangeError(`code has ${code.length} entries, model has ${model.componentCount}`)
  }
  const { dims, components, mean } = model
  const out = new Float64Array(mean)
  for (let k = 0; k < code.length; k++) {
    const rowOffset = k * dims
    let meanCoordinate = 0
    for (let d = 0; d < dims; d++) meanCoordinate += components[rowOffset + d] * mean[d]
    const weight = code[k] - meanCoordinate
    for (let d = 0; d < dims; d++) out[d] += weight * components[rowOffset + d]
  }
  return Float32Array.from(out)
}

/** Mean cosine similarity between each vector of `sample` and its PCA reconstruction, in [-1, 1]. */
export function reconstructionQuality(model: PcaModel, sample: Float32Array[]): number {
  if (sample.length === 0) throw new RangeError('sample is empty')
  let sum = 0
  for (const v of sample) sum += cosine(v, reconstructPca(model, projectPca(model, v)))
  return sum / sample.length
}
