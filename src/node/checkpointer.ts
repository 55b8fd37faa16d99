import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own. A checkpoint copies committed pages from the WAL
 * into the database file; done by SQLite inside whichever commit crosses its threshold, it
 * stalls the event loop that made the commit (a console's IPC, the sync server's requests).
 * Measured on a 220,000-op pull into an encrypted console store, checkpoints were a fifth of
 * the apply: SQLite3MultipleCiphers decrypts each page read from the WAL and encrypts it again
 * for the database file. WAL mode lets another connection checkpoint while this one reads and
 * writes, so a worker thread with its own connection does it, every `everyMs`, and the owner
 * turns SQLite's automatic checkpoints off.
 */
export interface Checkpointer {
  /** Stops the worker; its connection closes (SQLite keeps the WAL consistent at any point). */
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** The database file. */
  file: string;
  /** Run on the worker's connection before anything else, e.g. the key of an encrypted store. */
  setup?: string[];
  everyMs: number;
  /** Told when the worker fails; the owner then turns SQLite's own checkpoints back on. */
  onFailure: (err: Error) => void;
}

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

export function startCheckpointer(opts: CheckpointerOptions): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: opts.file, setup: opts.setup ?? [], everyMs: opts.everyMs, restartAtFrames: RESTART_AT_FRAMES, sqliteModule: sqliteModulePath() },
  });
  worker.unref();
  let failed = false;
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
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
  return {
    close() {
      failed = true; // an exit from here on is ours
      worker.ref(); // or a process with nothing else to do would end before the worker has closed
      worker.postMessage('close');
      return exited;
    },
  };
}
