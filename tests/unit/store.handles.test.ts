import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/core/store/open';
import { ReplicaStore } from '../../src/main/core/store/replica';
import { metaValue, setMetaValue } from '../../src/main/core/store/queries/meta';
import { tempDir, randomKey } from '../helpers/tmp';

let cleanup = () => {};
afterEach(() => cleanup());

function store(): ReplicaStore {
  const t = tempDir();
  cleanup = t.cleanup;
  return new ReplicaStore(openStore(path.join(t.dir, 'tandem.db'), { key: randomKey() }));
}

describe('store handles', () => {
  it('a read handle refuses SQL that writes, and the store is unchanged', () => {
    const s = store();
    setMetaValue(s.writes, 'kept', 'yes');
    expect(() => s.reads.statement("DELETE FROM meta WHERE key = 'kept'")).toThrow(/read handle only reads; this statement writes: DELETE FROM meta/);
    expect(metaValue(s.reads, 'kept')).toBe('yes');
  });

  it('prepares each statement once per open store', () => {
    const s = store();
    const sql = 'SELECT value FROM meta WHERE key = ?';
    expect(s.reads.statement(sql)).toBe(s.reads.statement(sql));
    // The same SQL asked for in another row shape is a statement of its own.
    expect(s.reads.statement(sql, 'value')).not.toBe(s.reads.statement(sql));
    const other = new ReplicaStore(s.db);
    expect(other.reads.statement(sql)).not.toBe(s.reads.statement(sql));
  });

  it('a write handle writes local tables in one transaction, or not at all', () => {
    const s = store();
    expect(() =>
      s.writes.transaction(() => {
        setMetaValue(s.writes, 'a', '1');
        throw new Error('stopped halfway');
      }),
    ).toThrow('stopped halfway');
    expect(metaValue(s.reads, 'a')).toBeUndefined();
  });
});
