import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { checkpointInBackground, type Checkpointer } from '../../node/checkpointer';
import { migrate, MigrationError, type Migration } from '../../node/migrate';
import type { EntityName } from '../../shared/entities';
import type { Role } from '../../shared/roles';
import type { RowState } from '../../shared/sync/merge';
import type { Op } from '../../shared/sync/protocol';
import {
  SERVER_REPLICA,
  type CadKeyRecord,
  type EidoRejectionRecord,
  type EnrollmentTokenRecord,
  type EntityRow,
  type RefusedOpRecord,
  type ReplicaRecord,
  type RowAuthor,
  type ServerStorage,
  type SessionRecord,
  type StorageCounts,
  type StorageTx,
  type StoredChange,
  type StoredEidoRejection,
  type StoredRefusal,
  type UserRecord,
  type WorkstationRecord,
} from './types';
import { SQLITE_MIGRATIONS } from './migrations';

export { SQLITE_MIGRATIONS };

/**
 * The embedded default: one SQLite file (WAL, STRICT tables, numbered migrations with
 * PRAGMA user_version). better-sqlite3 is synchronous, so a transaction is BEGIN IMMEDIATE …
 * COMMIT around the async callback, and an in-process queue keeps a second transaction from
 * starting while one is open on the connection. Across processes (the CLI next to a running
 * server) SQLite's own lock and busy_timeout take over.
 */

export class ServerStorageError extends Error {
  constructor(
    readonly code: 'newer_schema' | 'migration_failed' | 'closed' | 'nested_transaction',
    message: string,
  ) {
    super(message);
    this.name = 'ServerStorageError';
  }
}

type Db = Database.Database;
type Row = Record<string, unknown>;

function migrateDatabase(db: Db, migrations: readonly Migration[], file: string): void {
  try {
    migrate(db, migrations, { subject: `The server database ${file}`, app: 'Tandem server' });
  } catch (err) {
    if (err instanceof MigrationError) throw new ServerStorageError(err.code, err.message);
    throw err;
  }
}

const toUser = (r: Row): UserRecord => ({
  id: r.id as string,
  username: r.username as string,
  passwordHash: r.password_hash as string,
  role: r.role as Role,
  name: r.name as string,
  directLine: (r.direct_line as string | null) ?? null,
  createdAt: r.created_at as string,
  disabled: r.disabled === 1,
});

const toWorkstation = (r: Row): WorkstationRecord => ({
  id: r.id as string,
  name: r.name as string,
  secretHash: r.secret_hash as string,
  enrolledAt: r.enrolled_at as string,
  revoked: r.revoked === 1,
  revokedAt: (r.revoked_at as string | null) ?? null,
});

const toCadKey = (r: Row): CadKeyRecord => ({
  name: r.name as string,
  keyHash: r.key_hash as string,
  createdAt: r.created_at as string,
  revoked: r.revoked === 1,
  revokedAt: (r.revoked_at as string | null) ?? null,
  lastUsedAt: (r.last_used_at as string | null) ?? null,
});

