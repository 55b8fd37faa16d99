import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { checkpointInBackground, type Checkpointer } from '../../node/checkpointer';
import { latestVersion, migrate, MigrationError, type Migration } from '../../node/migrate';
import type { EntityName } from '../../shared/entities';
import type { RowState } from '../../shared/sync/merge';
import type { Op } from '../../shared/sync/protocol';
import {
  SERVER_REPLICA,
  type AuditFilter,
  type AuditRecord,
  type CadKeyRecord,
  type EidoRejectionRecord,
  type EnrollmentTokenRecord,
  type EnrollmentKeyRecord,
  type EntityRow,
  type MfaRecord,
  type RefusedOpRecord,
  type ReplicaRecord,
  type RowAuthor,
  type RowClaim,
  lastPerRow,
  type ServerStorage,
  type SessionRecord,
  type SignInFailureRecord,
  type StorageCounts,
  type StorageHealth,
  type StorageTx,
  type StoredChange,
  type StoredEidoRejection,
  type StoredRefusal,
  type UserRecord,
  type WorkstationRecord,
} from './types';
import { SQLITE_MIGRATIONS } from './migrations';
import { toAudit, toMfa, toCadKey, toEidoRejection, toEnrollmentKey, toSession, toUser, toWorkstation, type Row } from './rows';
import { KEY_FILE_ENV, keyPragmas } from './key';

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
    readonly code: 'newer_schema' | 'migration_failed' | 'closed' | 'nested_transaction' | 'wrong_key',
    message: string,
  ) {
    super(message);
    this.name = 'ServerStorageError';
  }
}

type Db = Database.Database;

