import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointStoreInBackground, keyPragmas, openStore } from '../../src/main/core/store/open';
import { ReplicaStore } from '../../src/main/core/store/replica';
import { encodeHlc } from '../../src/shared/hlc';
import { randomKey, tempDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait-for';

/**
 * Issue 13: local writes never fail from contention. While a console applies large pulled pages
 * and its checkpoints run (the background checkpointer, plus a second connection that keeps
 * taking the write lock and running RESTART checkpoints, harsher than the real one), every
 * local write and every page commits: none fails with SQLITE_BUSY.
 */
const CONTENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.file, { fileMustExist: true });
for (const statement of workerData.setup) db.pragma(statement);
db.pragma('busy_timeout = 5000');
const pause = new Int32Array(new SharedArrayBuffer(4));
const done = new Int32Array(workerData.rounds);
let n = 0;
let stop = false;
parentPort.on('message', () => { stop = true; });
function round() {
  if (stop) { db.close(); parentPort.postMessage({ rounds: n }); parentPort.close(); return; }
  db.exec('BEGIN IMMEDIATE');
  db.prepare("INSERT INTO meta(key, value) VALUES ('contender', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(n));
  Atomics.wait(pause, 0, 0, 8); // hold the write lock a while
  db.exec('COMMIT');
  Atomics.add(done, 0, 1);
  if (++n % 5 === 0) db.pragma('wal_checkpoint(RESTART)');
  setTimeout(round, 2);
}
round();
`;

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

describe('local writes under contention', () => {
  it('never fail with SQLITE_BUSY while pulled pages and checkpoints run', async () => {
    const t = tempDir('tandem-contention-');
    cleanup.push(t.cleanup);
    const key = randomKey();
    const file = path.join(t.dir, 'tandem.db');
    const db = openStore(file, { key });
    cleanup.push(() => db.close());
    const checkpointer = checkpointStoreInBackground(db, key, () => undefined);
    const store = new ReplicaStore(db);
    // Rounds the contender has committed, shared so that the writes below wait for it (a condition,
    // not a sleep): on a busy machine it could otherwise barely run, and the test prove nothing.
    const rounds = new SharedArrayBuffer(4);
    const contenderRounds = () => Atomics.load(new Int32Array(rounds), 0);
    const worker = new Worker(CONTENDER, {
      eval: true,
      workerData: { file, setup: keyPragmas(key), rounds, sqliteModule: createRequire(import.meta.url).resolve('better-sqlite3-multiple-ciphers') },
    });
    const contenderDone = new Promise<{ rounds: number }>((resolve) => worker.once('message', resolve));

    const failures: string[] = [];
    let local = 0;
    const ms = Date.now();
    for (let page = 0; page < 30; page++) {
      const ops = Array.from({ length: 2000 }, (_, i) => ({
        hlc: encodeHlc({ ms, counter: page * 2000 + i, replica: 'server' }),
        entity: 'case_event' as const,
        id: `evt-${page}-${i}`,
        fields: { caseId: `case-${page}`, at: new Date(ms).toISOString(), kind: 'note', authorId: 'u', authorName: 'U', body: { text: `note ${i} `.repeat(20) }, corrects: null },
      }));
      try {
        store.applyRemote(ops);
      } catch (err) {
        failures.push(`page ${page}: ${(err as Error).message}`);
      }
      for (let k = 0; k < 20; k++) {
        try {
          store.write('case', `local-${local}`, { reason: `typed ${local}`, status: 'open' });
          store.transaction(() => store.write('task', `task-${local}`, { caseId: `local-${local}`, title: 'call back' }));
          local++;
        } catch (err) {
          failures.push(`local ${local}: ${(err as Error).message}`);
        }
        // Let the contender and the checkpointer in between writes, as a console's event loop does.
        await new Promise((r) => setImmediate(r));
      }
      // The contender keeps pace: at least one of its rounds (a write lock held 8 ms, a RESTART
      // checkpoint every fifth) per two pages.
      await waitFor(() => contenderRounds() >= Math.ceil((page + 1) / 2), { timeout: 60_000, what: 'the contender to take the write lock again' });
    }
    worker.postMessage('stop');
    const { rounds: contended } = await contenderDone;
    await checkpointer?.close();

    expect(failures).toEqual([]);
    expect(contended).toBeGreaterThan(10); // the contention was real
    expect(local).toBe(600);
    expect((db.prepare('SELECT count(*) AS n FROM case_event').get() as { n: number }).n).toBe(60_000);
    expect(store.pendingCount()).toBe(1200);
  }, 120_000);
});
