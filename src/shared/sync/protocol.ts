import { z } from 'zod';
import { EntityName, ENTITIES, ENTITY_NAMES, roleMayWrite, type EntityName as EntityNameT } from '../entities';
import { HLC_PATTERN, REPLICA_ID_PATTERN } from '../hlc';
import type { Role } from '../roles';
import { ID_PATTERN, OP_LIMITS, opShapeProblem } from './op-check';

/**
 * One change, as it travels between replicas. A local change writes the tables and appends
 * one of these to the outbox in the same SQLite transaction.
 */
export const Op = z.object({
  replica: z.string().regex(REPLICA_ID_PATTERN),
  seq: z.number().int().positive(),
  hlc: z.string().regex(HLC_PATTERN),
  entity: EntityName,
  id: z.string().min(1).max(OP_LIMITS.idMaxLength).regex(ID_PATTERN, 'id may hold only letters, digits and . _ : @ ~ + = -'),
  fields: z.record(z.string(), z.unknown()),
});
export type Op = z.infer<typeof Op>;

/** An op as the server hands it out: with its place in the change log. */
export const LoggedOp = Op.extend({ cursor: z.number().int().positive() });
export type LoggedOp = z.infer<typeof LoggedOp>;

/**
 * An op (or, with `cursor`, a LoggedOp) as JSON text, its fields spliced in as the JSON the
 * store holds them in: a push reads its outbox and a pull its change log this way, rather than
 * parsing every op's fields only to write them out again.
 */
export function opJsonText(op: { cursor?: number; replica: string; seq: number; hlc: string; entity: string; id: string }, fieldsJson: string): string {
  const q = JSON.stringify;
  const cursor = op.cursor === undefined ? '' : `"cursor":${op.cursor},`;
  return `{${cursor}"replica":${q(op.replica)},"seq":${op.seq},"hlc":${q(op.hlc)},"entity":${q(op.entity)},"id":${q(op.id)},"fields":${fieldsJson}}`;
}

export const PushRequest = z.object({ ops: z.array(z.unknown()).max(5000) });
export const Refusal = z.object({ seq: z.number().int().nullable(), reason: z.string() });
export type Refusal = z.infer<typeof Refusal>;
export const PushResponse = z.object({
  /** Highest sequence number the server now holds (applied or refused) for this replica. */
  lastSeq: z.number().int().nonnegative(),
  applied: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  refused: z.array(Refusal),
  cursor: z.number().int().nonnegative(),
  /**
   * The change-log cursor before this push's ops: every op after it up to `cursor` is one of
   * this push's (a console that already held everything up to `from` holds everything up to
   * `cursor`, and need not pull its own ops back). Absent from servers before it was added.
   */
  from: z.number().int().nonnegative().optional(),
});
export type PushResponse = z.infer<typeof PushResponse>;

export const PULL_PAGE_MAX = 5000;
/**
 * A pull page stops adding ops once it holds this many bytes (one op larger than that still
 * travels, alone): far below MAX_MESSAGE_BYTES, which both ends of the socket enforce.
 */
export const PULL_PAGE_MAX_BYTES = 16 * 1024 * 1024;
/** The largest WebSocket message either end accepts (server maxPayload, client maxPayload). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A pulled op that failed its check: set aside with its reason, never applied. */
export interface QuarantinedOp {
  cursor: number | null;
  reason: string;
  op: unknown;
}

/**
 * Checks a pulled page op by op (op-check.ts, the same shape the server checked on push).
 * One bad op never stops the page: it is set aside with its reason and the rest applies. Only
 * a response that is not a page at all throws.
 */
