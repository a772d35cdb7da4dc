/**
 * Text → 768-d embedding for companion memories.
 *
 * Production uses Workers AI (`@cf/baai/bge-base-en-v1.5`). Without an `AI` binding (local dev,
 * tests, no network) `localHashEmbedder` stands in: deterministic, but NOT a semantic model.
 * Vectors from different embedders are not comparable; `Embedder.name` says which one made a
 * vector, so callers can record it next to what they store and never mix the two.
 */
import { normalizeInPlace } from './compression/vector'

/** Dimensions of every memory embedding (`full_embedding vector(768)`). */
export const EMBEDDING_DIMENSIONS = 768

/** Workers AI model of the production embedder. */
export const WORKERS_AI_EMBEDDING_MODEL = '@cf/baai/bge-base-en-v1.5'

/**
 * Pooling asked of Workers AI. Pinned, because `mean` (the API default, kept only for backward
 * compatibility) and `cls` (Cloudflare's recommendation) give incompatible vectors.
 */
export const WORKERS_AI_EMBEDDING_POOLING = 'cls'

/** Texts per Workers AI request (the model's documented batch limit is 100). */
export const WORKERS_AI_MAX_TEXTS_PER_REQUEST = 100

/** Turns texts into L2-normalized 768-d vectors, one per text, in order. */
export interface Embedder {
  /** Identifies the embedder and its settings; store it with the vectors it produced. */
  readonly name: string
  readonly dimensions: typeof EMBEDDING_DIMENSIONS
  embed(texts: string[]): Promise<Float32Array[]>
}

/**
 * The production embedder: Workers AI BGE base (768-d, English), `cls` pooling, in batches of
 * `WORKERS_AI_MAX_TEXTS_PER_REQUEST`. Outputs are L2-normalized here so that the compression tiers
 * can rely on inner product = cosine whatever the model returns.
 */
export function workersAiEmbedder(ai: Ai): Embedder {
  return {
    name: `${WORKERS_AI_EMBEDDING_MODEL}:${WORKERS_AI_EMBEDDING_POOLING}`,
    dimensions: EMBEDDING_DIMENSIONS,
    async embed(texts) {
      const vectors: Float32Array[] = []
      for (let i = 0; i < texts.length; i += WORKERS_AI_MAX_TEXTS_PER_REQUEST) {
        const batch = texts.slice(i, i + WORKERS_AI_MAX_TEXTS_PER_REQUEST)
        const output = await ai.run(WORKERS_AI_EMBEDDING_MODEL, {
          text: batch,
          pooling: WORKERS_AI_EMBEDDING_POOLING,
        })
        const data = 'data' in output ? output.data : undefined
        if (!data || data.length !== batch.length) {
          throw new Error(
            `${WORKERS_AI_EMBEDDING_MODEL} returned ${data?.length ?? 'no'} embeddings for ${batch.length} texts`,
          )
        }
        for (const row of data) {
          if (row.length !== EMBEDDING_DIMENSIONS) {
            throw new Error(`${WORKERS_AI_EMBEDDING_MODEL} returned a ${row.length}-d embedding`)
          }
          vectors.push(normalizeInPlace(Float32Array.from(row)))
        }
      }
      return vectors
    },
  }
}

/**
 * DEVELOPMENT STAND-IN, NOT A SEMANTIC MODEL. Used where no embedding model is available (local
 * runs without an `AI` binding, offline tests). It is feature hashing: each lower-cased word
 * unigram and adjacent-word bigram is hashed with 32-bit FNV-1a to one of 768 dimensions and a
 * sign, counts are summed and the vector is L2-normalized. Texts that share words therefore have
 * a higher cosine, but synonyms, paraphrases and meaning are invisible to it ("dog" and "puppy"
 * are unrelated). Deterministic across runs and runtimes. A text without words maps to one fixed
 * unit vector, so every output has unit norm.
 */
export function localHashEmbedder(): Embedder {
  return {
    name: 'local-hash-v1',
    dimensions: EMBEDDING_DIMENSIONS,
    async embed(texts) {
      return texts.map(hashEmbed)
    },
  }
}

/** Workers AI when the `AI` binding is present, otherwise the local stand-in. */
export function chooseEmbedder(env: { AI?: Ai }): Embedder {
  return env.AI ? workersAiEmbedder(env.AI) : localHashEmbedder()
}

/** Marks the empty text's single feature; cannot collide with a word (words have no '\u0000'). */
const EMPTY_TEXT_FEATURE = '\u0000empty'
/** Weight of a word bigram relative to a unigram. */
const BIGRAM_WEIGHT = 1

function hashEmbed(text: string): Float32Array {
  const vector = new Float32Array(EMBEDDING_DIMENSIONS)
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  for (let i = 0; i < words.length; i++) {
    addFeature(vector, words[i], 1)
    // '\u0000' separates bigram halves so "ab c" and "a bc" differ.
    if (i > 0) addFeature(vector, `${words[i - 1]}\u0000${words[i]}`, BIGRAM_WEIGHT)
  }
  // No words, or (rarely) features that cancel out: fall back to one fixed unit vector.
  if (vector.every((x) => x === 0)) addFeature(vector, EMPTY_TEXT_FEATURE, 1)
  return normalizeInPlace(vector)
}

function addFeature(vector: Float32Array, feature: string, weight: number): void {
  const hash = fnv1a32(feature)
  // Low bit picks the sign so colliding features cancel on average instead of piling up.
  const sign = hash & 1 ? -1 : 1
  vector[(hash >>> 1) % EMBEDDING_DIMENSIONS] += sign * weight
}

/** 32-bit FNV-1a over UTF-16 code units (our own: five lines, no library needed). */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
