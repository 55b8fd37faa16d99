import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { checkNumbering, latestVersion, MigrationError, type Migration } from '../../node/migrate';
import type { EntityName } from '../../shared/entities';
import type { RowState } from '../../shared/sync/merge';
import type { Op } from '../../shared/sync/protocol';
import { ServerStorageError } from './sqlite';
import {
  SERVER_REPLICA,
  type AuditFilter,
  type AuditRecord,
  type CadKeyRecord,
  type EidoRejectionRecord,
  type EnrollmentKeyRecord,
  type EnrollmentTokenRecord,
  type EntityRow,
  type MfaRecord,
  type RefusedOpRecord,
  type ReplicaRecord,
  type RowAuthor,
  type PeerBus,
  type PeerListener,
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
import { toAudit, toMfa, toCadKey, toEidoRejection, toEnrollmentKey, toSession, toUser, toWorkstation, type Row } from './rows';
import { POSTGRES_MIGRATIONS } from './migrations-pg';

export { POSTGRES_MIGRATIONS };

/**
 * The sync server on PostgreSQL, for a center that runs several server instances on one
 * database (issue 17). Same contract as the SQLite storage (types.ts), kept across instances by
 * the database, never by process memory:
 *
 * - A writing transaction first takes one transaction-level advisory lock, so writes are
 *   serialized across every instance: read-modify-writes (handoff arbitration's "first accept
 *   wins", a replica's last seq) are one transaction each, and the change log's cursors (an
 *   identity sequence) commit in the order they were drawn, so a pull can never pass a cursor
 *   that commits late. The lock goes with the commit or rollback, or with the connection.
 * - Exactly-once push is also the UNIQUE (replica, seq) constraint on the change log.
 * - Read-only transactions take no lock and read one snapshot (REPEATABLE READ READ ONLY).
 *
 * Schema migrations: POSTGRES_MIGRATIONS (./migrations-pg, one file per migration, the same
 * `Migration` shape as SQLite's). src/node/migrate.ts is SQLite-only (synchronous
 * better-sqlite3, PRAGMA user_version, which PostgreSQL has not), so `migratePostgres` below is
 * the same idea for PostgreSQL: a one-row version table, each migration one transaction with its
 * version, a newer schema refused, and a session advisory lock so that two instances starting
 * together do not both migrate.
 */

/** Advisory lock keys (any 64-bit numbers no other application on the database uses). */
const WRITE_LOCK = '7305808013475500033'; // 'tandem' + 1
const MIGRATION_LOCK = '7305808013475500034';

/** The channel an instance announces its commits on ("<instance> <cursor>"), for the others' pokes. */
const COMMITS_CHANNEL = 'tandem_commits';
/** The channel instances tell each other what is not in the database ("<instance> <body>"): who is connected, rings. */
const PEERS_CHANNEL = 'tandem_peers';
/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
const MAX_PEER_PAYLOAD = 7_900;

/** int8 (counts, cursors, seqs) as JS numbers: every value Tandem stores is a safe integer. */
const INT8_OID = 20;
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`A stored integer ${text} is beyond what Tandem handles`);
  return n;
}
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};


const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const NOW_UTC = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Row claims as four column arrays, for unnest. */
function authorColumns(rows: readonly RowClaim[]): unknown[] {
  return [rows.map((r) => r.entity), rows.map((r) => r.id), rows.map((r) => r.author.authorId), rows.map((r) => r.author.ownerId)];
}

class PostgresTx implements StorageTx {
  active = true;
  /** The last cursor this transaction appended (0: none), announced on commit. */
  appended = 0;

  constructor(private readonly client: pg.PoolClient) {}

  private async rows(text: string, values: unknown[] = []): Promise<Row[]> {
    if (!this.active) throw new ServerStorageError('closed', 'This storage transaction has already ended');
    return (await this.client.query(text, values)).rows as Row[];
  }
  private async one(text: string, values: unknown[] = []): Promise<Row | null> {
    return (await this.rows(text, values))[0] ?? null;
  }
  private async count(text: string, values: unknown[] = []): Promise<number> {
    if (!this.active) throw new ServerStorageError('closed', 'This storage transaction has already ended');
    return (await this.client.query(text, values)).rowCount ?? 0;
  }

