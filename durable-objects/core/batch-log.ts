/**
 * The sequenced batches of a live object: every tick's events get the next seq, go into the
 * in-memory resume ring and into the `batches` table (trimmed to the ring's capacity), and the
 * latest seq into meta, so a client can resume by its last seq even after the object restarted.
 */
import { BatchRing, type SequencedBatch } from './batch-ring'
import type { Migration, MetaStore } from './storage'

/** Meta key of the latest batch seq. */
const BATCH_SEQ_KEY = 'batch_seq'

/** The core's own tables, under the `core_schema_version` key. */
export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'batches: the resume ring',
    // The same DDL the instance room created before versions existed, so its objects adopt it.
    up: 'CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, events TEXT NOT NULL)',
  },
]

/** The resume ring over the `batches` table. */
export class BatchLog<TEvent> {
  private readonly ring: BatchRing<TEvent>

  /** Loads the ring from storage (the newest `capacity` batches up to the stored seq). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaStore,
    readonly capacity: number,
  ) {
    const latestSeq = meta.getNumber(BATCH_SEQ_KEY)
    const batches = sql
      .exec('SELECT seq, events FROM batches WHERE seq > ? ORDER BY seq', latestSeq - capacity)
      .toArray()
      .map((row): SequencedBatch<TEvent> => ({
        seq: Number(row.seq),
        events: JSON.parse(String(row.events)) as TEvent[],
      }))
    this.ring = BatchRing.fromArray(batches, capacity, latestSeq)
  }

  /** Seq of the last batch. */
  get latestSeq(): number {
    return this.ring.latestSeq
  }

  /** Stores `events` as the next batch and returns its seq. */
  append(events: TEvent[]): number {
    const seq = this.ring.latestSeq + 1
    this.ring.push(seq, events)
    this.sql.exec('INSERT INTO batches (seq, events) VALUES (?, ?)', seq, JSON.stringify(events))
    this.sql.exec('DELETE FROM batches WHERE seq <= ?', seq - this.capacity)
    this.meta.setNumber(BATCH_SEQ_KEY, seq)
    return seq
  }

  /** The batches after `lastSeq` (see `BatchRing.since`): null means "send a fresh snapshot". */
  since(lastSeq: number): SequencedBatch<TEvent>[] | null {
    return this.ring.since(lastSeq)
  }
}
