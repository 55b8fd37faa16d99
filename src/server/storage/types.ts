import type { EntityName } from '../../shared/entities';
import type { Role } from '../../shared/roles';
import type { RowState } from '../../shared/sync/merge';
import type { LoggedOp, Op } from '../../shared/sync/protocol';

/**
 * The sync server's storage, behind one interface so that the embedded SQLite default
 * (`./sqlite.ts`) and PostgreSQL (a later issue) are interchangeable. All SQL lives in the
 * implementations; the sync, session and handoff logic above this line is written once.
 *
 * Everything happens inside `transaction(fn)`: the callback gets a `StorageTx` whose methods
 * all return Promises (so a pg client fits) and the whole callback commits or rolls back as
 * one. Contract every implementation must keep:
 *
 * - Transactions that write are serialized (SQLite: one writer and an in-process queue;
 *   PostgreSQL: take a transaction-level advisory lock first). This is what makes "first
 *   accept wins" atomic and what keeps change-log cursor order equal to commit order, so a
 *   pull can never skip a cursor that commits late.
 * - Never call `transaction` again from inside a callback (implementations may throw).
 * - Times are ISO-8601 strings in UTC; hashes are lowercase hex SHA-256 (tokens, secrets)
 *   or argon2 PHC strings (passwords). Plain secrets are never stored.
 */
export interface ServerStorage {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, for logs and `status` (a file path or a redacted URL). */
  readonly location: string;
  transaction<T>(fn: (tx: StorageTx) => Promise<T>, opts?: { readOnly?: boolean }): Promise<T>;
  /**
   * For a load balancer's health check: rejects when the database cannot be reached, else the
   * schema version the database is at and the latest this server knows (they differ when
   * another instance migrated it further, or it was never migrated).
   */
  health(): Promise<StorageHealth>;
  /**
   * Several server instances on one database: calls `listener` with the change log's head when
   * another instance commits a change (and once after each (re)connection, for any it missed),
   * so that this instance can poke its own consoles. Absent where one process owns the
   * database (SQLite). Returns the unsubscribe.
   */
  onCommitted?(listener: (cursor: number) => void): () => void;
  /**
   * Several server instances on one database: messages between them that are not data (who is
   * connected where, a live handoff ringing). Absent where one process owns the database.
   */
  readonly peers?: PeerBus;
  /** Waits for running transactions, then releases the database. Idempotent. */
  close(): Promise<void>;
}

/** Best-effort messages between the server instances on one database; none is kept or repeated. */
export interface PeerBus {
  /** This instance's id, as the others see it. */
  readonly instance: string;
  /** The largest body `publish` takes, in bytes. */
  readonly maxBytes: number;
  /** Sends to every other instance (not this one); throws when the database cannot be reached or the body is too large. */
  publish(body: string): Promise<void>;
  /** Returns the unsubscribe. */
  subscribe(listener: PeerListener): () => void;
}

export interface PeerListener {
  message(from: string, body: string): void;
  /** Listening began or began again (messages sent meanwhile were missed). */
  connected?(): void;
}

export interface StorageHealth {
  schema: number;
  latest: number;
}

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
  name: string;
  directLine: string | null;
  createdAt: string;
  disabled: boolean;
}

export interface WorkstationRecord {
  id: string;
  name: string;
  secretHash: string;
  enrolledAt: string;
  revoked: boolean;
  revokedAt: string | null;
  /** The site enrollment key that enrolled it (null: a one-time token). */
  enrollmentKeyId?: string | null;
  /** SHA-256 of the machine's id, when the console sent one: the identity is bound to it. */
  machineId?: string | null;
}

/** A site enrollment key a fleet's machine policy carries; only its SHA-256 is kept. */
export interface EnrollmentKeyRecord {
  id: string;
  keyHash: string;
  name: string;
  createdAt: string;
  /** After this it enrolls nothing (set when rotated out, after the grace period). */
  expiresAt: string | null;
  revokedAt: string | null;
  uses: number;
  lastUsedAt: string | null;
}

export interface EnrollmentTokenRecord {
  tokenHash: string;
  name: string | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  workstationId: string | null;
}

export interface SessionRecord {
  tokenHash: string;
  userId: string;
  workstationId: string;
  createdAt: string;
  expiresAt: string;
}

