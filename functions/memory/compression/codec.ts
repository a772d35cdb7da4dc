/**
 * Storage forms of compression models and codes, for the memory database:
 *
 * - models as bytes for `pca_models.model_data` / `pq_models.centroids_data` (BYTEA), or as a
 *   JSON-safe object whose float arrays are base64 strings;
 * - PQ codes (48 bytes) as BYTEA hex text (`\x…`), which Postgres accepts as a bytea parameter;
 * - PCA codes as pgvector text literals `[v1,v2,…]` for `compressed_embedding vector(384)`.
 *
 * Everything here uses only typed arrays, `DataView`, `TextEncoder`-free ASCII and the global
 * `btoa`/`atob`, which workerd and Node both provide: no `Buffer`, no `node:*`. That is also why
 * the pgvector npm package's `toSql`/`fromSql` are not used: it requires `node:util`.
 *
 * Byte layout of a serialized model (all little-endian): 4-byte ASCII magic, uint32 header fields,
 * float64 scalars, then float32 arrays. Decoding checks the magic and the lengths.
 */
import { fromBase64, toBase64 } from '../../lib/encoding'
import type { PcaModel } from './pca'
import type { PqModel } from './pq'

const PCA_MAGIC = 'PCA1'
const PQ_MAGIC = 'PQ01'
/** magic + dims + componentCount + trainingSize (uint32) + explainedVariance (float64). */
const PCA_HEADER_BYTES = 4 + 4 * 3 + 8
/** magic + dims + subspaces + subDims + centroidCount + trainingSize (uint32) + quality (float64). */
const PQ_HEADER_BYTES = 4 + 4 * 5 + 8

/** Serializes a PCA model to bytes (for `pca_models.model_data`). */
export function pcaModelToBytes(model: PcaModel): Uint8Array {
  const floats = model.dims + model.componentCount * model.dims
  const bytes = new Uint8Array(PCA_HEADER_BYTES + floats * 4)
  const view = new DataView(bytes.buffer)
  writeMagic(view, PCA_MAGIC)
  view.setUint32(4, model.dims, true)
  view.setUint32(8, model.componentCount, true)
  view.setUint32(12, model.trainingSize, true)
  view.setFloat64(16, model.explainedVariance, true)
  let offset = writeFloats(view, PCA_HEADER_BYTES, model.mean)
  offset = writeFloats(view, offset, model.components)
  return bytes
}

/** Parses bytes written by `pcaModelToBytes`. */
export function pcaModelFromBytes(bytes: Uint8Array): PcaModel {
  const view = viewOf(bytes)
  readMagic(view, PCA_MAGIC, PCA_HEADER_BYTES)
  const dims = view.getUint32(4, true)
  const componentCount = view.getUint32(8, true)
  const trainingSize = view.getUint32(12, true)
  const explainedVariance = view.getFloat64(16, true)
  expectLength(bytes, PCA_HEADER_BYTES + (dims + componentCount * dims) * 4, 'PCA model')
  const mean = readFloats(view, PCA_HEADER_BYTES, dims)
  const components = readFloats(view, PCA_HEADER_BYTES + dims * 4, componentCount * dims)
  return { dims, componentCount, mean, components, explainedVariance, trainingSize }
}

/** Serializes a PQ model to bytes (for `pq_models.centroids_data`). */
export function pqModelToBytes(model: PqModel): Uint8Array {
  const bytes = new Uint8Array(PQ_HEADER_BYTES + model.centroids.length * 4)
  const view = new DataView(bytes.buffer)
  writeMagic(view, PQ_MAGIC)
  view.setUint32(4, model.dims, true)
  view.setUint32(8, model.subspaces, true)
  view.setUint32(12, model.subDims, true)
  view.setUint32(16, model.centroidCount, true)
  view.setUint32(20, model.trainingSize, true)
  view.setFloat64(24, model.quality, true)
  writeFloats(view, PQ_HEADER_BYTES, model.centroids)
  return bytes
}

/** Parses bytes written by `pqModelToBytes`. */
export function pqModelFromBytes(bytes: Uint8Array): PqModel {
  const view = viewOf(bytes)
  readMagic(view, PQ_MAGIC, PQ_HEADER_BYTES)
  const dims = view.getUint32(4, true)
  const subspaces = view.getUint32(8, true)
  const subDims = view.getUint32(12, true)
  const centroidCount = view.getUint32(16, true)
  const trainingSize = view.getUint32(20, true)
  const quality = view.getFloat64(24, true)
  if (subspaces * subDims !== dims) {
    throw new RangeError(`PQ model: ${subspaces} × ${subDims} subspace dims ≠ ${dims}`)
  }
  const floats = subspaces * centroidCount * subDims
  expectLength(bytes, PQ_HEADER_BYTES + floats * 4, 'PQ model')
  const centroids = readFloats(view, PQ_HEADER_BYTES, floats)
  return { dims, subspaces, subDims, centroidCount, centroids, trainingSize, quality }
}

/** A PCA model as JSON-safe data: float arrays as base64 of their little-endian bytes. */
export interface PcaModelJson {
  dims: number
  componentCount: number
  mean: string
  components: string
  explainedVariance: number
  trainingSize: number
}

/** A PQ model as JSON-safe data: centroids as base64 of their little-endian bytes. */
export interface PqModelJson {
  dims: number
  subspaces: number
  subDims: number
  centroidCount: number
  centroids: string
  trainingSize: number
  quality: number
}

