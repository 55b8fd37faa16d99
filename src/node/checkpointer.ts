import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3-multiple-ciphers';

/**
 * WAL checkpoints on a thread of their own. A checkpoint copies committed pages from the WAL
 * into the database file; done by SQLite inside whichever commit crosses its threshold, it
 * stalls the event loop that made the commit (a console's IPC, the sync server's requests).
 * Measured on a 220,000-op pull into an encrypted console store, checkpoints were a fifth of
 * the apply: SQLite3MultipleCiphers decrypts each page read from the WAL and encrypts it again
 * for the database file. WAL mode lets another connection checkpoint while this one reads and
 * writes, so a worker thread with its own connection does it, and the owner's connection no
 * longer checkpoints in its commits.
 */
export interface Checkpointer {
  /** Stops the worker; its connection closes (SQLite keeps the WAL consistent at any point). */
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** Run on the worker's connection before anything else, e.g. the key of an encrypted store. */
  setup?: string[];
  /** Told when the worker fails (SQLite's own checkpoints are already back on by then). */
  onFailure: (err: Error) => void;
}

/** How often the worker checkpoints: often enough that each checkpoint copies little. */
const CHECKPOINT_EVERY_MS = 250;

/**
 * The WAL is cut back to this size when it starts over (after a first sync or a large push
 * it may have grown far past it).
 */
const WAL_SIZE_LIMIT = 64 * 2 ** 20;

/**
 * While the owner writes without pause (a first sync), a PASSIVE checkpoint never finds the
 * WAL fully copied, so the WAL is never started over and grows. Past this many frames (~256 MB)
 * the worker runs a RESTART checkpoint: it waits for the current write to end and holds the
 * next one back (the owner's busy timeout) only while it copies what is left.
 */
const RESTART_AT_FRAMES = 65_536;

// Plain JavaScript evaluated in the worker (a separate file would need a bundle entry of its
// own). Runs PASSIVE checkpoints: they never wait for, nor block, the owner's connection.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.file, { fileMustExist: true });
for (const statement of workerData.setup) db.pragma(statement);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    const [done] = db.pragma('wal_checkpoint(PASSIVE)');
    if (done && done.log > workerData.restartAtFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) {
    // SQLITE_BUSY: another connection is checkpointing; the next tick tries again.
    if (err.code !== 'SQLITE_BUSY') {
      clearInterval(timer);
      parentPort.postMessage({ t: 'failed', message: String(err.message) });
    }
  }
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** Where this process loads better-sqlite3 from, for the worker to load the same module. */
function sqliteModulePath(): string {
  // Bundled for Electron or the server this is CommonJS (__filename); under tsx or vitest, ESM.
  const from = typeof __filename === 'string' ? __filename : import.meta.url;
  return createRequire(from).resolve('better-sqlite3-multiple-ciphers');
}

/**
 * Moves `db`'s WAL checkpoints to a worker thread: SQLite's automatic ones are turned off on
 * `db`, and back on should the worker fail. Null for an in-memory database (no WAL).
 */
export function checkpointInBackground(db: Database.Database, opts: CheckpointerOptions): Checkpointer | null {
  if (db.memory) return null;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: db.name, setup: opts.setup ?? [], everyMs: CHECKPOINT_EVERY_MS, restartAtFrames: RESTART_AT_FRAMES, sqliteModule: sqliteModulePath() },
  });
  worker.unref();
  let failed = false;
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
    opts.onFailure(err);
  };
  worker.on('message', (m: { t: string; message: string }) => {
    if (m.t === 'failed') fail(new Error(`Background checkpoint failed: ${m.message}`));
  });
  worker.on('error', (err) => fail(err));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      fail(new Error(`The background checkpoint thread stopped (exit code ${code})`));
      resolve();
    }),
  );
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  return {
    close() {
      failed = true; // an exit from here on is ours
      worker.ref(); // or a process with nothing else to do would end before the worker has closed
      worker.postMessage('close');
      return exited;
    },
  };
}
