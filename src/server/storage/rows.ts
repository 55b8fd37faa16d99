import type { Role } from '../../shared/roles';
import type { AuditRecord, MfaRecord, CadKeyRecord, EnrollmentKeyRecord, SessionRecord, StoredEidoRejection, UserRecord, WorkstationRecord } from './types';

/** A row as either engine's driver hands it back: column name to value. */
export type Row = Record<string, unknown>;

/**
 * The records the storage hands out, from rows of the same columns in SQLite and PostgreSQL
 * (one mapping for both engines: sqlite.ts and postgres.ts). Booleans are the one difference:
 * SQLite stores 0/1, PostgreSQL a boolean.
 */
const flag = (v: unknown): boolean => v === 1 || v === true;

export const toUser = (r: Row): UserRecord => ({
  id: r.id as string,
  username: r.username as string,
  passwordHash: r.password_hash as string,
  role: r.role as Role,
  name: r.name as string,
  directLine: (r.direct_line as string | null) ?? null,
  createdAt: r.created_at as string,
  disabled: flag(r.disabled),
});

export const toWorkstation = (r: Row): WorkstationRecord => ({
  id: r.id as string,
  name: r.name as string,
  secretHash: r.secret_hash as string,
  enrolledAt: r.enrolled_at as string,
  revoked: flag(r.revoked),
  revokedAt: (r.revoked_at as string | null) ?? null,
  enrollmentKeyId: (r.enrollment_key_id as string | null) ?? null,
  machineId: (r.machine_id as string | null) ?? null,
});

export const toEnrollmentKey = (r: Row): EnrollmentKeyRecord => ({
  id: r.id as string,
  keyHash: r.key_hash as string,
  name: r.name as string,
  createdAt: r.created_at as string,
  expiresAt: (r.expires_at as string | null) ?? null,
  revokedAt: (r.revoked_at as string | null) ?? null,
  uses: r.uses as number,
  lastUsedAt: (r.last_used_at as string | null) ?? null,
});

export const toSession = (r: Row): SessionRecord => ({
  tokenHash: r.token_hash as string,
  userId: r.user_id as string,
  workstationId: r.workstation_id as string,
  createdAt: r.created_at as string,
  expiresAt: r.expires_at as string,
});

export const toAudit = (r: Row): AuditRecord => ({
  source: r.source as string,
  seq: r.seq as number,
  at: r.at as string,
  actor: (r.actor as string | null) ?? null,
  workstationId: (r.workstation_id as string | null) ?? null,
  action: r.action as string,
  subject: (r.subject as string | null) ?? null,
  detail: (r.detail as string | null) ?? null,
  ip: (r.ip as string | null) ?? null,
  prevHash: r.prev_hash as string,
  hash: r.hash as string,
});

export const toCadKey = (r: Row): CadKeyRecord => ({
  name: r.name as string,
  keyHash: r.key_hash as string,
  createdAt: r.created_at as string,
  revoked: flag(r.revoked),
  revokedAt: (r.revoked_at as string | null) ?? null,
  lastUsedAt: (r.last_used_at as string | null) ?? null,
});

export const toEidoRejection = (r: Row): StoredEidoRejection => ({
  id: r.id as number,
  receivedAt: r.received_at as string,
  source: r.source as string,
  cadKey: (r.cad_key as string | null) ?? null,
  code: r.code as string,
  path: (r.path as string | null) ?? null,
  message: r.message as string,
  bytes: r.bytes as number,
  raw: r.raw as Buffer,
  truncated: flag(r.truncated),
});

export const toMfa = (r: Row): MfaRecord => ({
  userId: r.user_id as string,
  secret: (r.secret as string | null) ?? null,
  pendingSecret: (r.pending_secret as string | null) ?? null,
  required: flag(r.required),
  lastStep: r.last_step == null ? null : Number(r.last_step),
  recovery: JSON.parse((r.recovery as string | null) ?? '[]') as string[],
  enrolledAt: (r.enrolled_at as string | null) ?? null,
});