/** A PCA model as JSON-safe data (inverse: `pcaModelFromJson`). */
export function pcaModelToJson(model: PcaModel): PcaModelJson {
  return {
    ...model,
    mean: floatsToBase64(model.mean),
    components: floatsToBase64(model.components),
  }
}

/** Parses the output of `pcaModelToJson`. */
export function pcaModelFromJson(json: PcaModelJson): PcaModel {
  const mean = floatsFromBase64(json.mean)
  const components = floatsFromBase64(json.components)
  if (mean.length !== json.dims || components.length !== json.componentCount * json.dims) {
    throw new RangeError('PCA model JSON: array lengths do not match dims and componentCount')
  }
  return { ...json, mean, components }
}

/** A PQ model as JSON-safe data (inverse: `pqModelFromJson`). */
export function pqModelToJson(model: PqModel): PqModelJson {
  return { ...model, centroids: floatsToBase64(model.centroids) }
}

/** Parses the output of `pqModelToJson`. */
export function pqModelFromJson(json: PqModelJson): PqModel {
  const centroids = floatsFromBase64(json.centroids)
  if (centroids.length !== json.subspaces * json.centroidCount * json.subDims) {
    throw new RangeError('PQ model JSON: centroid count does not match the parameters')
  }
  return { ...json, centroids }
}

/** Base64 of the little-endian bytes of `floats`. */
export function floatsToBase64(floats: Float32Array): string {
  const bytes = new Uint8Array(floats.length * 4)
  writeFloats(new DataView(bytes.buffer), 0, floats)
  return toBase64(bytes)
}

/** Inverse of `floatsToBase64`. */
export function floatsFromBase64(base64: string): Float32Array {
  const bytes = fromBase64(base64)
  if (bytes.length % 4 !== 0) throw new RangeError('float data must be a multiple of 4 bytes')
  return readFloats(viewOf(bytes), 0, bytes.length / 4)
}

/** Lower-case hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (let i = 0; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, '0')
  return hex
}

/** Inverse of `bytesToHex` (either case); throws on odd length or a non-hex digit. */
export function bytesFromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('invalid hex')
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/**
 * Postgres BYTEA text (hex format, `\x0a1b…`) of `bytes`: a valid text parameter for a BYTEA
 * column such as `quantized_embedding`, whatever the driver does with binary values.
 */
export function toByteaHex(bytes: Uint8Array): string {
  return '\\x' + bytesToHex(bytes)
}

/**
 * Bytes of a BYTEA value as a driver may return it: a `Uint8Array` (Buffer is one) or hex-format
 * text `\x…`.
 */
export function fromBytea(value: Uint8Array | string): Uint8Array {
  if (typeof value !== 'string') return new Uint8Array(value)
  if (!value.startsWith('\\x')) throw new RangeError('expected BYTEA hex text starting with \\x')
  return bytesFromHex(value.slice(2))
}

/**
 * pgvector text literal `[v1,v2,…]` of a float32 vector. Each entry is printed with the fewest
 * digits that parse back to the same float32 (pgvector stores float4), so the round trip is exact.
 */
export function toPgVectorLiteral(v: Float32Array): string {
  const parts = new Array<string>(v.length)
  for (let i = 0; i < v.length; i++) {
    const value = v[i]
    if (!Number.isFinite(value)) throw new RangeError(`vector[${i}] is not finite: ${value}`)
    parts[i] = shortestFloat32(value)
  }
  return '[' + parts.join(',') + ']'
}

/** Parses a pgvector text literal `[v1,v2,…]` (as returned for `vector` columns). */
export function fromPgVectorLiteral(literal: string): Float32Array {
  const trimmed = literal.trim()
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) {
    throw new RangeError('expected a pgvector literal like [1,2,3]')
  }
  const body = trimmed.slice(1, -1).trim()
  if (body === '') return new Float32Array(0)
  const parts = body.split(',')
  const out = new Float32Array(parts.length)
  for (let i = 0; i < parts.length; i++) {
    const value = Number(parts[i])
    if (parts[i].trim() === '' || !Number.isFinite(value)) {
      throw new RangeError(`pgvector literal entry ${i} is not a number: ${parts[i]}`)
    }
    out[i] = value
  }
  return out
}

function shortestFloat32(value: number): string {
  // 9 significant digits always identify a float32; most values need fewer.
  for (let digits = 6; digits < 9; digits++) {
    const text = value.toPrecision(digits)
    if (Math.fround(Number(text)) === value) return String(Number(text))
  }
  return String(Number(value.toPrecision(9)))
}

function writeMagic(view: DataView, magic: string): void {
  for (let i = 0; i < 4; i++) view.setUint8(i, magic.charCodeAt(i))
}

function readMagic(view: DataView, magic: string, headerBytes: number): void {
  if (view.byteLength < headerBytes) throw new RangeError(`model data shorter than its header`)
  let found = ''
  for (let i = 0; i < 4; i++) found += String.fromCharCode(view.getUint8(i))
  if (found !== magic)
    throw new RangeError(`model data starts with "${found}", expected "${magic}"`)
}

function expectLength(bytes: Uint8Array, expected: number, what: string): void {
  if (bytes.length !== expected) {
    throw new RangeError(`${what}: ${bytes.length} bytes, expected ${expected}`)
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function writeFloats(view: DataView, offset: number, floats: Float32Array): number {
  for (let i = 0; i < floats.length; i++) view.setFloat32(offset + i * 4, floats[i], true)
  return offset + floats.length * 4
}

function readFloats(view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + i * 4, true)
  return out
}
