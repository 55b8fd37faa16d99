import { ENTITIES, type EntityName } from '../shared/entities';
import { decodeHlc } from '../shared/hlc';
import { may } from '../shared/roles';
import { CAD_OWNED_INCIDENT_FIELDS, type User } from '../shared/contract';
import type { Op } from '../shared/sync/protocol';
import type { RowAuthor, RowClaim, StorageTx } from './storage/types';

/**
 * Authorship is the server's word (issue 13). A console says who wrote an op and when; the
 * server checks it against the session that pushed it, before the op reaches the change log:
 *
 * - author fields name the signed-in user: case_event.authorId/authorName are refused otherwise,
 *   incident.createdBy is stamped with the user's name;
 * - append-only rows (timeline events, notes, screenings) are created once, whole, and never
 *   written again: a second op on the same id is refused (a correction is a new event), so
 *   "earliest wins" can never hand a row to a forger;
 * - a case's owner changes only by its owner, by anyone taking up an unowned case for
 *   themselves, or by a role with `case.reassign`;
 * - an op's HLC lies within [now − OP_MAX_AGE_MS, now + maxDriftMs] of the server's clock, and
 *   its timestamp fields (at, createdAt, updatedAt…) no later than now + maxDriftMs;
 * - CAD fields (source 'eido', eidoRaw, eidoUpdatedAt) come only from CAD intake, which writes
 *   as the server itself: a console op cannot set them; nor change what CAD sent on a CAD
 *   incident (type, location, callback number, caller name, priority).
 */

/** Oldest op timestamp accepted: a console offline for longer has its ops refused (and kept, locally, as refused). */
export const OP_MAX_AGE_MS = 7 * 24 * 3600_000;

/** Incident fields only CAD intake (POST /eido, drop folder, CLI import) writes. */
export const CAD_FIELDS = ['eidoRaw', 'eidoUpdatedAt'] as const;

/** Fields holding a point in time, per entity: none may be later than the server's clock plus skew. */
const TIME_FIELDS: Partial<Record<EntityName, string[]>> = {
  incident: ['createdAt', 'updatedAt'],
  person: ['createdAt'],
  case: ['createdAt', 'updatedAt', 'closedAt'],
  case_event: ['at'],
  referral: ['createdAt', 'updatedAt'],
  task: ['createdAt', 'doneAt'],
};

export interface AuthorshipBounds {
  nowMs: number;
  maxDriftMs: number;
}

/** What the push records once the op is applied (who wrote the row, who owns it now). */
export type AuthorshipRecord = { entity: EntityName; id: string; author: RowAuthor; claim?: boolean } | null;

/** The refusal of a second write to an append-only row. */
export function appendOnlyRefusal(entity: EntityName, id: string): string {
  return `${entity} ${id} already exists and is append-only: it is never changed (add a correction as a new event)`;
}

/**
 * The row authors one push reads and writes, so that a 2,000-op push costs a few statements,
 * not one or two per op: those of its cases are read in one statement before the first op is
 * checked, changes are kept here and written in one statement (`flush`) before the push
 * commits. Each op sees what the ops before it in the same push recorded.
 */
export class PushAuthors {
  private readonly known = new Map<string, RowAuthor | null>();
  private pending: RowClaim[] = [];

  constructor(private readonly tx: StorageTx) {}

  /** Reads the authors of these rows (those that have none are remembered as such). */
  async prefetch(entity: EntityName, ids: readonly string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.known.has(key(entity, id)));
    if (!wanted.length) return;
    const found = await this.tx.getRowAuthors(entity, wanted);
    for (const id of wanted) this.known.set(key(entity, id), found.get(id) ?? null);
  }

  async get(entity: EntityName, id: string): Promise<RowAuthor | null> {
    const k = key(entity, id);
    if (this.known.has(k)) return this.known.get(k)!;
    const author = await this.tx.getRowAuthor(entity, id);
    this.known.set(k, author);
    return author;
  }

  /** As StorageTx.putRowAuthor (a row's author stays; its owner changes), written at `flush`. */
  put(entity: EntityName, id: string, author: RowAuthor): void {
    const k = key(entity, id);
    const before = this.known.get(k);
    this.known.set(k, before ? { authorId: before.authorId, ownerId: author.ownerId } : author);
    this.pending.push({ entity, id, author });
  }

  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    await this.tx.putRowAuthors(rows);
  }
}

function key(entity: EntityName, id: string): string {
  return `${entity}\u0000${id}`;
}

