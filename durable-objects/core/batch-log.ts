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

/**
 * Largest batch kept for resumes, in characters of its JSON (a Durable Object's SQLite refuses a
 * string over 2 MB, and UTF-8 may take up to 3 bytes a character). A tick bigger than this only
 * happens when the object runs far behind; resumes across it get a fresh snapshot instead.
 */
export const MAX_STORED_BATCH_CHARS = 600_000

/** The resume ring over the `batches` table. */
export class BatchLog<TEvent> {
  private ring: BatchRing<TEvent>

  /** Loads the ring from storage (the newest `capacity` batches up to the stored seq). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaStore,
    readonly capacity: number,
  ) {
    const latestSeq = meta.getNumber(BATCH_SEQ_KEY)
    const rows = sql
      .exec('SELECT seq, events FROM batches WHERE seq > ? ORDER BY seq', latestSeq - capacity)
      .toArray()
    // Only the unbroken run of batches ending at the latest seq can answer a resume (a batch
    // too large to keep, or one whose write failed, leaves a gap).
    let start = rows.length
    while (start > 0 && Number(rows[start - 1].seq) === latestSeq - (rows.length - start)) start--
    const batches = rows.slice(start).map((row): SequencedBatch<TEvent> => ({
      seq: Number(row.seq),
      events: JSON.parse(String(row.events)) as TEvent[],
    }))
    this.ring = BatchRing.fromArray(batches, capacity, latestSeq)
  }

  /** Seq of the last batch. */
  get latestSeq(): number {
    return this.ring.latestSeq
  }

  /**
   * Stores `events` as the next batch and returns its seq. Storage first, memory after: a write
   * that throws leaves the ring as it was. A batch over `MAX_STORED_BATCH_CHARS` is not kept:
   * the ring restarts after it, so a resume from before it gets a fresh snapshot.
   */
  append(events: TEvent[]): number {
    const seq = this.ring.latestSeq + 1
    const json = JSON.stringify(events)
    if (json.length > MAX_STORED_BATCH_CHARS) {
      this.sql.exec('DELETE FROM batches')
      this.meta.setNumber(BATCH_SEQ_KEY, seq)
      this.ring = new BatchRing<TEvent>(this.capacity, seq)
      return seq
    }
    this.sql.exec('INSERT INTO batches (seq, events) VALUES (?, ?)', seq, json)
    this.sql.exec('DELETE FROM batches WHERE seq <= ?', seq - this.capacity)
    this.meta.setNumber(BATCH_SEQ_KEY, seq)
    this.ring.push(seq, events)
    return seq
  }

  /** The batches after `lastSeq` (see `BatchRing.since`): null means "send a fresh snapshot". */
  since(lastSeq: number): SequencedBatch<TEvent>[] | null {
    return this.ring.since(lastSeq)
  }
}
