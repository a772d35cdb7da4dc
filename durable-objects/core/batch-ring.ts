/**
 * A bounded ring of the most recent batches, keyed by consecutive sequence numbers, so a client
 * that reconnects with `hello { lastSeq }` can be sent exactly what it missed.
 *
 * Seqs must be consecutive (each push is `latestSeq + 1`): only then does "the ring holds the
 * batch right after lastSeq" prove that nothing between lastSeq and now is missing.
 */
import { RESUME_RING_BATCHES } from './config'

/** One tick's events with its sequence number. */
export interface SequencedBatch<TEvent> {
  seq: number
  events: TEvent[]
}

/** Ring of recent batches; `since` answers resumes, `toArray`/`fromArray` persist it. */
export class BatchRing<TEvent> {
  private readonly slots: (SequencedBatch<TEvent> | undefined)[]
  private count = 0
  private latest: number

  /**
   * @param capacity batches kept (older ones are forgotten)
   * @param latestSeq seq of the last batch already sent; the next push must be latestSeq + 1
   */
  constructor(
    readonly capacity: number = RESUME_RING_BATCHES,
    latestSeq = 0,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`)
    }
    if (!Number.isSafeInteger(latestSeq) || latestSeq < 0) {
      throw new RangeError(`latestSeq must be a non-negative integer, got ${latestSeq}`)
    }
    this.slots = new Array(capacity)
    this.latest = latestSeq
  }

  /** Seq of the newest batch pushed (or the starting seq if none was). */
  get latestSeq(): number {
    return this.latest
  }

  /** Batches currently held. */
  get size(): number {
    return this.count
  }

  /** Appends the batch `seq`, which must be `latestSeq + 1`; evicts the oldest when full. */
  push(seq: number, events: TEvent[]): void {
    if (seq !== this.latest + 1) {
      throw new RangeError(`expected batch seq ${this.latest + 1}, got ${seq}`)
    }
    this.slots[seq % this.capacity] = { seq, events }
    this.latest = seq
    if (this.count < this.capacity) this.count++
  }

  /**
   * Batches after `lastSeq`, oldest first: `[]` when the client is up to date, `null` when the
   * ring no longer holds everything it missed, or when `lastSeq` is not a seq this ring has
   * reached (e.g. from before a restart). On `null` the client needs a fresh `welcome`.
   */
  since(lastSeq: number): SequencedBatch<TEvent>[] | null {
    if (!Number.isSafeInteger(lastSeq) || lastSeq < 0 || lastSeq > this.latest) return null
    const missed = this.latest - lastSeq
    if (missed > this.count) return null
    const batches: SequencedBatch<TEvent>[] = []
    for (let seq = lastSeq + 1; seq <= this.latest; seq++) {
      batches.push(this.slots[seq % this.capacity] as SequencedBatch<TEvent>)
    }
    return batches
  }

  /** The held batches, oldest first, as plain objects for storage. */
  toArray(): SequencedBatch<TEvent>[] {
    return this.since(this.latest - this.count) ?? []
  }

  /**
   * Rebuilds a ring from `toArray()` output. Keeps the newest `capacity` batches. `latestSeq` is
   * needed only for an empty array and must otherwise equal the last batch's seq.
   */
  static fromArray<TEvent>(
    batches: readonly SequencedBatch<TEvent>[],
    capacity: number = RESUME_RING_BATCHES,
    latestSeq?: number,
  ): BatchRing<TEvent> {
    const last = batches[batches.length - 1]
    if (last !== undefined && latestSeq !== undefined && latestSeq !== last.seq) {
      throw new RangeError(`latestSeq ${latestSeq} does not match the last batch seq ${last.seq}`)
    }
    const kept = batches.slice(-capacity)
    const first = kept[0]
    const ring = new BatchRing<TEvent>(
      capacity,
      first === undefined ? (latestSeq ?? 0) : first.seq - 1,
    )
    for (const batch of kept) ring.push(batch.seq, batch.events)
    return ring
  }
}
