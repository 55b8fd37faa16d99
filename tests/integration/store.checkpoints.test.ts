import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointInBackground, openStore } from '../../src/main/core/store/open';
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

/** Opens a copy of the database file alone (no WAL): what a checkpoint has copied, nothing else. */
function fileOnly(file: string, key: Buffer) {
  const copy = path.join(dir(), 'copy.db');
  fs.copyFileSync(file, copy);
  const db = openStore(copy, { key });
  cleanups.push(() => db.close());
  return new ReplicaStore(db);
}

describe('background checkpoints', () => {
  it("copy a console store's commits into its database file while the console only writes", async () => {
    const key = randomKey();
    const file = path.join(dir(), 'tandem.db');
    const db = openStore(file, { key });
    const failures: Error[] = [];
    const checkpointer = checkpointInBackground(db, key, (err) => failures.push(err));
    cleanups.push(() => db.close());
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const store = new ReplicaStore(db);
    store.transaction(() => {
      for (let i = 0; i < 500; i++) store.write('person', `p${i}`, { name: `Person ${i}` });
    });
    await until(() => fileOnly(file, key).read('person', 'p499') !== null, 5000, 'the last row in the database file');
    expect(failures).toEqual([]);
    await checkpointer.close();
  });

  it("copy the sync server's commits into its database file", async () => {
    const file = path.join(dir(), 'server.db');
    const storage = new SqliteStorage(file);
    await storage.transaction((tx) => tx.insertWorkstation({ id: 'w1', name: 'DISP-1', secretHash: 'x', enrolledAt: '2026-11-27T00:00:00Z', revoked: false, revokedAt: null }));
    const copy = () => {
      const to = path.join(dir(), 'copy.db');
      fs.copyFileSync(file, to);
      const other = new SqliteStorage(to);
      return other.transaction((tx) => tx.getWorkstation('w1'), { readOnly: true }).finally(() => other.close());
    };
    await until(async () => (await copy()) !== null, 5000, 'the workstation in the database file');
    await storage.close();
  });

  it('hand checkpoints back to SQLite when the worker fails', async () => {
    const key = randomKey();
    const file = path.join(dir(), 'tandem.db');
    const db = openStore(file, { key });
    cleanups.push(() => db.close());
    // The worker is given another key: it cannot read the store and gives up.
    const failed = new Promise<Error>((resolve) => checkpointInBackground(db, randomKey(), resolve));
    new ReplicaStore(db).write('person', 'p1', { name: 'Ada' });
    const err = await failed;
    expect(err.message).toMatch(/checkpoint/i);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
