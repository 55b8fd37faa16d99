import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { checkpointInBackground, type Checkpointer } from '../../../node/checkpointer';
import { migrate, MigrationError, type Migration } from '../../../node/migrate';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';

export type Db = Database.Database;

export class StoreError extends Error {
  constructor(
    readonly code: 'wrong_key' | 'newer_schema' | 'bad_key' | 'migration_failed',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface OpenOptions {
  /** 32 random bytes. The Electron shell keeps it with safeStorage; the host takes it from its config. */
  key: Buffer;
  /** Only for tests of upgrades: stop at this schema version. */
  targetVersion?: number;
  migrations?: readonly Migration[];
}

/** The statements that open the store with `key`, on any connection. */
export function keyPragmas(key: Buffer): string[] {
  if (key.length !== 32) throw new StoreError('bad_key', `The store key must be 32 bytes, got ${key.length}`);
  return [
    // SQLCipher v4 compatible format, so that standard tools can open an exported file.
    `cipher='sqlcipher'`,
    `legacy=4`,
    // A raw key (x'…'): it is already 32 random bytes, so SQLCipher's passphrase KDF would only
    // add a quarter second to every open.
    `key="x'${key.toString('hex')}'"`,
  ];
}

function applyKey(db: Db, key: Buffer): void {
  for (const statement of keyPragmas(key)) db.pragma(statement);
}

/**
 * Moves the store's WAL checkpoints to a worker thread (src/node/checkpointer.ts): a bulk
 * pull no longer stalls the main process for the copying. Should the worker fail, SQLite's
 * own checkpoints come back on.
 */
export function checkpointStoreInBackground(db: Db, key: Buffer, onFailure: (err: Error) => void): Checkpointer | null {
  return checkpointInBackground(db, { setup: keyPragmas(key), onFailure });
}

/**
 * Opens (or creates) the encrypted case store and brings its schema up to date.
 * A wrong key fails before anything is written, so the file is left exactly as it was.
 */
export function openStore(file: string, opts: OpenOptions): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const existed = fs.existsSync(file) && fs.statSync(file).size > 0;
  const db = new Database(file);
  try {
    applyKey(db, opts.key);
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch {
      throw new StoreError(
        'wrong_key',
        existed
          ? `Cannot open the case store at ${file}: the key does not match (or the file is not a Tandem store). The file was not changed.`
          : `Cannot create the case store at ${file}`,
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Statement journals and sort spills stay in memory: with them in temp files every insert
    // into a table with triggers (the search index) wrote each touched page out and back, which
    // made a case insert ~3× dearer — and nothing of the store, even encrypted, lands in /tmp.
    db.pragma('temp_store = MEMORY');
    // The queue reads the case and person tables and their indexes on every filter change:
    // keep up to 128 MB of decrypted pages in memory (SQLite's default is a few MB, and each
    // page read past it is a read and a decryption).
    db.pragma('cache_size = -131072');
    migrateStore(db, opts);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Brings a case store's schema up to date (see src/node/migrate.ts); errors as StoreError. */
export function migrateStore(db: Db, opts: Pick<OpenOptions, 'migrations' | 'targetVersion'> = {}): void {
  try {
    migrate(db, opts.migrations ?? MIGRATIONS, { subject: 'This case store', app: 'Tandem', target: opts.targetVersion });
  } catch (err) {
    if (err instanceof MigrationError) throw new StoreError(err.code, err.message);
    throw err;
  }
}

/**
 * Runs `fn` (a delete) with the pages it frees left as they are until reused, instead of
 * zeroed and written out; for deletes whose rows are copies of what the store still holds.
 */
export function withoutZeroingFreedPages(db: Db, fn: () => void): void {
  const secureDelete = db.pragma('secure_delete', { simple: true });
  db.pragma('secure_delete = FAST');
  try {
    fn();
  } finally {
    db.pragma(`secure_delete = ${secureDelete === 2 ? 'FAST' : Number(secureDelete)}`);
  }
}

/** Re-encrypts the store under a new key. WAL is switched off for the rekey, then back on. */
export function rotateKey(db: Db, newKey: Buffer): void {
  if (newKey.length !== 32) throw new StoreError('bad_key', `The store key must be 32 bytes, got ${newKey.length}`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.pragma(`rekey="x'${newKey.toString('hex')}'"`);
  db.pragma('journal_mode = WAL');
}

export { SCHEMA_VERSION };