const toEidoRejection = (r: Row): StoredEidoRejection => ({
  id: r.id as number,
  receivedAt: r.received_at as string,
  source: r.source as string,
  cadKey: (r.cad_key as string | null) ?? null,
  code: r.code as string,
  path: (r.path as string | null) ?? null,
  message: r.message as string,
  bytes: r.bytes as number,
  raw: r.raw as Buffer,
  truncated: r.truncated === 1,
});

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The synchronous statements; the async StorageTx is a thin veneer over them. */
function prepare(db: Db) {
  const s = {
    insertUser: db.prepare(
      `INSERT INTO users(id, username, password_hash, role, name, direct_line, created_at, disabled)
       VALUES (@id, @username, @passwordHash, @role, @name, @directLine, @createdAt, @disabled)`,
    ),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    users: db.prepare('SELECT * FROM users ORDER BY username'),
    insertWorkstation: db.prepare(
      `INSERT INTO workstations(id, name, secret_hash, enrolled_at, revoked, revoked_at)
       VALUES (@id, @name, @secretHash, @enrolledAt, @revoked, @revokedAt)`,
    ),
    workstation: db.prepare('SELECT * FROM workstations WHERE id = ?'),
    workstations: db.prepare('SELECT * FROM workstations ORDER BY enrolled_at, id'),
    revokeWorkstation: db.prepare('UPDATE workstations SET revoked = 1, revoked_at = coalesce(revoked_at, ?) WHERE id = ?'),
    insertToken: db.prepare(
      `INSERT INTO enrollment_tokens(token_hash, name, created_at, expires_at, used_at, workstation_id)
       VALUES (@tokenHash, @name, @createdAt, @expiresAt, @usedAt, @workstationId)`,
    ),
    token: db.prepare('SELECT * FROM enrollment_tokens WHERE token_hash = ?'),
    useToken: db.prepare('UPDATE enrollment_tokens SET used_at = ?, workstation_id = ? WHERE token_hash = ? AND used_at IS NULL'),
    insertSession: db.prepare(
      `INSERT INTO sessions(token_hash, user_id, workstation_id, created_at, expires_at)
       VALUES (@tokenHash, @userId, @workstationId, @createdAt, @expiresAt)`,
    ),
    session: db.prepare('SELECT * FROM sessions WHERE token_hash = ?'),
    deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    deleteExpired: db.prepare('DELETE FROM sessions WHERE expires_at < ?'),
    deleteSessionsOfWs: db.prepare('DELETE FROM sessions WHERE workstation_id = ?'),
    replica: db.prepare('SELECT * FROM replicas WHERE replica = ?'),
    insertReplica: db.prepare(
      `INSERT INTO replicas(replica, workstation_id, last_seq, first_seen_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
    ),
    setLastSeq: db.prepare('UPDATE replicas SET last_seq = ? WHERE replica = ?'),
    appendChange: db.prepare('INSERT INTO change_log(replica, seq, hlc, entity, id, fields) VALUES (?, ?, ?, ?, ?, ?)'),
    cursor: db.prepare('SELECT coalesce(max(cursor), 0) AS c FROM change_log'),
    maxHlc: db.prepare('SELECT max(hlc) AS h FROM change_log'),
    entity: db.prepare('SELECT data, clocks FROM entity_state WHERE entity = ? AND id = ?'),
    putEntity: db.prepare(
      `INSERT INTO entity_state(entity, id, data, clocks, updated_cursor) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(entity, id) DO UPDATE SET data = excluded.data, clocks = excluded.clocks, updated_cursor = excluded.updated_cursor`,
    ),
    rowAuthor: db.prepare('SELECT author_id AS authorId, owner_id AS ownerId FROM row_author WHERE entity = ? AND id = ?'),
    claimRowAuthor: db.prepare('INSERT INTO row_author(entity, id, author_id, owner_id) VALUES (?, ?, ?, ?) ON CONFLICT(entity, id) DO NOTHING'),
    putRowAuthor: db.prepare(
      'INSERT INTO row_author(entity, id, author_id, owner_id) VALUES (?, ?, ?, ?) ON CONFLICT(entity, id) DO UPDATE SET owner_id = excluded.owner_id',
    ),
    insertRefused: db.prepare(
      `INSERT INTO refused_ops(replica, seq, workstation_id, user_id, reason, op, refused_at)
       VALUES (@replica, @seq, @workstationId, @userId, @reason, @op, @refusedAt)`,
    ),
    refused: db.prepare('SELECT * FROM refused_ops ORDER BY id DESC LIMIT ?'),
    counts: db.prepare(
      `SELECT (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM workstations) AS workstations,
              (SELECT count(*) FROM workstations WHERE revoked = 1) AS revokedWorkstations,
              (SELECT count(*) FROM replicas WHERE replica <> '${SERVER_REPLICA}') AS replicas,
              (SELECT count(*) FROM change_log) AS changes,
              (SELECT coalesce(max(cursor), 0) FROM change_log) AS cursor,
              (SELECT count(*) FROM refused_ops) AS refused,
              (SELECT count(*) FROM sessions WHERE expires_at >= ?) AS liveSessions`,
    ),
    insertCadKey: db.prepare(
      `INSERT INTO cad_keys(name, key_hash, created_at, revoked, revoked_at, last_used_at)
       VALUES (@name, @keyHash, @createdAt, @revoked, @revokedAt, @lastUsedAt)`,
    ),
    cadKeyByHash: db.prepare('SELECT * FROM cad_keys WHERE key_hash = ?'),
    cadKey: db.prepare('SELECT * FROM cad_keys WHERE name = ?'),
    cadKeys: db.prepare('SELECT * FROM cad_keys ORDER BY created_at, name'),
    revokeCadKey: db.prepare('UPDATE cad_keys SET revoked = 1, revoked_at = coalesce(revoked_at, ?) WHERE name = ?'),
    touchCadKey: db.prepare('UPDATE cad_keys SET last_used_at = ? WHERE name = ?'),
    insertEidoRejection: db.prepare(
      `INSERT INTO eido_rejected(received_at, source, cad_key, code, path, message, bytes, raw, truncated)
       VALUES (@receivedAt, @source, @cadKey, @code, @path, @message, @bytes, @raw, @truncated)`,
    ),
    eidoRejections: db.prepare('SELECT * FROM eido_rejected ORDER BY id DESC LIMIT ?'),
  };
  return s;
}

type Statements = ReturnType<typeof prepare>;

class SqliteTx implements StorageTx {
  /** Filtered change-log statements, one per entity set. */
  private static filtered = new WeakMap<Db, Map<string, Database.Statement>>();
  active = true;

  constructor(
    private readonly db: Db,
    private readonly s: Statements,
  ) {}

  private check(): void {
    if (!this.active) throw new ServerStorageError('closed', 'This storage transaction has already ended');
  }

  async insertUser(u: UserRecord): Promise<void> {
    this.check();
    this.s.insertUser.run({ ...u, disabled: u.disabled ? 1 : 0 });
  }
  async getUserByUsername(username: string): Promise<UserRecord | null> {
    this.check();
    const r = this.s.userByName.get(username) as Row | undefined;
    return r ? toUser(r) : null;
  }
  async getUser(id: string): Promise<UserRecord | null> {
    this.check();
    const r = this.s.userById.get(id) as Row | undefined;
    return r ? toUser(r) : null;
  }
  async listUsers(): Promise<UserRecord[]> {
    this.check();
    return (this.s.users.all() as Row[]).map(toUser);
  }

  async insertWorkstation(w: WorkstationRecord): Promise<void> {
    this.check();
    this.s.insertWorkstation.run({ ...w, revoked: w.revoked ? 1 : 0 });
  }
  async getWorkstation(id: string): Promise<WorkstationRecord | null> {
    this.check();
    const r = this.s.workstation.get(id) as Row | undefined;
    return r ? toWorkstation(r) : null;
  }
  async listWorkstations(): Promise<WorkstationRecord[]> {
    this.check();
    return (this.s.workstations.all() as Row[]).map(toWorkstation);
  }
  async revokeWorkstation(id: string, at: string): Promise<boolean> {
    this.check();
    return this.s.revokeWorkstation.run(at, id).changes === 1;
  }
  async insertEnrollmentToken(t: EnrollmentTokenRecord): Promise<void> {
    this.check();
    this.s.insertToken.run({ ...t });
  }
  async getEnrollmentToken(tokenHash: string): Promise<EnrollmentTokenRecord | null> {
    this.check();
    const r = this.s.token.get(tokenHash) as Row | undefined;
    if (!r) return null;
    return {
      tokenHash: r.token_hash as string,
      name: (r.name as string | null) ?? null,
      createdAt: r.created_at as string,
      expiresAt: r.expires_at as string,
      usedAt: (r.used_at as string | null) ?? null,
      workstationId: (r.workstation_id as string | null) ?? null,
    };
  }
  async useEnrollmentToken(tokenHash: string, at: string, workstationId: string): Promise<boolean> {
    this.check();
    return this.s.useToken.run(at, workstationId, tokenHash).changes === 1;
  }

  async insertSession(sess: SessionRecord): Promise<void> {
    this.check();
    this.s.insertSession.run({ ...sess });
  }
  async getSession(tokenHash: string): Promise<SessionRecord | null> {
    this.check();
    const r = this.s.session.get(tokenHash) as Row | undefined;
    if (!r) return null;
    return {
      tokenHash: r.token_hash as string,
      userId: r.user_id as string,
      workstationId: r.workstation_id as string,
      createdAt: r.created_at as string,
      expiresAt: r.expires_at as string,
    };
  }
  async deleteSession(tokenHash: string): Promise<void> {
    this.check();
    this.s.deleteSession.run(tokenHash);
  }
  async deleteExpiredSessions(now: string): Promise<number> {
    this.check();
    return this.s.deleteExpired.run(now).changes;
  }
  async deleteSessionsOfWorkstation(workstationId: string): Promise<number> {
    this.check();
    return this.s.deleteSessionsOfWs.run(workstationId).changes;
  }

  async getReplica(replica: string): Promise<ReplicaRecord | null> {
    this.check();
    const r = this.s.replica.get(replica) as Row | undefined;
    return r ? { replica: r.replica as string, workstationId: (r.workstation_id as string | null) ?? null, lastSeq: r.last_seq as number } : null;
  }
  async insertReplica(rep: ReplicaRecord): Promise<void> {
    this.check();
    this.s.insertReplica.run(rep.replica, rep.workstationId, rep.lastSeq);
  }
  async setReplicaLastSeq(replica: string, lastSeq: number): Promise<void> {
    this.check();
    this.s.setLastSeq.run(lastSeq, replica);
  }

  async appendChange(op: Op): Promise<number> {
    this.check();
    const info = this.s.appendChange.run(op.replica, op.seq, op.hlc, op.entity, op.id, JSON.stringify(op.fields));
    return Number(info.lastInsertRowid);
  }
  async getCursor(): Promise<number> {
    this.check();
    return (this.s.cursor.get() as { c: number }).c;
  }
  async readChanges(after: number, limit: number, entities: readonly EntityName[] | null, exceptWorkstation: string | null = null): Promise<StoredChange[]> {
    this.check();
    if (entities !== null && entities.length === 0) return [];
    const { stmt, params } = this.changesQuery(after, entities, exceptWorkstation);
    return stmt.all(...params, limit) as StoredChange[];
  }
  /** The change-log query for a filter, prepared once per shape. */
  private changesQuery(after: number, entities: readonly EntityName[] | null, exceptWorkstation: string | null) {
    let cache = SqliteTx.filtered.get(this.db);
    if (!cache) SqliteTx.filtered.set(this.db, (cache = new Map()));
    const sorted = entities ? [...entities].sort() : [];
    const key = `${sorted.join(',')}|${exceptWorkstation === null ? '' : 'except'}`;
    let stmt = cache.get(key);
    if (!stmt) {
      const byEntity = entities ? ` AND entity IN (${sorted.map(() => '?').join(', ')})` : '';
      // Evaluated once per statement (not per row): the workstation's replicas are few.
      const byOwner = exceptWorkstation === null ? '' : ' AND replica NOT IN (SELECT replica FROM replicas WHERE workstation_id = ?)';
      stmt = this.db.prepare(`SELECT cursor, replica, seq, hlc, entity, id, fields FROM change_log WHERE cursor > ?${byEntity}${byOwner} ORDER BY cursor LIMIT ?`);
      stmt.raw(true);
      cache.set(key, stmt);
    }
    const params: unknown[] = [after, ...sorted];
    if (exceptWorkstation !== null) params.push(exceptWorkstation);
    return { stmt, params };
  }
  async maxHlc(): Promise<string | null> {
    this.check();
    return (this.s.maxHlc.get() as { h: string | null }).h ?? null;
  }
  async getEntity(entity: EntityName, id: string): Promise<RowState | null> {
    this.check();
    const r = this.s.entity.get(entity, id) as { data: string; clocks: string } | undefined;
    return r ? { data: JSON.parse(r.data), clocks: JSON.parse(r.clocks) } : null;
  }
  async putEntity(entity: EntityName, id: string, state: RowState, cursor: number): Promise<void> {
    this.check();
    this.s.putEntity.run(entity, id, JSON.stringify(state.data), JSON.stringify(state.clocks), cursor);
  }
  async findEntities(entity: EntityName, where: Record<string, string>): Promise<EntityRow[]> {
    this.check();
    const keys = Object.keys(where);
    for (const k of keys) if (!FIELD_NAME.test(k)) throw new Error(`Bad field name ${JSON.stringify(k)}`);
    const cond = keys.map((k) => ` AND json_extract(data, '$.${k}') = ?`).join('');
    const rows = this.db
      .prepare(`SELECT id, data, clocks FROM entity_state WHERE entity = ?${cond} ORDER BY id`)
      .all(entity, ...keys.map((k) => where[k])) as { id: string; data: string; clocks: string }[];
    return rows.map((r) => ({ id: r.id, state: { data: JSON.parse(r.data), clocks: JSON.parse(r.clocks) } }));
  }

  async getRowAuthor(entity: EntityName, id: string): Promise<RowAuthor | null> {
    this.check();
    return (this.s.rowAuthor.get(entity, id) as RowAuthor | undefined) ?? null;
  }
  async putRowAuthor(entity: EntityName, id: string, author: RowAuthor): Promise<void> {
    this.check();
    this.s.putRowAuthor.run(entity, id, author.authorId, author.ownerId);
  }

  async claimRowAuthor(entity: EntityName, id: string, author: RowAuthor): Promise<boolean> {
    this.check();
    return this.s.claimRowAuthor.run(entity, id, author.authorId, author.ownerId).changes === 1;
  }

  async insertRefused(rec: RefusedOpRecord): Promise<void> {
    this.check();
    let op: string;
    try {
      op = JSON.stringify(rec.op) ?? 'null';
    } catch {
      op = JSON.stringify(String(rec.op));
    }
    this.s.insertRefused.run({ ...rec, op });
  }
  async listRefused(limit: number): Promise<StoredRefusal[]> {
    this.check();
    return (this.s.refused.all(limit) as Row[]).map((r) => ({
      id: r.id as number,
      replica: (r.replica as string | null) ?? null,
      seq: (r.seq as number | null) ?? null,
      workstationId: r.workstation_id as string,
      userId: r.user_id as string,
      reason: r.reason as string,
      op: JSON.parse(r.op as string) as unknown,
      refusedAt: r.refused_at as string,
    }));
  }

  async counts(now: string): Promise<StorageCounts> {
    this.check();
    return this.s.counts.get(now) as StorageCounts;
  }

  async insertCadKey(k: CadKeyRecord): Promise<void> {
    this.check();
    this.s.insertCadKey.run({ ...k, revoked: k.revoked ? 1 : 0 });
  }
  async getCadKeyByHash(keyHash: string): Promise<CadKeyRecord | null> {
    this.check();
    const r = this.s.cadKeyByHash.get(keyHash) as Row | undefined;
    return r ? toCadKey(r) : null;
  }
  async getCadKey(name: string): Promise<CadKeyRecord | null> {
    this.check();
    const r = this.s.cadKey.get(name) as Row | undefined;
    return r ? toCadKey(r) : null;
  }
  async listCadKeys(): Promise<CadKeyRecord[]> {
    this.check();
    return (this.s.cadKeys.all() as Row[]).map(toCadKey);
  }
  async revokeCadKey(name: string, at: string): Promise<boolean> {
    this.check();
    return this.s.revokeCadKey.run(at, name).changes === 1;
  }
  async touchCadKey(name: string, at: string): Promise<void> {
    this.check();
    this.s.touchCadKey.run(at, name);
  }

  async insertEidoRejection(rec: EidoRejectionRecord): Promise<number> {
    this.check();
    const info = this.s.insertEidoRejection.run({
      ...rec,
      raw: Buffer.from(rec.raw.buffer, rec.raw.byteOffset, rec.raw.byteLength),
      truncated: rec.truncated ? 1 : 0,
    });
    return Number(info.lastInsertRowid);
  }
  async listEidoRejections(limit: number): Promise<StoredEidoRejection[]> {
    this.check();
    return (this.s.eidoRejections.all(limit) as Row[]).map(toEidoRejection);
  }
}

export interface SqliteStorageOptions {
  /** Defaults to SQLITE_MIGRATIONS; tests of upgrades pass their own. */
  migrations?: readonly Migration[];
  /** The background checkpoint thread failed (SQLite then checkpoints in commits again). */
  onCheckpointFailure?: (err: Error) => void;
}

export class SqliteStorage implements ServerStorage {
  readonly kind = 'sqlite' as const;
  private readonly db: Db;
  private readonly s: Statements;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inTx = new AsyncLocalStorage<true>();
  private closed = false;

  constructor(readonly location: string, opts: SqliteStorageOptions = {}) {
    fs.mkdirSync(path.dirname(location), { recursive: true });
    const db = new Database(location);
    try {
      db.pragma('journal_mode = WAL');
      // A push is acknowledged once its transaction commits, and the console then deletes
      // those ops from its outbox: the commit must survive a power cut, not only a crash of
      // this process (NORMAL would sync the WAL only at checkpoints). Measured here: one fsync
      // per commit, ~0.7 ms added to a handoff's ring (docs/BENCHMARKS.md).
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrateDatabase(db, opts.migrations ?? SQLITE_MIGRATIONS, location);
      this.s = prepare(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    // Checkpoints (copying the WAL into the database file) on a thread of their own, not inside
    // whichever commit crosses 1,000 pages: there they held up every request queued behind that
    // commit (half a second of a busy core under a large push, a ringing handoff included).
    // (None for an in-memory database, as in tests: it has no WAL.)
    this.checkpointer = checkpointInBackground(db, { onFailure: (err) => opts.onCheckpointFailure?.(err) });
  }

  private readonly checkpointer: Checkpointer | null;

  /** Runs `job` after every job queued before it. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  transaction<T>(fn: (tx: StorageTx) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
    if (this.inTx.getStore()) {
      return Promise.reject(new ServerStorageError('nested_transaction', 'A storage transaction cannot be opened inside another'));
    }
    return this.exclusive(() =>
      this.inTx.run(true, async () => {
        if (this.closed) throw new ServerStorageError('closed', 'The server storage is closed');
        const tx = new SqliteTx(this.db, this.s);
        this.db.exec(opts.readOnly ? 'BEGIN' : 'BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          tx.active = false;
          this.db.exec('COMMIT');
          return result;
        } catch (err) {
          tx.active = false;
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw err;
        }
      }),
    );
  }

  close(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.checkpointer?.close();
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // another process may hold the database; the WAL is still consistent
      }
      this.db.close();
    });
  }
}

export function openSqliteStorage(file: string, opts?: SqliteStorageOptions): SqliteStorage {
  return new SqliteStorage(file, opts);
}
