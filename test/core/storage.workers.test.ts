/**
 * The core's storage inside workerd, on the SQLite of a Durable Object that does nothing by
 * itself (`StorageProbe`): ordered migrations under a schema version, the meta table, and the
 * dirty-version counter.
 */
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  BatchLog,
  CORE_MIGRATIONS,
  MAX_STORED_BATCH_CHARS,
} from '../../durable-objects/core/batch-log'
import {
  MetaStore,
  VersionCounter,
  migrate,
  type Migration,
} from '../../durable-objects/core/storage'

const probes = env.STORAGE_PROBE

/** Runs `work` on the storage of a fresh probe object. */
function onFreshStorage<T>(work: (storage: DurableObjectStorage) => T): Promise<T> {
  return runInDurableObject(probes.get(probes.newUniqueId()), (_probe, state) =>
    work(state.storage),
  )
}

/** Table names and columns of a storage, for assertions. */
function columnsOf(storage: DurableObjectStorage, table: string): string[] {
  return storage.sql
    .exec(`SELECT name FROM pragma_table_info(?)`, table)
    .toArray()
    .map((row) => String(row.name))
}

// Not idempotent on purpose: running it twice would fail, so a re-run would be seen.
const createItems: Migration = {
  version: 1,
  name: 'items',
  up: 'CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL)',
}
const addColour: Migration = {
  version: 2,
  name: 'items.colour',
  up: `ALTER TABLE items ADD COLUMN colour TEXT NOT NULL DEFAULT 'grey'`,
}
const brokenThird: Migration = {
  version: 3,
  name: 'half a migration',
  up: 'CREATE TABLE extras (id INTEGER); INSERT INTO no_such_table VALUES (1)',
}

describe('migrate', () => {
  it('applies every migration of a new object in order and records the version', async () => {
    const result = await onFreshStorage((storage) => {
      const applied = migrate(storage, 'schema_version', [createItems, addColour])
      return { applied, columns: columnsOf(storage, 'items') }
    })
    expect(result).toEqual({ applied: { from: 0, to: 2 }, columns: ['id', 'label', 'colour'] })
  })

  it('brings an object created at an older version up to date, keeping its rows', async () => {
    const result = await onFreshStorage((storage) => {
      migrate(storage, 'schema_version', [createItems])
      storage.sql.exec(`INSERT INTO items (label) VALUES ('made at version 1')`)
      // A later deploy adds a column: only the new migration runs (the first would throw).
      const applied = migrate(storage, 'schema_version', [createItems, addColour])
      const again = migrate(storage, 'schema_version', [createItems, addColour])
      return {
        applied,
        again,
        rows: storage.sql.exec('SELECT label, colour FROM items').toArray(),
        version: new MetaStore(storage.sql).get('schema_version'),
      }
    })
    expect(result).toEqual({
      applied: { from: 1, to: 2 },
      again: { from: 2, to: 2 },
      rows: [{ label: 'made at version 1', colour: 'grey' }],
      version: '2',
    })
  })

  it('rolls a failing migration back and stays at the last version that applied', async () => {
    const result = await onFreshStorage((storage) => {
      migrate(storage, 'schema_version', [createItems, addColour])
      let error = ''
      try {
        migrate(storage, 'schema_version', [createItems, addColour, brokenThird])
      } catch (thrown) {
        error = String(thrown)
      }
      return {
        error,
        version: new MetaStore(storage.sql).getNumber('schema_version'),
        extras: columnsOf(storage, 'extras'),
      }
    })
    expect(result.error).toMatch(/no_such_table/)
    expect(result.version).toBe(2)
    expect(result.extras, 'the first statement of the failed migration was rolled back').toEqual([])
  })

  it('refuses tables newer than its migrations, and migrations out of order', async () => {
    const errors = await onFreshStorage((storage) => {
      migrate(storage, 'schema_version', [createItems, addColour])
      const attempt = (migrations: Migration[]) => {
        try {
          migrate(storage, 'schema_version', migrations)
          return null
        } catch (error) {
          return String(error)
        }
      }
      return [attempt([createItems]), attempt([addColour])]
    })
    expect(errors[0]).toMatch(/schema_version is 2, newer than this code's last migration \(1\)/)
    expect(errors[1]).toMatch(/has version 2, expected 1/)
  })

  it('keeps separate versions under separate keys', async () => {
    const versions = await onFreshStorage((storage) => {
      migrate(storage, 'schema_version', [createItems, addColour])
      migrate(storage, 'core_schema_version', [
        { version: 1, name: 'other', up: 'CREATE TABLE other (id INTEGER)' },
      ])
      const meta = new MetaStore(storage.sql)
      return [meta.get('schema_version'), meta.get('core_schema_version')]
    })
    expect(versions).toEqual(['2', '1'])
  })
})

describe('VersionCounter', () => {
  it('is pending after a change, and stays pending for a change made after the read', async () => {
    const states = await onFreshStorage((storage) => {
      const counter = new VersionCounter(new MetaStore(storage.sql), 'environment')
      const seen: (number | null)[] = [counter.pending()]
      counter.bump()
      const read = counter.pending()!
      seen.push(read)
      counter.bump() // a change while the sync of `read` is in flight
      counter.markSynced(read)
      seen.push(counter.pending())
      counter.markSynced(counter.pending()!)
      seen.push(counter.pending())
      counter.markSynced(1) // an older mark never moves the synced version back
      seen.push(counter.pending())
      return seen
    })
    expect(states).toEqual([null, 1, 2, null, null])
  })
})

describe('BatchLog', () => {
  /** A batch log on `storage` as a live object opens it (core tables migrated). */
  function openLog(storage: DurableObjectStorage): BatchLog<string> {
    migrate(storage, 'core_schema_version', CORE_MIGRATIONS)
    return new BatchLog<string>(storage.sql, new MetaStore(storage.sql), 4)
  }

  it('keeps a tick too large for a row out of storage and restarts resumes after it', async () => {
    const outcome = await onFreshStorage((storage) => {
      const log = openLog(storage)
      log.append(['a'])
      log.append(['b'])
      const huge = log.append(['x'.repeat(MAX_STORED_BATCH_CHARS)])
      const after = log.append(['c'])
      const reopened = openLog(storage)
      return {
        huge,
        after,
        fromBeforeHuge: log.since(1),
        fromHuge: log.since(huge)?.map((b) => b.events),
        reopenedSeq: reopened.latestSeq,
        reopenedFromBeforeHuge: reopened.since(1),
        reopenedFromHuge: reopened.since(huge)?.map((b) => b.events),
      }
    })
    expect(outcome).toEqual({
      huge: 3,
      after: 4,
      fromBeforeHuge: null,
      fromHuge: [['c']],
      reopenedSeq: 4,
      reopenedFromBeforeHuge: null,
      reopenedFromHuge: [['c']],
    })
  })

  it('reopens after a gap in the stored batches with the run that ends at the latest seq', async () => {
    const outcome = await onFreshStorage((storage) => {
      const log = openLog(storage)
      for (const event of ['a', 'b', 'c', 'd']) log.append([event])
      storage.sql.exec('DELETE FROM batches WHERE seq = 2')
      const reopened = openLog(storage)
      return {
        seq: reopened.latestSeq,
        from2: reopened.since(2)?.map((b) => b.events),
        from1: reopened.since(1),
        next: reopened.append(['e']),
      }
    })
    expect(outcome).toEqual({ seq: 4, from2: [['c'], ['d']], from1: null, next: 5 })
  })
})