/** Consecutive failed sign-ins for one username (lower-cased), whether or not such a user exists. */
export interface SignInFailureRecord {
  username: string;
  failures: number;
  lastFailedAt: string;
  /** No sign-in is tried before this time (backoff); null when none. */
  lockedUntil: string | null;
  /** Locked out until an administrator unlocks it (`user unlock`). */
  locked: boolean;
}

/** A user's two-step sign-in (server/mfa.ts). The secrets never leave the server but once, at setup. */
export interface MfaRecord {
  userId: string;
  /** Base32 TOTP secret in use; null until setup is confirmed by a code. */
  secret: string | null;
  /** The secret being set up (shown once), until a code from it confirms it. */
  pendingSecret: string | null;
  /** Asked of this user whatever the site's role policy says (`user require-mfa`). */
  required: boolean;
  /** The TOTP time step of the last code accepted: a code at or before it is refused (replay). */
  lastStep: number | null;
  /** SHA-256 of each recovery code not yet used. */
  recovery: string[];
  enrolledAt: string | null;
}

/** What the supervisor's audit screen filters by; absent fields do not filter. */
export interface AuditFilter {
  from?: string;
  to?: string;
  actor?: string;
  action?: string;
  workstationId?: string;
  subject?: string;
}

/** One entry of the audit log, as chained (src/server/audit.ts). */
export interface AuditRecord {
  source: string;
  seq: number;
  at: string;
  actor: string | null;
  workstationId: string | null;
  action: string;
  subject: string | null;
  /** JSON text, or null. */
  detail: string | null;
  ip: string | null;
  prevHash: string;
  hash: string;
}

export interface ReplicaRecord {
  replica: string;
  /** null only for the server's own replica, which no workstation may push as. */
  workstationId: string | null;
  lastSeq: number;
}

export interface RefusedOpRecord {
  replica: string | null;
  seq: number | null;
  workstationId: string;
  userId: string;
  reason: string;
  /** The op exactly as it was pushed (it may be malformed). */
  op: unknown;
  refusedAt: string;
}

export interface StoredRefusal extends RefusedOpRecord {
  id: number;
}

/**
 * One change-log entry as stored, as a row of plain values: the op's fields are the JSON text
 * `appendChange` stored (an engine with a JSON type returns it as text). A row is an array,
 * the shape drivers hand back cheapest (better-sqlite3's raw mode, pg's rowMode 'array'):
 * built as objects, a 5,000-op pull page took a quarter longer to read.
 */
export type StoredChange = [cursor: number, replica: string, seq: number, hlc: string, entity: EntityName, id: string, fieldsJson: string];

/** A stored change as the op it records, its fields parsed. */
export function decodeChange([cursor, replica, seq, hlc, entity, id, fieldsJson]: StoredChange): LoggedOp {
  return { cursor, replica, seq, hlc, entity, id, fields: JSON.parse(fieldsJson) as Record<string, unknown> };
}

/**
 * Row authors as `putRowAuthor` one after another would leave them, one entry per row: the
 * first author (a row's author never changes), the last owner.
 */
export function lastPerRow(rows: readonly RowClaim[]): RowClaim[] {
  const byKey = new Map<string, RowClaim>();
  for (const r of rows) {
    const key = `${r.entity}\u0000${r.id}`;
    const before = byKey.get(key);
    byKey.set(key, before ? { ...before, author: { authorId: before.author.authorId, ownerId: r.author.ownerId } } : r);
  }
  return [...byKey.values()];
}

export interface EntityRow {
  id: string;
  state: RowState;
}

export interface StorageCounts {
  users: number;
  workstations: number;
  revokedWorkstations: number;
  replicas: number;
  changes: number;
  cursor: number;
  refused: number;
  liveSessions: number;
}

