import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointStoreInBackground, openStore, StoreError } from '../../src/main/core/store/open';
import { ReplicaStore } from '../../src/main/core/store/replica';
import { SqliteStorage } from '../../src/server/storage/sqlite';
import { until } from '../helpers/cluster';
import { randomKey, tempDir } from '../helpers/tmp';

/**
 * WAL checkpoints run on a worker thread (src/node/checkpointer.ts). What must hold: committed
 * pages do reach the database file without the owner ever checkpointing, and if the worker
 * fails, SQLite's own checkpoints come back on.
 */
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function dir() {
  const t = tempDir('tandem-ckpt-');
  cleanups.push(t.cleanup);
  return t.dir;
}

/**
 * A person as a copy of the database file alone (no WAL) holds it: what checkpoints have copied,
 * nothing else. A copy taken while the worker is writing the file can be torn: that is "not yet".
 */
function personInFileOnly(file: string, key: Buffer, id: string): boolean {
  const copy = path.join(dir(), 'copy.db');
  fs.copyFileSync(file, copy);
  let db;
  try {
    db = openStore(copy, { key });
  } catch (err) {
    if (err instanceof StoreError) return false;
    throw err;
  }
  try {
    return new ReplicaStore(db).read('person', id) !== null;
  } finally {
    db.close();
  }
}

describe('background checkpoints', () => {
  it("copy a console store's commits into its database file while the console only writes", async () => {
    const key = randomKey();
    const file = path.join(dir(), 'tandem.db');
    const db = openStore(file, { key });
    const failures: Error[] = [];
    const checkpointer = checkpointStoreInBackground(db, key, (err) => failures.push(err));
    cleanups.push(() => db.close());
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const store = new ReplicaStore(db);
    store.transaction(() => {
      for (let i = 0; i < 500; i++) store.write('person', `p${i}`, { name: `Person ${i}` });
    });
    await until(() => personInFileOnly(file, key, 'p499'), 5000, 'the last row in the database file');
    expect(failures).toEqual([]);
    await checkpointer?.close();
  });

  it("copy the sync server's commits into its database file", async () => {
    const file = path.join(dir(), 'server.db');
    const storage = new SqliteStorage(file);
    await storage.transaction((tx) => tx.insertWorkstation({ id: 'w1', name: 'DISP-1', secretHash: 'x', enrolledAt: '2026-11-27T00:00:00Z', revoked: false, revokedAt: null }));
    // As above: the database file alone, and a torn copy means "not yet".
    const inFileOnly = async () => {
      const to = path.join(dir(), 'copy.db');
      fs.copyFileSync(file, to);
      let other: SqliteStorage;
      try {
        other = new SqliteStorage(to);
      } catch {
        return false;
      }
      return other.transaction(async (tx) => (await tx.getWorkstation('w1')) !== null, { readOnly: true }).finally(() => other.close());
    };
    await until(inFileOnly, 5000, 'the workstation in the database file');
    await storage.close();
  });

  it('hand checkpoints back to SQLite when the worker fails', async () => {
    const key = randomKey();
    const file = path.join(dir(), 'tandem.db');
    const db = openStore(file, { key });
    cleanups.push(() => db.close());
    // The worker is given another key: it cannot read the store and gives up.
    const failed = new Promise<Error>((resolve) => checkpointStoreInBackground(db, randomKey(), resolve));
    new ReplicaStore(db).write('person', 'p1', { name: 'Ada' });
    const err = await failed;
    expect(err.message).toMatch(/checkpoint/i);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
