/**
 * Small vector helpers shared by the compression modules. Plain loops over typed arrays: they run
 * per memory on hot paths (encode, score), where building an ml-matrix `Matrix` per call would cost
 * more than the arithmetic.
 */

/** Inner product of two equal-length vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

/** Cosine similarity of two equal-length vectors (0 when either is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let product = 0
  let normA = 0
  let normB = 0
  for (let i = 0; i < a.length; i++) {
    product += a[i] * b[i]
    normA += a[i] * a[i]
    normB += b[i] * b[i]
  }
  return normA === 0 || normB === 0 ? 0 : product / Math.sqrt(normA * normB)
}

/** Scales `v` in place to unit L2 norm (a zero vector stays zero) and returns it. */
export function normalizeInPlace<T extends Float32Array | Float64Array>(v: T): T {
  let squaredNorm = 0
  for (let i = 0; i < v.length; i++) squaredNorm += v[i] * v[i]
  if (squaredNorm === 0) return v
  const inverseNorm = 1 / Math.sqrt(squaredNorm)
  for (let i = 0; i < v.length; i++) v[i] *= inverseNorm
  return v
}

/** Throws unless every vector has `dims` entries; names the first offender. */
export function assertDims(
  vectors: readonly ArrayLike<number>[],
  dims: number,
  what: string,
): void {
  for (let i = 0; i < vectors.length; i++) {
    if (vectors[i].length !== dims) {
      throw new RangeError(`${what}[${i}] has ${vectors[i].length} dimensions, expected ${dims}`)
    }
  }
}