/** A CAD's API key for POST /eido; only its SHA-256 is kept. */
export interface CadKeyRecord {
  name: string;
  keyHash: string;
  createdAt: string;
  revoked: boolean;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** An EIDO document refused at intake, kept exactly as received (the head of it when oversize). */
export interface EidoRejectionRecord {
  receivedAt: string;
  /** How it came in: 'http' (POST /eido) or 'cli' (import-eido). */
  source: string;
  /** Name of the CAD key that sent it, when it came over HTTP. */
  cadKey: string | null;
  /** EidoError code (not_json, wrong_version, ...), or 'internal' when intake itself failed. */
  code: string;
  path: string | null;
  message: string;
  /** Size of the input as received, in bytes. */
  bytes: number;
  raw: Uint8Array;
  /** True when `raw` is only the head of an oversize input. */
  truncated: boolean;
}

export interface StoredEidoRejection extends EidoRejectionRecord {
  id: number;
}

export interface StorageTx {
  // users
  insertUser(user: UserRecord): Promise<void>;
  /** Case-insensitive. */
  getUserByUsername(username: string): Promise<UserRecord | null>;
  getUser(id: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  /** Returns false when there is no such user. */
  setUserDisabled(id: string, disabled: boolean): Promise<boolean>;
  setUserPasswordHash(id: string, passwordHash: string): Promise<void>;

  // two-step sign-in (TOTP)
  getMfa(userId: string): Promise<MfaRecord | null>;
  putMfa(rec: MfaRecord): Promise<void>;
  /** Forgets a user's two-step sign-in (an administrator's reset); false when there was none. */
  deleteMfa(userId: string): Promise<boolean>;

  // failed sign-ins, per username (known or not), for backoff and lockout
  getSignInFailures(username: string): Promise<SignInFailureRecord | null>;
  putSignInFailures(rec: SignInFailureRecord): Promise<void>;
  /** Forgets the failures (a successful sign-in, or an administrator's unlock); false when there were none. */
  clearSignInFailures(username: string): Promise<boolean>;

  // workstations and enrollment
  insertWorkstation(ws: WorkstationRecord): Promise<void>;
  getWorkstation(id: string): Promise<WorkstationRecord | null>;
  listWorkstations(): Promise<WorkstationRecord[]>;
  /** Returns false when there is no such workstation. */
  revokeWorkstation(id: string, at: string): Promise<boolean>;
  insertEnrollmentToken(token: EnrollmentTokenRecord): Promise<void>;
  getEnrollmentToken(tokenHash: string): Promise<EnrollmentTokenRecord | null>;
  /** Marks an unused token used; false when it was already used (the check and the write are one statement). */
  useEnrollmentToken(tokenHash: string, at: string, workstationId: string): Promise<boolean>;
  insertEnrollmentKey(key: EnrollmentKeyRecord): Promise<void>;
  getEnrollmentKeyByHash(keyHash: string): Promise<EnrollmentKeyRecord | null>;
  listEnrollmentKeys(): Promise<EnrollmentKeyRecord[]>;
  /** Sets expires_at to the earlier of its own and `at` for every live key of that name; returns how many. */
  expireEnrollmentKeys(name: string, at: string): Promise<number>;
  /** Revokes every key with this id or name; returns the ids revoked. */
  revokeEnrollmentKeys(idOrName: string, at: string): Promise<string[]>;
  touchEnrollmentKey(id: string, at: string): Promise<void>;
  workstationsEnrolledWith(keyId: string): Promise<WorkstationRecord[]>;

  // sessions
  insertSession(session: SessionRecord): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRecord | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Deletes sessions that expired before `now`; returns how many. */
  deleteExpiredSessions(now: string): Promise<number>;
  /** Deletes every session of a workstation (on revocation). */
  deleteSessionsOfWorkstation(workstationId: string): Promise<number>;
  /** Deletes every session of a user (disabled, or password reset). */
  deleteSessionsOfUser(userId: string): Promise<number>;
  /** Sessions not expired at `now`, oldest first. */
  listSessions(now: string): Promise<SessionRecord[]>;

  // replicas
  getReplica(replica: string): Promise<ReplicaRecord | null>;
  insertReplica(replica: ReplicaRecord): Promise<void>;
  setReplicaLastSeq(replica: string, lastSeq: number): Promise<void>;

  // change log and materialized state
  /** Appends an accepted op; returns its cursor (strictly greater than every earlier one). */
  appendChange(op: Op): Promise<number>;
  /**
   * Appends accepted ops in the order given, as `appendChange` one after another would (each
   * cursor greater than the one before), in as few statements as the engine allows: a push of
   * 2,000 ops is a handful of statements (one round trip on PostgreSQL), not 2,000.
   */
  appendChanges(ops: readonly Op[]): Promise<void>;
  /** The highest cursor in the change log, 0 when empty. */
  getCursor(): Promise<number>;
  /**
   * Ops with cursor > `after`, ascending, at most `limit`; only these entities when given, and
   * none written by the replicas of `exceptWorkstation` (a console already holds its own ops).
   * Their fields come back as the JSON text they were stored as: a pull sends them on as they
   * are, never parsed and written out again (a new workstation pulls every op there is).
   */
  readChanges(after: number, limit: number, entities: readonly EntityName[] | null, exceptWorkstation?: string | null): Promise<StoredChange[]>;
  /** The greatest HLC in the change log (to restart the server's clock after it). */
  maxHlc(): Promise<string | null>;
  getEntity(entity: EntityName, id: string): Promise<RowState | null>;
  putEntity(entity: EntityName, id: string, state: RowState, cursor: number): Promise<void>;
  /** Rows whose data fields equal the given values (e.g. handoffs with state 'ringing'). */
  findEntities(entity: EntityName, where: Record<string, string>): Promise<EntityRow[]>;

  // who wrote a row (and owns it, for cases): server/authorship.ts
  getRowAuthor(entity: EntityName, id: string): Promise<RowAuthor | null>;
  putRowAuthor(entity: EntityName, id: string, author: RowAuthor): Promise<void>;
  /** Records the author of a new row; false (and nothing written) when the row already has one. */
  claimRowAuthor(entity: EntityName, id: string, author: RowAuthor): Promise<boolean>;
  /**
   * `claimRowAuthor` for many rows in one statement: for each claim, in order, whether it was
   * recorded (false: that row already had an author, and nothing was written for it). The
   * (entity, id) pairs must be distinct.
   */
  claimRowAuthors(claims: readonly RowClaim[]): Promise<boolean[]>;
  /** The authors of these rows of one entity that have one, by id (one statement). */
  getRowAuthors(entity: EntityName, ids: readonly string[]): Promise<Map<string, RowAuthor>>;
  /** `putRowAuthor` for many rows, as one call after another would leave them (a row's author stays, its last owner wins). */
  putRowAuthors(rows: readonly RowClaim[]): Promise<void>;

  // refused ops, kept for review
  insertRefused(rec: RefusedOpRecord): Promise<void>;
  listRefused(limit: number): Promise<StoredRefusal[]>;
  /** Keeps at most the newest `keepLast` refused ops and none refused before `before`; returns how many went. */
  pruneRefused(keepLast: number, before: string): Promise<number>;

  counts(now: string): Promise<StorageCounts>;

  // the audit log: append-only, one hash chain per source
  auditHead(source: string): Promise<{ seq: number; hash: string } | null>;
  /** Appends an entry and moves its chain's head to it. */
  appendAudit(rec: AuditRecord): Promise<void>;
  /** Every chain's head. */
  auditHeads(): Promise<{ source: string; seq: number; hash: string }[]>;
  /** Entries of one source in the order stored (by seq), after `afterSeq`, at most `limit`. */
  readAuditChain(source: string, afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /**
   * Newest first (by id), below `beforeId` when given, at most `limit`: the entries matching every
   * filter given (at in [from, to), actor, action, workstation and subject exactly).
   */
  searchAudit(filter: AuditFilter, beforeId: number | null, limit: number): Promise<(AuditRecord & { id: number })[]>;
  /** Entries with `from` <= at < `to`, by time then source and seq, after the `afterId`-th row, at most `limit`. */
  readAuditBetween(from: string, to: string, afterId: number, limit: number): Promise<(AuditRecord & { id: number })[]>;

  // CAD keys (POST /eido)
  /** Throws when the name is taken (names are never reused, even after revocation). */
  insertCadKey(key: CadKeyRecord): Promise<void>;
  getCadKeyByHash(keyHash: string): Promise<CadKeyRecord | null>;
  getCadKey(name: string): Promise<CadKeyRecord | null>;
  listCadKeys(): Promise<CadKeyRecord[]>;
  /** Returns false when there is no such key. Revoking twice keeps the first time. */
  revokeCadKey(name: string, at: string): Promise<boolean>;
  touchCadKey(name: string, at: string): Promise<void>;

  // EIDO documents refused at intake, kept for review
  /** Returns the new row's id. */
  insertEidoRejection(rec: EidoRejectionRecord): Promise<number>;
  /** Newest first. */
  listEidoRejections(limit: number): Promise<StoredEidoRejection[]>;
  /** Keeps at most the newest `keepLast` refused EIDO documents and none received before `before`; returns how many went. */
  pruneEidoRejections(keepLast: number, before: string): Promise<number>;
}

export interface RowAuthor {
  authorId: string;
  ownerId: string | null;
}

/** A row and who wrote (and owns) it. */
export interface RowClaim {
  entity: EntityName;
  id: string;
  author: RowAuthor;
}

/** The replica id the server writes its own ops under (handoff arbitration, presence). */
export const SERVER_REPLICA = 'server';