  async insertUser(u: UserRecord): Promise<void> {
    await this.rows(
      `INSERT INTO users(id, username, password_hash, role, name, direct_line, created_at, disabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [u.id, u.username, u.passwordHash, u.role, u.name, u.directLine, u.createdAt, u.disabled],
    );
  }
  async getUserByUsername(username: string): Promise<UserRecord | null> {
    // PostgreSQL text cannot hold U+0000, so no user's name has it: such a name names nobody.
    if (username.includes('\u0000')) return null;
    const r = await this.one('SELECT * FROM users WHERE lower(username) = lower($1)', [username]);
    return r ? toUser(r) : null;
  }
  async getUser(id: string): Promise<UserRecord | null> {
    const r = await this.one('SELECT * FROM users WHERE id = $1', [id]);
    return r ? toUser(r) : null;
  }
  async listUsers(): Promise<UserRecord[]> {
    return (await this.rows('SELECT * FROM users ORDER BY lower(username), username')).map(toUser);
  }
  async setUserDisabled(id: string, disabled: boolean): Promise<boolean> {
    return (await this.count('UPDATE users SET disabled = $1 WHERE id = $2', [disabled, id])) === 1;
  }
  async setUserPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.count('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
  }

  async getMfa(userId: string): Promise<MfaRecord | null> {
    const r = await this.one('SELECT * FROM user_mfa WHERE user_id = $1', [userId]);
    return r ? toMfa(r) : null;
  }
  async putMfa(rec: MfaRecord): Promise<void> {
    await this.count(
      `INSERT INTO user_mfa(user_id, secret, pending_secret, required, last_step, recovery, enrolled_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, pending_secret = excluded.pending_secret,
         required = excluded.required, last_step = excluded.last_step, recovery = excluded.recovery, enrolled_at = excluded.enrolled_at`,
      [rec.userId, rec.secret, rec.pendingSecret, rec.required, rec.lastStep, JSON.stringify(rec.recovery), rec.enrolledAt],
    );
  }
  async deleteMfa(userId: string): Promise<boolean> {
    return (await this.count('DELETE FROM user_mfa WHERE user_id = $1', [userId])) > 0;
  }
  async getSignInFailures(username: string): Promise<SignInFailureRecord | null> {
    const r = await this.one('SELECT * FROM signin_failures WHERE username = $1', [noNul(username.toLowerCase())]);
    if (!r) return null;
    return {
      username: r.username as string,
      failures: r.failures as number,
      lastFailedAt: r.last_failed_at as string,
      lockedUntil: (r.locked_until as string | null) ?? null,
      locked: r.locked === true,
    };
  }
  async putSignInFailures(rec: SignInFailureRecord): Promise<void> {
    await this.rows(
      `INSERT INTO signin_failures(username, failures, last_failed_at, locked_until, locked) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, last_failed_at = excluded.last_failed_at,
         locked_until = excluded.locked_until, locked = excluded.locked`,
      [noNul(rec.username.toLowerCase()), rec.failures, rec.lastFailedAt, rec.lockedUntil, rec.locked],
    );
  }
  async clearSignInFailures(username: string): Promise<boolean> {
    return (await this.count('DELETE FROM signin_failures WHERE username = $1', [noNul(username.toLowerCase())])) > 0;
  }

  async insertWorkstation(w: WorkstationRecord): Promise<void> {
    await this.rows(
      `INSERT INTO workstations(id, name, secret_hash, enrolled_at, revoked, revoked_at, enrollment_key_id, machine_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [w.id, noNul(w.name), w.secretHash, w.enrolledAt, w.revoked, w.revokedAt, w.enrollmentKeyId ?? null, w.machineId ?? null],
    );
  }
  async insertEnrollmentKey(k: EnrollmentKeyRecord): Promise<void> {
    await this.rows(
      `INSERT INTO enrollment_keys(id, key_hash, name, created_at, expires_at, revoked_at, uses, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [k.id, k.keyHash, noNul(k.name), k.createdAt, k.expiresAt, k.revokedAt, k.uses, k.lastUsedAt],
    );
  }
  async getEnrollmentKeyByHash(keyHash: string): Promise<EnrollmentKeyRecord | null> {
    const r = await this.one('SELECT * FROM enrollment_keys WHERE key_hash = $1', [keyHash]);
    return r ? toEnrollmentKey(r) : null;
  }
  async listEnrollmentKeys(): Promise<EnrollmentKeyRecord[]> {
    return (await this.rows('SELECT * FROM enrollment_keys ORDER BY created_at, id')).map(toEnrollmentKey);
  }
  async expireEnrollmentKeys(name: string, at: string): Promise<number> {
    return this.count(
      `UPDATE enrollment_keys SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > $1 THEN $1 ELSE expires_at END
       WHERE name = $2 AND revoked_at IS NULL`,
      [at, noNul(name)],
    );
  }
  async revokeEnrollmentKeys(idOrName: string, at: string): Promise<string[]> {
    const rows = await this.rows('UPDATE enrollment_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 OR name = $2 RETURNING id', [
      at,
      noNul(idOrName),
    ]);
    return rows.map((r) => r.id as string);
  }
  async touchEnrollmentKey(id: string, at: string): Promise<void> {
    await this.count('UPDATE enrollment_keys SET uses = uses + 1, last_used_at = $1 WHERE id = $2', [at, id]);
  }
  async workstationsEnrolledWith(keyId: string): Promise<WorkstationRecord[]> {
    return (await this.rows('SELECT * FROM workstations WHERE enrollment_key_id = $1 ORDER BY enrolled_at, id', [keyId])).map(toWorkstation);
  }
  async getWorkstation(id: string): Promise<WorkstationRecord | null> {
    const r = await this.one('SELECT * FROM workstations WHERE id = $1', [id]);
    return r ? toWorkstation(r) : null;
  }
  async listWorkstations(): Promise<WorkstationRecord[]> {
    return (await this.rows('SELECT * FROM workstations ORDER BY enrolled_at, id')).map(toWorkstation);
  }
  async revokeWorkstation(id: string, at: string): Promise<boolean> {
    return (await this.count('UPDATE workstations SET revoked = true, revoked_at = coalesce(revoked_at, $1) WHERE id = $2', [at, id])) === 1;
  }
  async insertEnrollmentToken(t: EnrollmentTokenRecord): Promise<void> {
    await this.rows(
      'INSERT INTO enrollment_tokens(token_hash, name, created_at, expires_at, used_at, workstation_id) VALUES ($1, $2, $3, $4, $5, $6)',
      [t.tokenHash, t.name, t.createdAt, t.expiresAt, t.usedAt, t.workstationId],
    );
  }
  async getEnrollmentToken(tokenHash: string): Promise<EnrollmentTokenRecord | null> {
    const r = await this.one('SELECT * FROM enrollment_tokens WHERE token_hash = $1', [tokenHash]);
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
    const n = await this.count('UPDATE enrollment_tokens SET used_at = $1, workstation_id = $2 WHERE token_hash = $3 AND used_at IS NULL', [
      at,
      workstationId,
      tokenHash,
    ]);
    return n === 1;
  }

  async insertSession(s: SessionRecord): Promise<void> {
    await this.rows('INSERT INTO sessions(token_hash, user_id, workstation_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      s.tokenHash,
      s.userId,
      s.workstationId,
      s.createdAt,
      s.expiresAt,
    ]);
  }
  async getSession(tokenHash: string): Promise<SessionRecord | null> {
    const r = await this.one('SELECT * FROM sessions WHERE token_hash = $1', [tokenHash]);
    return r ? toSession(r) : null;
  }
  async deleteSession(tokenHash: string): Promise<void> {
    await this.count('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }
  async deleteExpiredSessions(now: string): Promise<number> {
    return this.count('DELETE FROM sessions WHERE expires_at < $1', [now]);
  }
  async deleteSessionsOfWorkstation(workstationId: string): Promise<number> {
    return this.count('DELETE FROM sessions WHERE workstation_id = $1', [workstationId]);
  }
  async deleteSessionsOfUser(userId: string): Promise<number> {
    return this.count('DELETE FROM sessions WHERE user_id = $1', [userId]);
  }
  async listSessions(now: string): Promise<SessionRecord[]> {
    return (await this.rows('SELECT * FROM sessions WHERE expires_at >= $1 ORDER BY created_at, token_hash', [now])).map(toSession);
  }

  async getReplica(replica: string): Promise<ReplicaRecord | null> {
    const r = await this.one('SELECT replica, workstation_id, last_seq FROM replicas WHERE replica = $1', [replica]);
    return r ? { replica: r.replica as string, workstationId: (r.workstation_id as string | null) ?? null, lastSeq: r.last_seq as number } : null;
  }
  async insertReplica(rep: ReplicaRecord): Promise<void> {
    await this.rows(`INSERT INTO replicas(replica, workstation_id, last_seq, first_seen_at) VALUES ($1, $2, $3, ${NOW_UTC})`, [
      rep.replica,
      rep.workstationId,
      rep.lastSeq,
    ]);
  }
  async setReplicaLastSeq(replica: string, lastSeq: number): Promise<void> {
    await this.count('UPDATE replicas SET last_seq = $1 WHERE replica = $2', [lastSeq, replica]);
  }

  async appendChange(op: Op): Promise<number> {
    if (!this.active) throw new ServerStorageError('closed', 'This storage transaction has already ended');
    const res = await this.client.query({
      name: 'tandem_append_change',
      text: 'INSERT INTO change_log(replica, seq, hlc, entity, id, fields) VALUES ($1, $2, $3, $4, $5, $6) RETURNING cursor',
      values: [op.replica, op.seq, op.hlc, op.entity, op.id, JSON.stringify(op.fields)],
      rowMode: 'array',
    });
    this.appended = res.rows[0][0] as number;
    return this.appended;
  }
  async appendChanges(ops: readonly Op[]): Promise<void> {
    if (!this.active) throw new ServerStorageError('closed', 'This storage transaction has already ended');
    if (!ops.length) return;
    // One round trip: the columns as arrays, unnested in order (so cursors follow the order given).
    const res = await this.client.query({
      name: 'tandem_append_changes',
      text: `WITH appended AS (
               INSERT INTO change_log(replica, seq, hlc, entity, id, fields)
               SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
               RETURNING cursor)
             SELECT max(cursor) FROM appended`,
      values: [ops.map((o) => o.replica), ops.map((o) => o.seq), ops.map((o) => o.hlc), ops.map((o) => o.entity), ops.map((o) => o.id), ops.map((o) => JSON.stringify(o.fields))],
      rowMode: 'array',
    });
    this.appended = res.rows[0][0] as number;
  }
  async getCursor(): Promise<number> {
    return (await this.one('SELECT coalesce(max(cursor), 0) AS c FROM change_log'))!.c as number;
  }
  async readChanges(after: number, limit: number, entities: readonly EntityName[] | null, exceptWorkstation: string | null = null): Promise<StoredChange[]> {
    if (!this.active) throw new ServerStorageError('closed', 'This storage transaction has already ended');
    if (entities !== null && entities.length === 0) return [];
    // One prepared statement per filter shape (the entity list is one array parameter).
    const values: unknown[] = [after, limit];
    let where = '';
    if (entities) {
      values.push([...entities]);
      where += ` AND entity = ANY($${values.length}::text[])`;
    }
    if (exceptWorkstation !== null) {
      values.push(exceptWorkstation);
      where += ` AND replica NOT IN (SELECT replica FROM replicas WHERE workstation_id = $${values.length})`;
    }
    const res = await this.client.query({
      name: `tandem_read_changes_${entities ? 'e' : ''}${exceptWorkstation !== null ? 'x' : ''}`,
      text: `SELECT cursor, replica, seq, hlc, entity, id, fields FROM change_log WHERE cursor > $1${where} ORDER BY cursor LIMIT $2`,
      values,
      rowMode: 'array',
    });
    return res.rows as StoredChange[];
  }
  async maxHlc(): Promise<string | null> {
    return ((await this.one('SELECT max(hlc) AS h FROM change_log'))!.h as string | null) ?? null;
  }
  async getEntity(entity: EntityName, id: string): Promise<RowState | null> {
    const r = await this.one('SELECT data, clocks FROM entity_state WHERE entity = $1 AND id = $2', [entity, id]);
    return r ? { data: JSON.parse(r.data as string), clocks: JSON.parse(r.clocks as string) } : null;
  }
  async putEntity(entity: EntityName, id: string, state: RowState, cursor: number): Promise<void> {
    await this.rows(
      `INSERT INTO entity_state(entity, id, data, clocks, updated_cursor) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (entity, id) DO UPDATE SET data = excluded.data, clocks = excluded.clocks, updated_cursor = excluded.updated_cursor`,
      [entity, id, JSON.stringify(state.data), JSON.stringify(state.clocks), cursor],
    );
  }
  async findEntities(entity: EntityName, where: Record<string, string>): Promise<EntityRow[]> {
    const keys = Object.keys(where);
    for (const k of keys) if (!FIELD_NAME.test(k)) throw new Error(`Bad field name ${JSON.stringify(k)}`);
    const values: unknown[] = [entity];
    let cond = '';
    for (const k of keys) {
      values.push(k, where[k]);
      // json, not jsonb: the text as stored; ->> unescapes only the value it returns.
      cond += ` AND (data::json ->> $${values.length - 1}) = $${values.length}`;
    }
    const rows = await this.rows(`SELECT id, data, clocks FROM entity_state WHERE entity = $1${cond} ORDER BY id`, values);
    return rows.map((r) => ({ id: r.id as string, state: { data: JSON.parse(r.data as string), clocks: JSON.parse(r.clocks as string) } }));
  }

  async getRowAuthor(entity: EntityName, id: string): Promise<RowAuthor | null> {
    const r = await this.one('SELECT author_id, owner_id FROM row_author WHERE entity = $1 AND id = $2', [entity, id]);
    return r ? { authorId: r.author_id as string, ownerId: (r.owner_id as string | null) ?? null } : null;
  }
  async putRowAuthor(entity: EntityName, id: string, author: RowAuthor): Promise<void> {
    await this.rows(
      'INSERT INTO row_author(entity, id, author_id, owner_id) VALUES ($1, $2, $3, $4) ON CONFLICT (entity, id) DO UPDATE SET owner_id = excluded.owner_id',
      [entity, id, author.authorId, author.ownerId],
    );
  }
  async claimRowAuthor(entity: EntityName, id: string, author: RowAuthor): Promise<boolean> {
    const n = await this.count('INSERT INTO row_author(entity, id, author_id, owner_id) VALUES ($1, $2, $3, $4) ON CONFLICT (entity, id) DO NOTHING', [
      entity,
      id,
      author.authorId,
      author.ownerId,
    ]);
    return n === 1;
  }

  async claimRowAuthors(claims: readonly RowClaim[]): Promise<boolean[]> {
    if (!claims.length) return [];
    const rows = await this.rows(
      `INSERT INTO row_author(entity, id, author_id, owner_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       ON CONFLICT (entity, id) DO NOTHING RETURNING entity, id`,
      authorColumns(claims),
    );
    const claimed = new Set(rows.map((r) => `${r.entity as string}\u0000${r.id as string}`));
    return claims.map((c) => claimed.has(`${c.entity}\u0000${c.id}`));
  }
  async getRowAuthors(entity: EntityName, ids: readonly string[]): Promise<Map<string, RowAuthor>> {
    const out = new Map<string, RowAuthor>();
    if (!ids.length) return out;
    const rows = await this.rows('SELECT id, author_id, owner_id FROM row_author WHERE entity = $1 AND id = ANY($2::text[])', [entity, [...ids]]);
    for (const r of rows) out.set(r.id as string, { authorId: r.author_id as string, ownerId: (r.owner_id as string | null) ?? null });
    return out;
  }
  async putRowAuthors(rows: readonly RowClaim[]): Promise<void> {
    if (!rows.length) return;
    // One row at most once per statement (PostgreSQL refuses to update a row twice in one).
    await this.rows(
      `INSERT INTO row_author(entity, id, author_id, owner_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       ON CONFLICT (entity, id) DO UPDATE SET owner_id = excluded.owner_id`,
      authorColumns(lastPerRow(rows)),
    );
  }

  async insertRefused(rec: RefusedOpRecord): Promise<void> {
    let op: string;
    try {
      op = JSON.stringify(rec.op) ?? 'null';
    } catch {
      op = JSON.stringify(String(rec.op));
    }
    await this.rows('INSERT INTO refused_ops(replica, seq, workstation_id, user_id, reason, op, refused_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      rec.replica,
      rec.seq,
      rec.workstationId,
      rec.userId,
      noNul(rec.reason),
      op,
      rec.refusedAt,
    ]);
  }
  async listRefused(limit: number): Promise<StoredRefusal[]> {
    return (await this.rows('SELECT * FROM refused_ops ORDER BY id DESC LIMIT $1', [limit])).map((r) => ({
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
    return this.count('DELETE FROM refused_ops WHERE id <= (SELECT coalesce(max(id), 0) FROM refused_ops) - $1 OR refused_at < $2', [keepLast, before]);
  }
  async pruneEidoRejections(keepLast: number, before: string): Promise<number> {
    return this.count('DELETE FROM eido_rejected WHERE id <= (SELECT coalesce(max(id), 0) FROM eido_rejected) - $1 OR received_at < $2', [
      keepLast,
      before,
    ]);
  }

  async counts(now: string): Promise<StorageCounts> {
    return (await this.one(
      `SELECT (SELECT count(*) FROM users) AS "users",
              (SELECT count(*) FROM workstations) AS "workstations",
              (SELECT count(*) FROM workstations WHERE revoked) AS "revokedWorkstations",
              (SELECT count(*) FROM replicas WHERE replica <> '${SERVER_REPLICA}') AS "replicas",
              (SELECT count(*) FROM change_log) AS "changes",
              (SELECT coalesce(max(cursor), 0) FROM change_log) AS "cursor",
              (SELECT count(*) FROM refused_ops) AS "refused",
              (SELECT count(*) FROM sessions WHERE expires_at >= $1) AS "liveSessions"`,
      [now],
    )) as unknown as StorageCounts;
  }

  async auditHead(source: string): Promise<{ seq: number; hash: string } | null> {
    const r = await this.one('SELECT seq, hash FROM audit_heads WHERE source = $1', [source]);
    return r ? { seq: r.seq as number, hash: r.hash as string } : null;
  }
  async appendAudit(rec: AuditRecord): Promise<void> {
    // One round trip: the entry and its chain's head move together (this transaction holds the write lock).
    await this.rows(
      `WITH entry AS (
         INSERT INTO audit_log(source, seq, at, actor, workstation_id, action, subject, detail, ip, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING source, seq, hash
       )
       INSERT INTO audit_heads(source, seq, hash) SELECT source, seq, hash FROM entry
       ON CONFLICT (source) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
      [
        rec.source,
        rec.seq,
        rec.at,
        rec.actor,
        rec.workstationId,
        rec.action,
        rec.subject,
        rec.detail,
        rec.ip,
        rec.prevHash,
        rec.hash,
      ],
    );
  }
  async auditHeads(): Promise<{ source: string; seq: number; hash: string }[]> {
    return (await this.rows('SELECT source, seq, hash FROM audit_heads ORDER BY source')).map((r) => ({
      source: r.source as string,
      seq: r.seq as number,
      hash: r.hash as string,
    }));
  }
  async readAuditChain(source: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return (await this.rows('SELECT * FROM audit_log WHERE source = $1 AND seq > $2 ORDER BY seq LIMIT $3', [source, afterSeq, limit])).map(toAudit);
  }
  async searchAudit(f: AuditFilter, beforeId: number | null, limit: number): Promise<(AuditRecord & { id: number })[]> {
    const rows = await this.rows(
      `SELECT * FROM audit_log
       WHERE ($1::text IS NULL OR at >= $1) AND ($2::text IS NULL OR at < $2) AND ($3::text IS NULL OR actor = $3)
         AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR workstation_id = $5)
         AND ($6::text IS NULL OR subject = $6) AND ($7::bigint IS NULL OR id < $7)
       ORDER BY id DESC LIMIT $8`,
      [f.from ?? null, f.to ?? null, f.actor ?? null, f.action ?? null, f.workstationId ?? null, f.subject ?? null, beforeId, limit],
    );
    return rows.map((r) => ({ ...toAudit(r), id: r.id as number }));
  }
  async readAuditBetween(from: string, to: string, afterId: number, limit: number): Promise<(AuditRecord & { id: number })[]> {
    const rows = await this.rows('SELECT * FROM audit_log WHERE at >= $1 AND at < $2 AND id > $3 ORDER BY id LIMIT $4', [from, to, afterId, limit]);
    return rows.map((r) => ({ ...toAudit(r), id: r.id as number }));
  }

  async insertCadKey(k: CadKeyRecord): Promise<void> {
    await this.rows('INSERT INTO cad_keys(name, key_hash, created_at, revoked, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      k.name,
      k.keyHash,
      k.createdAt,
      k.revoked,
      k.revokedAt,
      k.lastUsedAt,
    ]);
  }
  async getCadKeyByHash(keyHash: string): Promise<CadKeyRecord | null> {
    const r = await this.one('SELECT * FROM cad_keys WHERE key_hash = $1', [keyHash]);
    return r ? toCadKey(r) : null;
  }
  async getCadKey(name: string): Promise<CadKeyRecord | null> {
    const r = await this.one('SELECT * FROM cad_keys WHERE name = $1', [name]);
    return r ? toCadKey(r) : null;
  }
  async listCadKeys(): Promise<CadKeyRecord[]> {
    return (await this.rows('SELECT * FROM cad_keys ORDER BY created_at, name')).map(toCadKey);
  }
  async revokeCadKey(name: string, at: string): Promise<boolean> {
    return (await this.count('UPDATE cad_keys SET revoked = true, revoked_at = coalesce(revoked_at, $1) WHERE name = $2', [at, name])) === 1;
  }
  async touchCadKey(name: string, at: string): Promise<void> {
    await this.count('UPDATE cad_keys SET last_used_at = $1 WHERE name = $2', [at, name]);
  }

  async insertEidoRejection(rec: EidoRejectionRecord): Promise<number> {
    const r = await this.one(
      `INSERT INTO eido_rejected(received_at, source, cad_key, code, path, message, bytes, raw, truncated)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [
        rec.receivedAt,
        rec.source,
        rec.cadKey,
        rec.code,
        rec.path === null ? null : noNul(rec.path),
        noNul(rec.message),
        rec.bytes,
        Buffer.from(rec.raw.buffer, rec.raw.byteOffset, rec.raw.byteLength),
        rec.truncated,
      ],
    );
    return r!.id as number;
  }
  async listEidoRejections(limit: number): Promise<StoredEidoRejection[]> {
    return (await this.rows('SELECT * FROM eido_rejected ORDER BY id DESC LIMIT $1', [limit])).map(toEidoRejection);
  }
}

/**
 * PostgreSQL text cannot hold U+0000; SQLite's can. Free text that may quote bad input (a refusal
 * reason, an EIDO parse message) keeps the character visibly as U+FFFD instead of failing the
 * write that records the refusal. (Identifiers reach storage only after validation.)
 */
function noNul(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/** The URL with its password hidden, for logs and `status`. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

export interface PostgresStorageOptions {
  /** Defaults to POSTGRES_MIGRATIONS; tests of upgrades pass their own. */
  migrations?: readonly Migration[];
  /** Connections this instance keeps at most. Default 10. */
  poolSize?: number;
  /** An idle pooled connection failed (the database restarted, a link was cut): logged, never fatal. */
  onConnectionError?: (err: Error) => void;
  /** Give up connecting after this long. Default 10 s. */
  connectTimeoutMs?: number;
}

/**
 * Brings the database to the last of `migrations`: the PostgreSQL counterpart of
 * src/node/migrate.ts (same Migration list shape, same errors), async and across instances.
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[], opts: { subject: string; app: string }): Promise<void> {
  checkNumbering(migrations);
  const latest = latestVersion(migrations);
  const client = await pool.connect();
  let broken: Error | undefined;
  // As in a transaction: a connection ended under it fails the query, not the process.
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS tandem_schema (only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row), version INTEGER NOT NULL)`);
      await client.query('INSERT INTO tandem_schema(version) VALUES (0) ON CONFLICT DO NOTHING');
      const current = (await client.query('SELECT version FROM tandem_schema')).rows[0].version as number;
      if (current > latest) {
        throw new MigrationError(
          'newer_schema',
          `${opts.subject} was written by a newer ${opts.app} (schema ${current}; this version knows up to ${latest}). ` +
            `Run the newer ${opts.app}; nothing was changed.`,
        );
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        try {
          await client.query('BEGIN');
          await client.query(m.sql);
          await client.query('UPDATE tandem_schema SET version = $1', [m.version]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          const now = (await client.query('SELECT version FROM tandem_schema')).rows[0].version as number;
          throw new MigrationError(
            'migration_failed',
            `Migration ${m.version} (${m.name}) failed: ${(err as Error).message}. ${opts.subject} was left at schema ${now}.`,
            m.version,
          );
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } catch (err) {
    if (!(err instanceof MigrationError)) broken = err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

export class PostgresStorage implements ServerStorage {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly inTx = new AsyncLocalStorage<true>();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  private closing: Promise<void> | null = null;
  /** This instance, in its commit announcements (so it skips its own). */
  private readonly instance = randomUUID();
  private readonly listeners = new Set<(cursor: number) => void>();
  private listening: Promise<void> | null = null;
  private listenClient: pg.Client | null = null;
  private wakeListener: (() => void) | null = null;
  private readonly peerListeners = new Set<PeerListener>();
  /** Messages between the instances on this database (server/cluster.ts). */
  readonly peers: PeerBus = {
    instance: this.instance,
    maxBytes: MAX_PEER_PAYLOAD - this.instance.length - 1,
    publish: async (body: string) => {
      if (this.closed) return;
      const payload = `${this.instance} ${body}`;
      if (Buffer.byteLength(payload) > MAX_PEER_PAYLOAD) throw new Error(`A message to the other instances is ${Buffer.byteLength(payload)} bytes (at most ${MAX_PEER_PAYLOAD})`);
      await this.pool.query('SELECT pg_notify($1, $2)', [PEERS_CHANNEL, payload]);
    },
    subscribe: (listener: PeerListener) => {
      this.peerListeners.add(listener);
      this.listening ??= this.listen();
      if (this.listenClient) listener.connected?.();
      return () => this.peerListeners.delete(listener);
    },
  };

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly migrations: readonly Migration[],
    private readonly opts: PostgresStorageOptions,
  ) {
    this.location = redactDatabaseUrl(url);
  }

  onCommitted(listener: (cursor: number) => void): () => void {
    this.listeners.add(listener);
    this.listening ??= this.listen();
    return () => this.listeners.delete(listener);
  }

  private emit(cursor: number): void {
    for (const l of this.listeners) {
      try {
        l(cursor);
      } catch (err) {
        this.opts.onConnectionError?.(err as Error);
      }
    }
  }

  private peerMessage(payload: string): void {
    const space = payload.indexOf(' ');
    if (space <= 0) return;
    const from = payload.slice(0, space);
    if (from === this.instance) return;
    const body = payload.slice(space + 1);
    for (const l of this.peerListeners) safely(() => l.message(from, body), this.opts.onConnectionError);
  }

  /** One connection LISTENing for the other instances' commits and messages; reconnects until closed. */
  private async listen(): Promise<void> {
    let backoffMs = 100;
    while (!this.closed) {
      const client = new pg.Client({ connectionString: this.url, types: TYPES, application_name: 'tandem-server listen', connectionTimeoutMillis: 10_000 });
      const ended = new Promise<void>((resolve) => {
        client.on('error', (err) => {
          this.opts.onConnectionError?.(err);
          resolve();
        });
        client.once('end', () => resolve());
      });
      client.on('notification', (n) => {
        if (n.channel === PEERS_CHANNEL && n.payload) return this.peerMessage(n.payload);
        if (n.channel !== COMMITS_CHANNEL || !n.payload) return;
        const [who, cursor] = n.payload.split(' ');
        if (who !== this.instance && /^\d+$/.test(cursor ?? '')) this.emit(Number(cursor));
      });
      try {
        await client.connect();
        this.listenClient = client;
        await client.query(`LISTEN ${COMMITS_CHANNEL}; LISTEN ${PEERS_CHANNEL}`);
        // Whatever was committed while this connection was down: one poke at the head.
        const head = (await client.query('SELECT coalesce(max(cursor), 0) AS c FROM change_log')).rows[0].c as number;
        if (head > 0 && !this.closed) this.emit(head);
        if (!this.closed) for (const l of this.peerListeners) safely(() => l.connected?.(), this.opts.onConnectionError);
        backoffMs = 100;
        await ended;
      } catch (err) {
        if (!this.closed) this.opts.onConnectionError?.(err as Error);
      } finally {
        this.listenClient = null;
        await client.end().catch(() => undefined);
      }
      if (this.closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs);
        this.wakeListener = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeListener = null;
      backoffMs = Math.min(backoffMs * 2, 2_000);
    }
  }

  /** Connects, brings the schema up to date (or refuses a newer one), and returns the storage. */
  static async open(url: string, opts: PostgresStorageOptions = {}): Promise<PostgresStorage> {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      types: TYPES,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      // A transaction left open by a hung instance holds the write lock: end it.
      idle_in_transaction_session_timeout: 30_000,
      application_name: 'tandem-server',
    });
    pool.on('error', (err) => opts.onConnectionError?.(err));
    const storage = new PostgresStorage(pool, url, opts.migrations ?? POSTGRES_MIGRATIONS, opts);
    try {
      await migratePostgres(pool, storage.migrations, { subject: `The server database ${storage.location}`, app: 'Tandem server' });
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof MigrationError) throw new ServerStorageError(err.code, err.message);
      throw new Error(`Cannot open the server database ${storage.location}: ${(err as Error).message}`, { cause: err });
    }
    return storage;
  }

  transaction<T>(fn: (tx: StorageTx) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
    if (this.inTx.getStore()) {
      return Promise.reject(new ServerStorageError('nested_transaction', 'A storage transaction cannot be opened inside another'));
    }
    if (this.closed) return Promise.reject(new ServerStorageError('closed', 'The server storage is closed'));
    const run = this.inTx.run(true, () => this.run(fn, opts.readOnly === true));
    this.running.add(run);
    const forget = () => this.running.delete(run);
    run.then(forget, forget);
    return run;
  }

  private async run<T>(fn: (tx: StorageTx) => Promise<T>, readOnly: boolean): Promise<T> {
    const client = await this.pool.connect();
    const tx = new PostgresTx(client);
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's: a connection ended under it (the
    // database restarted, an administrator's pg_terminate_backend) would be an unhandled
    // 'error' event, which ends the process (found by the chaos run). The query in flight fails;
    // the client is not given back.
    const onError = (err: Error) => {
      broken ??= err;
      this.opts.onConnectionError?.(err);
    };
    client.on('error', onError);
    try {
      // One round trip: the write lock is the first thing a writing transaction does.
      await client.query(readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : `BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
      try {
        const result = await fn(tx);
        tx.active = false;
        // NOTIFY is transactional: the other instances hear of the change when, and only if, it
        // commits. (Both values are ours: a UUID and an integer.)
        await client.query(tx.appended ? `SELECT pg_notify('${COMMITS_CHANNEL}', '${this.instance} ${tx.appended}'); COMMIT` : 'COMMIT');
        return result;
      } catch (err) {
        tx.active = false;
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error;
        }
        throw err;
      }
    } catch (err) {
      // A connection that failed mid-way is not given back to the pool.
      if (!broken && isConnectionError(err)) broken = err as Error;
      throw err;
    } finally {
      tx.active = false;
      client.off('error', onError);
      client.release(broken);
    }
  }

  async health(): Promise<StorageHealth> {
    if (this.closed) throw new ServerStorageError('closed', 'The server storage is closed');
    const res = await this.pool.query('SELECT version FROM tandem_schema');
    return { schema: res.rows[0].version as number, latest: latestVersion(this.migrations) };
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.closed = true;
      this.listeners.clear();
      this.peerListeners.clear();
      this.wakeListener?.();
      await this.listenClient?.end().catch(() => undefined);
      await this.listening;
      await Promise.allSettled([...this.running]);
      await this.pool.end();
    })());
  }
}

function safely(fn: () => void, onError?: (err: Error) => void): void {
  try {
    fn();
  } catch (err) {
    onError?.(err as Error);
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown), or a socket error.
  return (
    typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED')
  ) || /Connection terminated/i.test((err as Error)?.message ?? '');
}

export function openPostgresStorage(url: string, opts?: PostgresStorageOptions): Promise<PostgresStorage> {
  return PostgresStorage.open(url, opts);
}
