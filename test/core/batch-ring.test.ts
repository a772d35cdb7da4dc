import { describe, expect, it } from 'vitest'
import { BatchRing } from '../../durable-objects/core/batch-ring'

function ringWith(capacity: number, lastSeq: number): BatchRing<string> {
  const ring = new BatchRing<string>(capacity)
  for (let seq = 1; seq <= lastSeq; seq++) ring.push(seq, [`event ${seq}`])
  return ring
}

function seqsOf(batches: { seq: number }[] | null): number[] | null {
  return batches === null ? null : batches.map((batch) => batch.seq)
}

describe('BatchRing', () => {
  describe('since', () => {
    it('returns the batches a client missed, oldest first', () => {
      const ring = ringWith(10, 6)
      expect(ring.since(3)).toEqual([
        { seq: 4, events: ['event 4'] },
        { seq: 5, events: ['event 5'] },
        { seq: 6, events: ['event 6'] },
      ])
    })

    it('returns an empty list for a client that is up to date', () => {
      expect(ringWith(10, 6).since(6)).toEqual([])
      expect(new BatchRing<string>(10).since(0)).toEqual([])
    })

    it('returns everything after a wrap-around while the client is still covered', () => {
      const ring = ringWith(4, 10)
      expect(ring.size).toBe(4)
      expect(seqsOf(ring.since(6))).toEqual([7, 8, 9, 10])
      expect(seqsOf(ring.since(8))).toEqual([9, 10])
    })

    it('returns null when lastSeq is older than the ring holds', () => {
      const ring = ringWith(4, 10)
      expect(ring.since(5)).toBeNull()
      expect(ring.since(0)).toBeNull()
    })

    it('returns null for a lastSeq the ring has not reached, e.g. from before a restart', () => {
      expect(ringWith(4, 10).since(11)).toBeNull()
    })

    it('returns null for a lastSeq that is not a non-negative integer', () => {
      const ring = ringWith(4, 3)
      expect(ring.since(-1)).toBeNull()
      expect(ring.since(1.5)).toBeNull()
      expect(ring.since(Number.NaN)).toBeNull()
    })
  })

  describe('push', () => {
    it('rejects a seq that is not the next one', () => {
      const ring = ringWith(4, 3)
      expect(() => ring.push(3, [])).toThrow(RangeError)
      expect(() => ring.push(5, [])).toThrow(RangeError)
      ring.push(4, [])
      expect(ring.latestSeq).toBe(4)
    })

    it('continues from a starting seq', () => {
      const ring = new BatchRing<string>(4, 100)
      expect(ring.since(100)).toEqual([])
      expect(ring.since(99)).toBeNull()
      ring.push(101, ['a'])
      expect(ring.since(100)).toEqual([{ seq: 101, events: ['a'] }])
    })
  })

  describe('toArray and fromArray', () => {
    it('round-trips through a plain array', () => {
      const ring = ringWith(4, 10)
      const stored = JSON.parse(JSON.stringify(ring.toArray()))
      expect(seqsOf(stored)).toEqual([7, 8, 9, 10])

      const restored = BatchRing.fromArray<string>(stored, 4)
      expect(restored.latestSeq).toBe(10)
      expect(restored.since(6)).toEqual(ring.since(6))
      expect(restored.since(5)).toBeNull()
      restored.push(11, ['event 11'])
      expect(seqsOf(restored.since(7))).toEqual([8, 9, 10, 11])
    })

    it('keeps only the newest batches when restored into a smaller ring', () => {
      const restored = BatchRing.fromArray(ringWith(10, 10).toArray(), 3)
      expect(seqsOf(restored.toArray())).toEqual([8, 9, 10])
      expect(restored.since(6)).toBeNull()
    })

    it('restores an empty ring at the given latest seq', () => {
      const restored = BatchRing.fromArray<string>([], 4, 42)
      expect(restored.latestSeq).toBe(42)
      expect(restored.since(42)).toEqual([])
      expect(restored.since(41)).toBeNull()
    })

    it('rejects an array whose seqs are not consecutive', () => {
      const gap = [
        { seq: 1, events: [] },
        { seq: 3, events: [] },
      ]
      expect(() => BatchRing.fromArray(gap, 4)).toThrow(RangeError)
    })

    it('rejects a latest seq that disagrees with the last batch', () => {
      expect(() => BatchRing.fromArray([{ seq: 1, events: [] }], 4, 2)).toThrow(RangeError)
    })
  })

  it('rejects a capacity below one', () => {
    expect(() => new BatchRing(0)).toThrow(RangeError)
  })
})
