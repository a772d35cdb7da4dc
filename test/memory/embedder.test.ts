import { describe, expect, it } from 'vitest'
import {
  chooseEmbedder,
  EMBEDDING_DIMENSIONS,
  localHashEmbedder,
  WORKERS_AI_EMBEDDING_MODEL,
  workersAiEmbedder,
} from '../../functions/memory/embedder'
import { cosine, dot } from '../../functions/memory/compression/vector'

const TEXTS = [
  'The dragon guards its gold in the mountain cave',
  'A red dragon sleeps on a pile of gold inside the mountain',
  'I baked fresh bread with my grandmother this morning',
  '',
  '!!! ???',
  'Ünïcødé wörds and 日本語 text 42',
]

/** A stand-in for the `AI` binding that records calls and returns rows from `makeRow`. */
function fakeAi(makeRow: (text: string) => number[]) {
  const calls: { model: string; inputs: { text: string[]; pooling?: string } }[] = []
  const ai = {
    async run(model: string, inputs: { text: string[]; pooling?: string }) {
      calls.push({ model, inputs })
      return { shape: [inputs.text.length, EMBEDDING_DIMENSIONS], data: inputs.text.map(makeRow) }
    },
  }
  return { ai: ai as unknown as Ai, calls }
}

describe('localHashEmbedder', () => {
  const embedder = localHashEmbedder()

  it('returns one deterministic 768-d unit vector per text, in order', async () => {
    const first = await embedder.embed(TEXTS)
    const second = await localHashEmbedder().embed(TEXTS)
    expect(embedder.dimensions).toBe(768)
    expect(first).toHaveLength(TEXTS.length)
    first.forEach((v, i) => {
      expect(v, TEXTS[i]).toBeInstanceOf(Float32Array)
      expect(v.length).toBe(768)
      expect(dot(v, v), `norm² of "${TEXTS[i]}"`).toBeCloseTo(1, 5)
      expect(Array.from(second[i])).toEqual(Array.from(v))
    })
    expect(await embedder.embed([])).toEqual([])
  })

  it('ranks a text sharing words above an unrelated text', async () => {
    const [query, related, unrelated] = await embedder.embed(TEXTS.slice(0, 3))
    const relatedScore = cosine(query, related)
    const unrelatedScore = cosine(query, unrelated)
    expect(relatedScore, `related ${relatedScore}, unrelated ${unrelatedScore}`).toBeGreaterThan(
      unrelatedScore + 0.2,
    )
  })

  it('ignores case and punctuation but not word order', async () => {
    const [a, b, c, d] = await embedder.embed([
      'Dog bites man.',
      'dog BITES man',
      'man bites dog',
      'completely different words here',
    ])
    expect(cosine(a, b)).toBeCloseTo(1, 6)
    // Same unigrams, different bigrams: close but not identical.
    expect(cosine(a, c)).toBeLessThan(0.99)
    expect(cosine(a, c)).toBeGreaterThan(cosine(a, d))
  })

  it('gives texts without words one shared vector', async () => {
    const [empty, punctuation, word] = await embedder.embed(['', '?!', 'hello'])
    expect(Array.from(punctuation)).toEqual(Array.from(empty))
    expect(cosine(empty, word)).toBeLessThan(0.5)
  })
})

describe('workersAiEmbedder', () => {
  it('asks bge-base-en-v1.5 with pinned pooling in batches of 100 and normalizes the output', async () => {
    const { ai, calls } = fakeAi((text) =>
      Array.from({ length: 768 }, (_, i) => (i === text.length % 768 ? 3 : 0)),
    )
    const embedder = workersAiEmbedder(ai)
    const texts = Array.from({ length: 250 }, (_, i) => 'x'.repeat(i))
    const vectors = await embedder.embed(texts)
    expect(calls.map((c) => c.inputs.text.length)).toEqual([100, 100, 50])
    expect(calls.every((c) => c.model === WORKERS_AI_EMBEDDING_MODEL)).toBe(true)
    expect(calls[0].inputs.pooling).toBe('cls')
    expect(embedder.name).toBe('@cf/baai/bge-base-en-v1.5:cls')
    expect(vectors).toHaveLength(250)
    vectors.forEach((v, i) => {
      expect(v[i % 768], `text ${i}`).toBeCloseTo(1, 6)
      expect(dot(v, v)).toBeCloseTo(1, 6)
    })
  })

  it('fails loudly on a missing row or a wrong dimension', async () => {
    const short = fakeAi(() => new Array<number>(384).fill(1))
    await expect(workersAiEmbedder(short.ai).embed(['a'])).rejects.toThrow(/384-d/)
    const missing = {
      async run() {
        return { request_id: 'queued' }
      },
    } as unknown as Ai
    await expect(workersAiEmbedder(missing).embed(['a'])).rejects.toThrow(/no embeddings/)
  })
})

describe('chooseEmbedder', () => {
  it('uses Workers AI when the AI binding is bound and the local stand-in otherwise', () => {
    expect(chooseEmbedder({ AI: fakeAi(() => []).ai }).name).toBe(
      `${WORKERS_AI_EMBEDDING_MODEL}:cls`,
    )
    expect(chooseEmbedder({}).name).toBe('local-hash-v1')
  })
})