export function parsePullResponse(raw: unknown): PullResponse & { quarantined: QuarantinedOp[] } {
  const r = raw as { ops?: unknown; cursor?: unknown; more?: unknown } | null;
  if (!r || !Array.isArray(r.ops) || !Number.isSafeInteger(r.cursor) || typeof r.more !== 'boolean') {
    throw new Error('Malformed pull response from the sync server');
  }
  const ops: LoggedOp[] = [];
  const quarantined: QuarantinedOp[] = [];
  for (const o of r.ops as Record<string, unknown>[]) {
    const cursor = o !== null && typeof o === 'object' && Number.isSafeInteger(o.cursor) && (o.cursor as number) > 0 ? (o.cursor as number) : null;
    const problem = cursor === null ? 'cursor: must be a positive integer' : opShapeProblem(o);
    if (problem) quarantined.push({ cursor, reason: `malformed op: ${problem}`, op: o });
    else ops.push(o as LoggedOp);
  }
  return { ops, quarantined, cursor: r.cursor as number, more: r.more };
}
export const PullResponse = z.object({
  ops: z.array(LoggedOp),
  cursor: z.number().int().nonnegative(),
  more: z.boolean(),
});
export type PullResponse = z.infer<typeof PullResponse>;

export class OpRefused extends Error {
  readonly code = 'op_refused';
}

/**
 * Checks one pushed op for a role before anything is applied. Returns the reason it is
 * refused, or null. Field values are checked against the entity's schema so that a
 * malformed value never lands half-written on any replica.
 */
export function validateOpFor(role: Role, raw: unknown): { op?: Op; reason?: string } {
  // The common case checked by hand (a push carries thousands of ops); zod only when something
  // is wrong, for its message.
  const wellFormed = opIfWellFormed(raw);
  const parsed = wellFormed ? ({ success: true, data: wellFormed } as const) : Op.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'op';
    const entityIssue = where === 'entity' ? ` (unknown entity ${JSON.stringify((raw as { entity?: unknown })?.entity)})` : '';
    return { reason: `malformed op: ${where}: ${issue?.message ?? 'invalid'}${entityIssue}` };
  }
  const op = parsed.data;
  if (!roleMayWrite(role, op.entity)) return { op, reason: `a ${role} may not change ${op.entity} records` };
  const shape = opShapeProblem(op);
  if (shape) return { op, reason: shape.replace(/^fields: /, '') };
  const fieldCheck = partialSchema(op.entity).safeParse(op.fields);
  if (!fieldCheck.success) {
    const issue = fieldCheck.error.issues[0];
    return { op, reason: `invalid ${op.entity}.${issue?.path.join('.')}: ${issue?.message}` };
  }
  return { op };
}

/**
 * The op's own fields (others dropped, as zod's object parse does), or null if any is not what
 * `Op` requires: the check of every op pushed to the server and every op pulled from it.
 */
const ENTITY_SET = new Set<string>(ENTITY_NAMES);

function opIfWellFormed(raw: unknown): Op | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { replica, seq, hlc, entity, id, fields } = raw as Record<string, unknown>;
  const ok =
    typeof replica === 'string' &&
    REPLICA_ID_PATTERN.test(replica) &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq > 0 &&
    typeof hlc === 'string' &&
    HLC_PATTERN.test(hlc) &&
    typeof entity === 'string' &&
    ENTITY_SET.has(entity) &&
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= OP_LIMITS.idMaxLength &&
    ID_PATTERN.test(id) &&
    typeof fields === 'object' &&
    fields !== null &&
    !Array.isArray(fields);
  return ok ? { replica, seq, hlc, entity: entity as EntityNameT, id, fields: fields as Record<string, unknown> } : null;
}

const partials = new Map<EntityNameT, z.ZodType>();
/**
 * Any subset of an entity's fields, nothing else: what a pushed op and the server's own writes
 * are checked against. Building one is far dearer than using it: each is made once, here.
 */
export function partialSchema(entity: EntityNameT): z.ZodType {
  let s = partials.get(entity);
  if (!s) {
    s = ENTITIES[entity].schema.partial().strict();
    partials.set(entity, s);
  }
  return s;
}

export function entityOf(name: string): EntityNameT | null {
  const parsed = EntityName.safeParse(name);
  return parsed.success ? parsed.data : null;
}