function migrateDatabase(db: Db, migrations: readonly Migration[], file: string): void {
  try {
    migrate(db, migrations, { subject: `The server database ${file}`, app: 'Tandem server' });
  } catch (err) {
    if (err instanceof MigrationError) throw new ServerStorageError(err.code, err.message);
    throw err;
  }
}

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
    setUserDisabled: db.prepare('UPDATE users SET disabled = ? WHERE id = ?'),
    setUserPassword: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
    mfa: db.prepare('SELECT * FROM user_mfa WHERE user_id = ?'),
    putMfa: db.prepare(
      `INSERT INTO user_mfa(user_id, secret, pending_secret, required, last_step, recovery, enrolled_at)
       VALUES (@userId, @secret, @pendingSecret, @required, @lastStep, @recovery, @enrolledAt)
       ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, pending_secret = excluded.pending_secret,
         required = excluded.required, last_step = excluded.last_step, recovery = excluded.recovery, enrolled_at = excluded.enrolled_at`,
    ),
    deleteMfa: db.prepare('DELETE FROM user_mfa WHERE user_id = ?'),
    signInFailures: db.prepare('SELECT * FROM signin_failures WHERE username = ?'),
    putSignInFailures: db.prepare(
      `INSERT INTO signin_failures(username, failures, last_failed_at, locked_until, locked)
       VALUES (@username, @failures, @lastFailedAt, @lockedUntil, @locked)
       ON CONFLICT(username) DO UPDATE SET failures = excluded.failures, last_failed_at = excluded.last_failed_at,
         locked_until = excluded.locked_until, locked = excluded.locked`,
    ),
    clearSignInFailures: db.prepare('DELETE FROM signin_failures WHERE username = ?'),
    insertWorkstation: db.prepare(
      `INSERT INTO workstations(id, name, secret_hash, enrolled_at, revoked, revoked_at, enrollment_key_id, machine_id)
       VALUES (@id, @name, @secretHash, @enrolledAt, @revoked, @revokedAt, @enrollmentKeyId, @machineId)`,
    ),
    insertEnrollmentKey: db.prepare(
      `INSERT INTO enrollment_keys(id, key_hash, name, created_at, expires_at, revoked_at, uses, last_used_at)
       VALUES (@id, @keyHash, @name, @createdAt, @expiresAt, @revokedAt, @uses, @lastUsedAt)`,
    ),
    enrollmentKeyByHash: db.prepare('SELECT * FROM enrollment_keys WHERE key_hash = ?'),
    enrollmentKeys: db.prepare('SELECT * FROM enrollment_keys ORDER BY created_at, id'),
    expireEnrollmentKeys: db.prepare(
      `UPDATE enrollment_keys SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > @at THEN @at ELSE expires_at END
       WHERE name = @name AND revoked_at IS NULL`,
    ),
    revokeEnrollmentKeys: db.prepare('UPDATE enrollment_keys SET revoked_at = coalesce(revoked_at, @at) WHERE id = @key OR name = @key RETURNING id'),
    touchEnrollmentKey: db.prepare('UPDATE enrollment_keys SET uses = uses + 1, last_used_at = ? WHERE id = ?'),
    workstationsOfKey: db.prepare('SELECT * FROM workstations WHERE enrollment_key_id = ? ORDER BY enrolled_at, id'),
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
    deleteSessionsOfUser: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    sessions: db.prepare('SELECT * FROM sessions WHERE expires_at >= ? ORDER BY created_at, token_hash'),
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
    rowAuthors: db
      .prepare('SELECT id, author_id, owner_id FROM row_author WHERE entity = ? AND id IN (SELECT value FROM json_each(?))')
      .raw(true),
    putRowAuthor: db.prepare(
      'INSERT INTO row_author(entity, id, author_id, owner_id) VALUES (?, ?, ?, ?) ON CONFLICT(entity, id) DO UPDATE SET owner_id = excluded.owner_id',
    ),
    insertRefused: db.prepare(
      `INSERT INTO refused_ops(replica, seq, workstation_id, user_id, reason, op, refused_at)
       VALUES (@replica, @seq, @workstationId, @userId, @reason, @op, @refusedAt)`,
    ),
    refused: db.prepare('SELECT * FROM refused_ops ORDER BY id DESC LIMIT ?'),
    pruneRefused: db.prepare('DELETE FROM refused_ops WHERE id <= (SELECT coalesce(max(id), 0) FROM refused_ops) - ? OR refused_at < ?'),
    pruneEido: db.prepare('DELETE FROM eido_rejected WHERE id <= (SELECT coalesce(max(id), 0) FROM eido_rejected) - ? OR received_at < ?'),
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
    auditHead: db.prepare('SELECT seq, hash FROM audit_heads WHERE source = ?'),
    insertAudit: db.prepare(
      `INSERT INTO audit_log(source, seq, at, actor, workstation_id, action, subject, detail, ip, prev_hash, hash)
       VALUES (@source, @seq, @at, @actor, @workstationId, @action, @subject, @detail, @ip, @prevHash, @hash)`,
    ),
    putAuditHead: db.prepare(
      `INSERT INTO audit_heads(source, seq, hash) VALUES (?, ?, ?)
       ON CONFLICT(source) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    ),
    auditSearch: db.prepare(
      `SELECT * FROM audit_log
       WHERE (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to) AND (@actor IS NULL OR actor = @actor)
         AND (@action IS NULL OR action = @action) AND (@ws IS NULL OR workstation_id = @ws)
         AND (@subject IS NULL OR subject = @subject) AND (@before IS NULL OR id < @before)
       ORDER BY id DESC LIMIT @limit`,
    ),
    auditHeads: db.prepare('SELECT source, seq, hash FROM audit_heads ORDER BY source'),
    auditChain: db.prepare('SELECT * FROM audit_log WHERE source = ? AND seq > ? ORDER BY seq LIMIT ?'),
    auditBetween: db.prepare('SELECT * FROM audit_log WHERE at >= ? AND at < ? AND id > ? ORDER BY id LIMIT ?'),
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

/** Rows per multi-row statement; a batch's remainder goes in power-of-two chunks (9 statements per kind at most). */
const CHUNK_ROWS = 256;

/** Splits `n` rows into chunk sizes: as many CHUNK_ROWS as fit, then powers of two. */
function chunkSizes(n: number): number[] {
  const out: number[] = [];
  for (; n >= CHUNK_ROWS; n -= CHUNK_ROWS) out.push(CHUNK_ROWS);
  for (let size = CHUNK_ROWS / 2; n > 0; size /= 2) {
    if (n < size) continue;
    out.push(size);
    n -= size;
  }
  return out;
}

class SqliteTx implements StorageTx {
  /** Filtered change-log statements, one per entity set. */
  private static filtered = new WeakMap<Db, Map<string, Database.Statement>>();
  /** Multi-row statements, one per kind and row count. */
  private static multi = new WeakMap<Db, Map<string, Database.Statement>>();
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
  async setUserDisabled(id: string, disabled: boolean): Promise<boolean> {
    this.check();
    return this.s.setUserDisabled.run(disabled ? 1 : 0, id).changes === 1;
  }
  async setUserPasswordHash(id: string, passwordHash: string): Promise<void> {
    this.check();
    this.s.setUserPassword.run(passwordHash, id);
  }
  async getMfa(userId: string): Promise<MfaRecord | null> {
    this.check();
    const r = this.s.mfa.get(userId) as Row | undefined;
    return r ? toMfa(r) : null;
  }
  async putMfa(rec: MfaRecord): Promise<void> {
    this.check();
    this.s.putMfa.run({ ...rec, required: rec.required ? 1 : 0, recovery: JSON.stringify(rec.recovery) });
  }
  async deleteMfa(userId: string): Promise<boolean> {
    this.check();
    return this.s.deleteMfa.run(userId).changes > 0;
  }
  async getSignInFailures(username: string): Promise<SignInFailureRecord | null> {
    this.check();
    const r = this.s.signInFailures.get(username.toLowerCase()) as Row | undefined;
    if (!r) return null;
    return {
      username: r.username as string,
      failures: r.failures as number,
      lastFailedAt: r.last_failed_at as string,
      lockedUntil: (r.locked_until as string | null) ?? null,
      locked: r.locked === 1,
    };
  }
  async putSignInFailures(rec: SignInFailureRecord): Promise<void> {
    this.check();
    this.s.putSignInFailures.run({ ...rec, username: rec.username.toLowerCase(), locked: rec.locked ? 1 : 0 });
  }
  async clearSignInFailures(username: string): Promise<boolean> {
    this.check();
    return this.s.clearSignInFailures.run(username.toLowerCase()).changes > 0;
  }

  async insertWorkstation(w: WorkstationRecord): Promise<void> {
    this.check();
    this.s.insertWorkstation.run({ ...w, revoked: w.revoked ? 1 : 0, enrollmentKeyId: w.enrollmentKeyId ?? null, machineId: w.machineId ?? null });
  }
  async insertEnrollmentKey(k: EnrollmentKeyRecord): Promise<void> {
    this.check();
    this.s.insertEnrollmentKey.run({ ...k });
  }
  async getEnrollmentKeyByHash(keyHash: string): Promise<EnrollmentKeyRecord | null> {
    this.check();
    const r = this.s.enrollmentKeyByHash.get(keyHash) as Row | undefined;
    return r ? toEnrollmentKey(r) : null;
  }
  async listEnrollmentKeys(): Promise<EnrollmentKeyRecord[]> {
    this.check();
    return (this.s.enrollmentKeys.all() as Row[]).map(toEnrollmentKey);
  }
  async expireEnrollmentKeys(name: string, at: string): Promise<number> {
    this.check();
    return this.s.expireEnrollmentKeys.run({ name, at }).changes;
  }
  async revokeEnrollmentKeys(idOrName: string, at: string): Promise<string[]> {
    this.check();
    return (this.s.revokeEnrollmentKeys.all({ key: idOrName, at }) as Row[]).map((r) => r.id as string);
  }
  async touchEnrollmentKey(id: string, at: string): Promise<void> {
    this.check();
    this.s.touchEnrollmentKey.run(at, id);
  }
  async workstationsEnrolledWith(keyId: string): Promise<WorkstationRecord[]> {
    this.check();
    return (this.s.workstationsOfKey.all(keyId) as Row[]).map(toWorkstation);
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
    return r ? toSession(r) : null;
  }
  async deleteSessionsOfUser(userId: string): Promise<number> {
    this.check();
    return this.s.deleteSessionsOfUser.run(userId).changes;
  }
  async listSessions(now: string): Promise<SessionRecord[]> {
    this.check();
    return (this.s.sessions.all(now) as Row[]).map(toSession);
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
  async appendChanges(ops: readonly Op[]): Promise<void> {
    this.check();
    let i = 0;
    for (const n of chunkSizes(ops.length)) {
      const params: unknown[] = [];
      for (const op of ops.slice(i, i + n)) params.push(op.replica, op.seq, op.hlc, op.entity, op.id, JSON.stringify(op.fields));
      i += n;
      this.multiRow('append', n, '(?, ?, ?, ?, ?, ?)', (v) => `INSERT INTO change_log(replica, seq, hlc, entity, id, fields) VALUES ${v}`).run(...params);
    }
  }
  /** A statement with `rows` copies of `row` (its VALUES), prepared once per kind and count. */
  private multiRow(kind: string, rows: number, row: string, sql: (values: string) => string, raw = false): Database.Statement {
    let cache = SqliteTx.multi.get(this.db);
    if (!cache) SqliteTx.multi.set(this.db, (cache = new Map()));
    const key = `${kind}:${rows}`;
    let stmt = cache.get(key);
    if (!stmt) {
      stmt = this.db.prepare(sql(Array(rows).fill(row).join(', ')));
      if (raw) stmt.raw(true);
      cache.set(key, stmt);
    }
    return stmt;
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
  async claimRowAuthors(claims: readonly RowClaim[]): Promise<boolean[]> {
    this.check();
    const claimed = new Set<string>();
    let i = 0;
    for (const n of chunkSizes(claims.length)) {
      const params: unknown[] = [];
      for (const c of claims.slice(i, i + n)) params.push(c.entity, c.id, c.author.authorId, c.author.ownerId);
      i += n;
      const stmt = this.multiRow(
        'claim',
        n,
        '(?, ?, ?, ?)',
        (v) => `INSERT INTO row_author(entity, id, author_id, owner_id) VALUES ${v} ON CONFLICT(entity, id) DO NOTHING RETURNING entity, id`,
        true,
      );
      for (const [entity, id] of stmt.all(...params) as [string, string][]) claimed.add(`${entity}\u0000${id}`);
    }
    return claims.map((c) => claimed.has(`${c.entity}\u0000${c.id}`));
  }
  async getRowAuthors(entity: EntityName, ids: readonly string[]): Promise<Map<string, RowAuthor>> {
    this.check();
    const out = new Map<string, RowAuthor>();
    if (!ids.length) return out;
    for (const r of this.s.rowAuthors.all(entity, JSON.stringify(ids)) as [string, string, string | null][]) out.set(r[0], { authorId: r[1], ownerId: r[2] });
    return out;
  }
  async putRowAuthors(rows: readonly RowClaim[]): Promise<void> {
    this.check();
    const last = lastPerRow(rows);
    let i = 0;
    for (const n of chunkSizes(last.length)) {
      const params: unknown[] = [];
      for (const r of last.slice(i, i + n)) params.push(r.entity, r.id, r.author.authorId, r.author.ownerId);
      i += n;
      this.multiRow(
        'putAuthor',
        n,
        '(?, ?, ?, ?)',
        (v) => `INSERT INTO row_author(entity, id, author_id, owner_id) VALUES ${v} ON CONFLICT(entity, id) DO UPDATE SET owner_id = excluded.owner_id`,
      ).run(...params);
    }
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

  async pruneRefused(keepLast: number, before: string): Promise<number> {
    this.check();
    return this.s.pruneRefused.run(keepLast, before).changes;
  }
  async pruneEidoRejections(keepLast: number, before: string): Promise<number> {
    this.check();
    return this.s.pruneEido.run(keepLast, before).changes;
  }

  async counts(now: string): Promise<StorageCounts> {
    this.check();
    return this.s.counts.get(now) as StorageCounts;
  }

  async auditHead(source: string): Promise<{ seq: number; hash: string } | null> {
    this.check();
    return (this.s.auditHead.get(source) as { seq: number; hash: string } | undefined) ?? null;
  }
  async appendAudit(rec: AuditRecord): Promise<void> {
    this.check();
    this.s.insertAudit.run({ ...rec });
    this.s.putAuditHead.run(rec.source, rec.seq, rec.hash);
  }
  async auditHeads(): Promise<{ source: string; seq: number; hash: string }[]> {
    this.check();
    return this.s.auditHeads.all() as { source: string; seq: number; hash: string }[];
  }
  async readAuditChain(source: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    this.check();
    return (this.s.auditChain.all(source, afterSeq, limit) as Row[]).map(toAudit);
  }
  async searchAudit(f: AuditFilter, beforeId: number | null, limit: number): Promise<(AuditRecord & { id: number })[]> {
    this.check();
    const rows = this.s.auditSearch.all({
      from: f.from ?? null,
      to: f.to ?? null,
      actor: f.actor ?? null,
      action: f.action ?? null,
      ws: f.workstationId ?? null,
      subject: f.subject ?? null,
      before: beforeId,
      limit,
    }) as Row[];
    return rows.map((r) => ({ ...toAudit(r), id: r.id as number }));
  }
  async readAuditBetween(from: string, to: string, afterId: number, limit: number): Promise<(AuditRecord & { id: number })[]> {
    this.check();
    return (this.s.auditBetween.all(from, to, afterId, limit) as Row[]).map((r) => ({ ...toAudit(r), id: r.id as number }));
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
  /**
   * 32 bytes: the database is encrypted at rest (SQLCipher format). A plain database opened
   * with a key is encrypted in place first; an encrypted one opened without its key is refused.
   */
  key?: Buffer | null;
  /** Defaults to SQLITE_MIGRATIONS; tests of upgrades pass their own. */
  migrations?: readonly Migration[];
  /** The background checkpoint thread failed (SQLite then checkpoints in commits again). */
  onCheckpointFailure?: (err: Error) => void;
}

function readable(db: Db): boolean {
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the database with its key (or none). A plain database given a key is encrypted in
 * place (WAL off for the rekey, as SQLite3MultipleCiphers requires); a wrong or missing key
 * is refused before anything is written.
 */
function openWithKey(db: Db, file: string, key: Buffer | null): void {
  if (!key) {
    if (!readable(db)) {
      throw new ServerStorageError('wrong_key', `The server database ${file} is encrypted: give its key (--db-key-file FILE or $${KEY_FILE_ENV}). Nothing was changed.`);
    }
    return;
  }
  const pragmas = keyPragmas(key);
  for (const p of pragmas) db.pragma(p);
  if (readable(db)) return;
  // Not readable with the key: a plain database (encrypt it), or the wrong key (refuse).
  db.pragma(`key=''`);
  if (!readable(db)) {
    throw new ServerStorageError('wrong_key', `Cannot open the server database ${file}: the key does not match. Nothing was changed.`);
  }
  db.pragma('journal_mode = DELETE');
  for (const p of pragmas.slice(0, 2)) db.pragma(p);
  db.pragma(`rekey="x'${key.toString('hex')}'"`);
  if (!readable(db)) throw new ServerStorageError('wrong_key', `Encrypting the server database ${file} failed`);
}

export class SqliteStorage implements ServerStorage {
  readonly kind = 'sqlite' as const;
  private readonly db: Db;
  private readonly s: Statements;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inTx = new AsyncLocalStorage<true>();
  private closed = false;

  constructor(readonly location: string, opts: SqliteStorageOptions = {}) {
    const memory = location === ':memory:';
    if (!memory) {
      if (!fs.existsSync(path.dirname(location))) fs.mkdirSync(path.dirname(location), { recursive: true, mode: 0o700 });
      // Owner-only: SQLite gives the WAL and shared-memory files the database file's mode.
      fs.closeSync(fs.openSync(location, 'a', 0o600));
      fs.chmodSync(location, 0o600);
    }
    const key = opts.key ?? null;
    const db = new Database(location);
    try {
      openWithKey(db, location, key);
      db.pragma('journal_mode = WAL');
      // A push is acknowledged once its transaction commits, and the console then deletes
      // those ops from its outbox: the commit must survive a power cut, not only a crash of
      // this process (NORMAL would sync the WAL only at checkpoints). Measured here: one fsync
      // per commit, ~0.7 ms added to a handoff's ring (docs/BENCHMARKS.md).
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // Sorts and statement journals stay in memory: nothing of the database lands in /tmp.
      db.pragma('temp_store = MEMORY');
      this.migrations = opts.migrations ?? SQLITE_MIGRATIONS;
      migrateDatabase(db, this.migrations, location);
      this.s = prepare(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    this.encrypted = key !== null;
    // Checkpoints (copying the WAL into the database file) on a thread of their own, not inside
    // whichever commit crosses 1,000 pages: there they held up every request queued behind that
    // commit (half a second of a busy core under a large push, a ringing handoff included).
    // (None for an in-memory database, as in tests: it has no WAL.)
    this.checkpointer = checkpointInBackground(db, { setup: key ? keyPragmas(key) : [], onFailure: (err) => opts.onCheckpointFailure?.(err) });
  }

  /** Whether the database file is encrypted at rest. */
  readonly encrypted: boolean;

  private readonly checkpointer: Checkpointer | null;
  private readonly migrations: readonly Migration[];

  async health(): Promise<StorageHealth> {
    if (this.closed) throw new ServerStorageError('closed', 'The server storage is closed');
    // Read from the file, not remembered: a restore or a newer server may have changed it.
    const schema = this.db.pragma('user_version', { simple: true }) as number;
    return { schema, latest: latestVersion(this.migrations) };
  }

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

/** What `backup` and `restore` report. */
export interface SqliteCopyReport {
  file: string;
  schema: number;
  /** The change log's head in the copy. */
  cursor: number;
  bytes: number;
}

/** Opens a server database file with its key (none: a plain database). */
function openKeyed(file: string, key: Buffer | null, options: Database.Options): Db {
  const db = new Database(file, options);
  if (key) for (const p of keyPragmas(key)) db.pragma(p);
  return db;
}

/** Opens a file read-only and checks it is a whole Tandem server database this version can run. */
function inspectServerDatabase(file: string, migrations: readonly Migration[], key: Buffer | null): { schema: number; cursor: number } {
  let db: Db;
  try {
    db = openKeyed(file, key, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new ServerStorageError('migration_failed', `${file} cannot be opened: ${(err as Error).message}`);
  }
  try {
    let check: string;
    let schema: number;
    let hasLog: boolean;
    try {
      check = (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
      schema = db.pragma('user_version', { simple: true }) as number;
      hasLog = Boolean(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_log'").get());
    } catch (err) {
      throw new ServerStorageError('migration_failed', `${file} is not a readable SQLite database: ${(err as Error).message}`);
    }
    if (check !== 'ok') throw new ServerStorageError('migration_failed', `${file} is damaged (integrity check: ${check})`);
    if (schema < 1 || !hasLog) throw new ServerStorageError('migration_failed', `${file} is not a Tandem server database`);
    const latest = latestVersion(migrations);
    if (schema > latest) {
      throw new ServerStorageError('newer_schema', `${file} was written by a newer Tandem server (schema ${schema}; this version knows up to ${latest})`);
    }
    const cursor = (db.prepare('SELECT coalesce(max(cursor), 0) AS c FROM change_log').get() as { c: number }).c;
    return { schema, cursor };
  } finally {
    db.close();
  }
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Moves `tmp` to `dest` only if `dest` does not exist (link, then unlink: never overwrites). */
function publishNew(tmp: string, dest: string): void {
  fs.linkSync(tmp, dest);
  fs.unlinkSync(tmp);
  try {
    const dir = fs.openSync(path.dirname(dest), 'r');
    fs.fsyncSync(dir);
    fs.closeSync(dir);
  } catch {
    // fsync of a directory is not supported everywhere; the file itself is synced
  }
}

/**
 * `npm run server -- backup <file>`: a consistent copy of the live database (VACUUM INTO), safe
 * while the server runs (it reads a snapshot; writes go on). The copy is written beside its
 * destination, checked (integrity, schema), synced, and only then given its
 * name: a failed backup leaves no file that looks like one. An existing file is never overwritten.
 */
export async function backupSqliteDatabase(
  source: string,
  dest: string,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
  key: Buffer | null = null,
): Promise<SqliteCopyReport> {
  if (!fs.existsSync(source)) throw new ServerStorageError('closed', `No server database at ${source}`);
  if (fs.existsSync(dest)) throw new ServerStorageError('closed', `${dest} already exists; a backup never overwrites a file`);
  fs.mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
  const tmp = `${dest}.partial-${process.pid}`;
  const db = openKeyed(source, key, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // One consistent snapshot in one self-contained file (a read transaction: writers go on), in
    // the source's encryption when it has a key: SQLite3MultipleCiphers refuses the backup API
    // between an encrypted database and a plain target, and a plain copy must never be written.
    db.prepare('VACUUM INTO ?').run(tmp);
  } catch (err) {
    for (const side of ['', '-wal', '-shm', '-journal']) fs.rmSync(tmp + side, { force: true });
    throw err;
  } finally {
    db.close();
  }
  try {
    const { schema, cursor } = inspectServerDatabase(tmp, migrations, key);
    fsyncFile(tmp);
    publishNew(tmp, dest);
    return { file: dest, schema, cursor, bytes: fs.statSync(dest).size };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * `npm run server -- restore <file>`: puts a backup in place of the server database. The server
 * must be stopped (an exclusive lock on the database proves it; a running server is refused).
 * The backup is checked first; the database it replaces is kept beside it
 * (`<db>.before-restore-<time>`), never deleted. Cursors handed out after the backup was taken
 * must never be handed out again (a console that pulled up to one would skip the new ops that
 * reuse it): the change log's next cursor continues after the replaced database's head, or, if
 * that database is missing or unreadable, a trillion past the backup's.
 */
export async function restoreSqliteDatabase(
  backup: string,
  target: string,
  now: () => Date = () => new Date(),
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
  key: Buffer | null = null,
): Promise<SqliteCopyReport & { keptAs: string | null; nextCursorAfter: number }> {
  if (!fs.existsSync(backup)) throw new ServerStorageError('closed', `No backup at ${backup}`);
  const restored = inspectServerDatabase(backup, migrations, key);
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });

  let keptAs: string | null = null;
  let oldHead: number | null = null;
  if (fs.existsSync(target)) {
    const db = openKeyed(target, key, { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      try {
        db.exec('BEGIN EXCLUSIVE');
        db.exec('COMMIT');
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
          throw new ServerStorageError('closed', `${target} is in use: stop the server before restoring (nothing was changed)`);
        }
        throw err;
      }
      try {
        oldHead = (db.prepare('SELECT coalesce(max(cursor), 0) AS c FROM change_log').get() as { c: number }).c;
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        oldHead = null; // damaged or not ours: it is kept aside all the same
      }
    } finally {
      db.close();
    }
    keptAs = `${target}.before-restore-${now().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(target, keptAs);
    for (const side of ['-wal', '-shm']) if (fs.existsSync(target + side)) fs.renameSync(target + side, keptAs + side);
  }

  const tmp = `${target}.restoring-${process.pid}`;
  try {
    fs.copyFileSync(backup, tmp, fs.constants.COPYFILE_EXCL);
    const db = openKeyed(tmp, key, { fileMustExist: true });
    let nextCursorAfter: number;
    try {
      nextCursorAfter = oldHead !== null ? Math.max(oldHead, restored.cursor) : restored.cursor + 1_000_000_000_000;
      db.prepare("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'change_log'").run(nextCursorAfter);
      db.prepare("INSERT INTO sqlite_sequence(name, seq) SELECT 'change_log', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'change_log')").run(
        nextCursorAfter,
      );
      db.pragma('journal_mode = DELETE');
    } finally {
      db.close();
    }
    fsyncFile(tmp);
    publishNew(tmp, target);
    return { file: target, schema: restored.schema, cursor: restored.cursor, bytes: fs.statSync(target).size, keptAs, nextCursorAfter };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (keptAs && !fs.existsSync(target)) {
      fs.renameSync(keptAs, target); // put the original back
      for (const side of ['-wal', '-shm']) if (fs.existsSync(keptAs + side)) fs.renameSync(keptAs + side, target + side);
    }
    throw err;
  }
}
