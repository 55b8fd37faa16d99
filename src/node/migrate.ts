import type Database from 'better-sqlite3-multiple-ciphers';

/**
 * Numbered schema migrations, one way for every SQLite database Tandem keeps (the console's
 * case store, the sync server's database): each runs in its own transaction and sets
 * `PRAGMA user_version` in it, so a database is always at exactly one known version; a
 * database written by a newer Tandem is refused rather than guessed at.
 *
 * Migrations are TypeScript modules holding their SQL as a string (one file per migration),
 * so that the tsx runs, the esbuild bundles and the tests all find them without a loader.
 * Never edit a migration that has shipped: add the next one.
 */
export interface Migration {
  /** 1, 2, 3…: no gaps, in order. */
  version: number;
  /** What it does, for the error that names a failing migration. */
  name: string;
  sql: string;
  /**
   * SQLite only: run with foreign keys off, as SQLite's documented way of rebuilding a table that
   * others reference (CREATE the new table, copy, DROP the old, RENAME: sqlite.org/lang_altertable.html,
   * "Making Other Kinds Of Table Schema Changes"). PRAGMA foreign_keys cannot change inside a
   * transaction, so it is turned off around it, `foreign_key_check` must find nothing before the
   * migration commits, and the setting is put back whatever happens.
   */
  rebuildsTables?: boolean;
}

export class MigrationError extends Error {
  constructor(
    readonly code: 'newer_schema' | 'migration_failed',
    message: string,
    /** The migration that failed (migration_failed only). */
    readonly version: number | null = null,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

export interface MigrateOptions {
  /** The database, as the errors name it: "This case store", "The server database /srv/tandem-server.db". */
  subject: string;
  /** What writes it, as the errors name it: "Tandem", "Tandem server". */
  app: string;
  /** Only for tests of upgrades: stop at this version. */
  target?: number;
}

/** The version a list of migrations brings a database to (0 for none). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/**
 * Brings `db` up to the last of `migrations` (or `opts.target`). Each migration is one
 * IMMEDIATE transaction: it applies whole, with its version, or not at all.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[], opts: MigrateOptions): void {
  checkNumbering(migrations);
  const latest = latestVersion(migrations);
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new MigrationError(
      'newer_schema',
      `${opts.subject} was written by a newer ${opts.app} (schema ${current}; this version knows up to ${latest}). ` +
        `Run the newer ${opts.app}; nothing was changed.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    if (opts.target !== undefined && m.version > opts.target) break;
    const run = db.transaction(() => {
      db.exec(m.sql);
      if (m.rebuildsTables) {
        const broken = db.pragma('foreign_key_check') as { table: string; parent: string }[];
        if (broken.length) throw new Error(`${broken.length} rows of ${broken[0]!.table} no longer find their ${broken[0]!.parent}`);
      }
      db.pragma(`user_version = ${m.version}`);
    });
    const foreignKeys = m.rebuildsTables ? (db.pragma('foreign_keys', { simple: true }) as number) : 0;
    if (foreignKeys) db.pragma('foreign_keys = OFF');
    try {
      run.immediate();
    } catch (err) {
      throw new MigrationError(
        'migration_failed',
        `Migration ${m.version} (${m.name}) failed: ${(err as Error).message}. ${opts.subject} was left at schema ${db.pragma('user_version', { simple: true })}.`,
        m.version,
      );
    } finally {
      if (foreignKeys) db.pragma('foreign_keys = ON');
    }
  }
}

/** A list with a gap or a repeat is a mistake in the code, never in the database: said before anything runs. */
export function checkNumbering(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migrations must be numbered 1, 2, 3… in order: found ${m.version} (${m.name}) at position ${i + 1}`);
    }
  });
}
