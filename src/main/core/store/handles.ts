import type Database from 'better-sqlite3-multiple-ciphers';
import type { Db } from './open';

/**
 * The handles the query modules (./queries/*.ts) run their SQL through. Services never hold
 * the connection: they call named query functions, which take one of these.
 *
 * Each statement is prepared once per open store (the first time its SQL is asked for) and
 * reused after: the queue, case open and search run on every keystroke, and preparing costs
 * more than most of their reads. A read handle refuses SQL that would write, so a query that
 * is meant to read cannot change the store by mistake. Writes through a write handle are for
 * local tables only (audit, user cache, meta, outbox); replicated rows are written by
 * ReplicaStore.write, which puts the op in the outbox with its HLC in the same transaction.
 */
export type ReadStatement<Params extends unknown[], Row> = Pick<Database.Statement<Params, Row>, 'get' | 'all'>;
export type WriteStatement<Params extends unknown[]> = Pick<Database.Statement<Params>, 'run'>;

/** How a read statement hands back each row: an object by column name, an array, or the first column alone. */
export type RowShape = 'object' | 'array' | 'value';

export class ReadHandle {
  /** By row shape (or 'write'), then by the SQL text itself: constant strings hash once, so a lookup costs next to nothing. */
  private readonly prepared = new Map<RowShape | 'write', Map<string, Database.Statement<unknown[], unknown>>>();

  constructor(protected readonly db: Db) {}

  /** A statement that only reads. SQL that would write is a mistake in the code, refused here. */
  statement<Params extends unknown[] = unknown[], Row = unknown>(sql: string, shape: RowShape = 'object'): ReadStatement<Params, Row> {
    return this.cached(shape, sql, () => {
      const stmt = this.db.prepare(sql);
      if (!stmt.readonly) throw new Error(`A read handle only reads; this statement writes: ${sql.trim().slice(0, 80)}`);
      if (shape === 'array') stmt.raw(true);
      if (shape === 'value') stmt.pluck(true);
      return stmt;
    }) as ReadStatement<Params, Row>;
  }

  protected cached(kind: RowShape | 'write', sql: string, prepare: () => Database.Statement<unknown[], unknown>): Database.Statement<unknown[], unknown> {
    let byKind = this.prepared.get(kind);
    if (!byKind) this.prepared.set(kind, (byKind = new Map()));
    let stmt = byKind.get(sql);
    if (!stmt) {
      stmt = prepare();
      byKind.set(sql, stmt);
    }
    return stmt;
  }
}

export class WriteHandle extends ReadHandle {
  /** A statement that writes a local table (never a replicated one: see ReplicaStore.write). */
  writer<Params extends unknown[] = unknown[]>(sql: string): WriteStatement<Params> {
    return this.cached('write', sql, () => this.db.prepare(sql)) as WriteStatement<Params>;
  }

  /**
   * Runs `fn` in one transaction, or inside the one already open. It starts IMMEDIATE (takes
   * the write lock first, waiting out the busy timeout), so a checkpoint or another
   * connection never makes it fail half-way with SQLITE_BUSY.
   */
  transaction<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn).immediate();
  }
}