export async function checkAuthorship(
  tx: StorageTx,
  user: User,
  op: Op,
  bounds: AuthorshipBounds,
  authors: PushAuthors = new PushAuthors(tx),
): Promise<{ reason: string } | { record: AuthorshipRecord; stamp?: Record<string, unknown> }> {
  const { nowMs, maxDriftMs } = bounds;
  const skewS = Math.round(maxDriftMs / 1000);
  const h = decodeHlc(op.hlc);
  if (h.ms > nowMs + maxDriftMs) return { reason: `timestamp ${new Date(h.ms).toISOString()} is more than ${skewS} s ahead of the server's clock` };
  if (h.ms < nowMs - OP_MAX_AGE_MS) return { reason: `timestamp ${new Date(h.ms).toISOString()} is older than the ${OP_MAX_AGE_MS / 3600_000} h the server accepts` };
  for (const f of TIME_FIELDS[op.entity] ?? []) {
    const v = op.fields[f];
    if (typeof v === 'string' && Date.parse(v) > nowMs + maxDriftMs) {
      return { reason: `${op.entity}.${f} ${v} is more than ${skewS} s ahead of the server's clock` };
    }
  }

  switch (op.entity) {
    case 'incident':
      return checkIncident(tx, user, op);
    case 'case_event':
      return checkAppendOnly(tx, user, op);
    case 'case':
      return checkCase(authors, user, op);
    default:
      if (ENTITIES[op.entity].appendOnly) return checkAppendOnly(tx, user, op);
      return { record: null };
  }
}

async function checkIncident(tx: StorageTx, user: User, op: Op): Promise<{ reason: string } | { record: AuthorshipRecord; stamp?: Record<string, unknown> }> {
  const existing = await tx.getEntity('incident', op.id);
  // A console's new incident carries them empty (null); nothing else may touch them.
  const set = CAD_FIELDS.filter((f) => f in op.fields && (existing || op.fields[f] !== null));
  if (set.length) return { reason: `incident ${set.join(', ')} come only from CAD intake; a console may not set them` };
  if (op.fields.source !== undefined && (op.fields.source !== 'manual' || existing)) {
    return { reason: `incident source comes only from CAD intake; a console may only create a 'manual' incident, not set source '${String(op.fields.source)}'` };
  }
  if (existing) {
    if (existing.data.source === 'eido') {
      const changed = CAD_OWNED_INCIDENT_FIELDS.filter((f) => f in op.fields && (op.fields[f] ?? null) !== (existing.data[f] ?? null));
      if (changed.length) return { reason: `incident ${op.id} is a CAD incident: its ${changed.join(', ')} come only from CAD intake; a console may not change them` };
    }
    if ('createdBy' in op.fields && op.fields.createdBy !== existing.data.createdBy) return { reason: `incident ${op.id}: createdBy cannot be changed` };
    if ('createdAt' in op.fields && op.fields.createdAt !== existing.data.createdAt) return { reason: `incident ${op.id}: createdAt cannot be changed` };
    return { record: null };
  }
  // The creator is the signed-in user, whatever the console wrote.
  return { record: null, stamp: 'createdBy' in op.fields ? { createdBy: user.name } : undefined };
}

/**
 * Checked without reading storage: whether the row already exists is settled when the push
 * claims it (StorageTx.claimRowAuthors: one statement for the timeline events of a push batch).
 */
async function checkAppendOnly(_tx: StorageTx, user: User, op: Op): Promise<{ reason: string } | { record: AuthorshipRecord }> {
  const missing = Object.keys(ENTITIES[op.entity].fields).filter((f) => !(f in op.fields));
  if (missing.length) return { reason: `a new ${op.entity} must be written whole (missing ${missing.join(', ')})` };
  if (op.entity === 'case_event') {
    if (op.fields.authorId !== user.id) return { reason: `case_event authorId must be the signed-in user (${user.id}), not ${JSON.stringify(op.fields.authorId)}` };
    if (op.fields.authorName !== user.name) return { reason: `case_event authorName must be the signed-in user's name (${user.name})` };
  }
  return { record: { entity: op.entity, id: op.id, author: { authorId: user.id, ownerId: null }, claim: true } };
}

async function checkCase(authors: PushAuthors, user: User, op: Op): Promise<{ reason: string } | { record: AuthorshipRecord }> {
  const existing = await authors.get('case', op.id);
  const reassign = may(user.role, 'case.reassign');
  if (!existing) {
    const owner = (op.fields.ownerId as string | null | undefined) ?? null;
    if (owner !== null && owner !== user.id && !reassign) return { reason: `a ${user.role} may not create a case owned by someone else (${owner})` };
    return { record: { entity: 'case', id: op.id, author: { authorId: user.id, ownerId: owner } } };
  }
  if (!('ownerId' in op.fields)) return { record: null };
  const to = (op.fields.ownerId as string | null) ?? null;
  if (to === existing.ownerId) return { record: null };
  const ownsIt = existing.ownerId === user.id;
  const takesUnowned = existing.ownerId === null && to === user.id;
  if (!ownsIt && !takesUnowned && !reassign) {
    return { reason: `case ${op.id} is owned by ${existing.ownerId ?? 'nobody'}: only its owner or a supervisor may change its owner` };
  }
  return { record: { entity: 'case', id: op.id, author: { authorId: existing.authorId, ownerId: to } } };
}
