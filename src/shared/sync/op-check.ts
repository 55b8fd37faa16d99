import { ENTITIES, ENTITY_NAMES, type EntityName } from '../entities';
import { HLC_PATTERN, REPLICA_ID_PATTERN } from '../hlc';

/**
 * The one definition of a well-formed op's shape, with its limits written out. The sync server
 * checks every pushed op and every op it writes itself against it; a console checks every
 * pulled op against it, so nothing the server hands out can be refused by a pull (the push side
 * additionally checks each field's value against the entity's schema, see protocol.ts).
 */
export const OP_LIMITS = {
  /** Row ids: 1–128 characters of a URL- and log-safe alphabet (no spaces, quotes or control characters). */
  idMaxLength: 128,
  /** Nesting of a field's JSON value (an object in an array in an object is depth 3). */
  maxDepth: 8,
  /** Largest JSON size of one op's fields, in UTF-8 bytes, per entity. */
  fieldBytes: {
    // eidoRaw alone may hold 1 MiB (of characters): an incident can be a few MiB.
    incident: 5 * 1024 * 1024,
    handoff: 64 * 1024,
    presence: 8 * 1024,
    person: 64 * 1024,
    case: 256 * 1024,
    case_event: 256 * 1024,
    referral: 64 * 1024,
    task: 32 * 1024,
    resource_service: 512 * 1024,
    directory_suggestion: 32 * 1024,
  } satisfies Record<EntityName, number>,
} as const;

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@~+=-]{0,127}$/;

/** Why a row id is not acceptable, or null. */
export function idProblem(id: unknown): string | null {
  if (typeof id !== 'string' || id.length === 0) return 'id is required';
  if (id.length > OP_LIMITS.idMaxLength) return `id is ${id.length} characters long (at most ${OP_LIMITS.idMaxLength})`;
  if (!ID_PATTERN.test(id)) return 'id may hold only letters, digits and . _ : @ ~ + = - (starting with a letter or digit)';
  return null;
}

const ENTITY_SET = new Set<string>(ENTITY_NAMES);

/**
 * An upper bound of the UTF-8 JSON size of a value (3 bytes per UTF-16 unit of strings), or
 * Infinity once it passes `budget` or nests deeper than `depth`: never more work than the budget.
 */
function jsonSizeWithin(value: unknown, depth: number, budget: number): number {
  if (value === null || typeof value === 'boolean') return 5;
  if (typeof value === 'number') return Number.isFinite(value) ? 24 : Infinity;
  if (typeof value === 'string') return value.length * 3 + 2;
  if (typeof value !== 'object') return Infinity; // undefined, functions, bigints: not JSON
  if (depth <= 0) return Infinity;
  let total = 2;
  if (Array.isArray(value)) {
    for (const v of value) {
      total += jsonSizeWithin(v, depth - 1, budget - total) + 1;
      if (total > budget) return Infinity;
    }
    return total;
  }
  for (const k in value) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
    total += k.length * 3 + 3 + jsonSizeWithin((value as Record<string, unknown>)[k], depth - 1, budget - total) + 1;
    if (total > budget) return Infinity;
  }
  return total;
}

/** Exact UTF-8 byte length of a string, without encoding it. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The JSON size of an op's fields in UTF-8 bytes (exact when the cheap bound is over the limit). */
export function fieldsBytes(fields: Record<string, unknown>): number {
  return utf8Length(JSON.stringify(fields));
}

/**
 * Why this value is not a well-formed op, or null: structure (replica, seq, hlc, a known
 * entity, an id within OP_LIMITS, fields an object of the entity's own field names) and the
 * size and depth of its fields. Cheap: a first sync runs it over hundreds of thousands of ops.
 */
export function opShapeProblem(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'op is not an object';
  const { replica, seq, hlc, entity, id, fields } = raw as Record<string, unknown>;
  if (typeof replica !== 'string' || !REPLICA_ID_PATTERN.test(replica)) return 'replica: invalid replica id';
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'seq: must be a positive integer';
  if (typeof hlc !== 'string' || !HLC_PATTERN.test(hlc)) return 'hlc: invalid timestamp';
  if (typeof entity !== 'string' || !ENTITY_SET.has(entity)) return `entity: unknown entity ${JSON.stringify(entity)?.slice(0, 40)}`;
  const bad = idProblem(id);
  if (bad) return `id: ${bad}`;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return 'fields: must be an object';
  const def = ENTITIES[entity as EntityName];
  const names = Object.keys(fields);
  if (names.length === 0) return 'fields: op changes no fields';
  const unknown = names.filter((f) => !Object.prototype.hasOwnProperty.call(def.fields, f));
  if (unknown.length) return `fields: ${entity} has no field ${unknown.slice(0, 5).join(', ').slice(0, 200)}`;
  const limit = OP_LIMITS.fieldBytes[entity as EntityName];
  const bound = jsonSizeWithin(fields, OP_LIMITS.maxDepth + 1, limit * 3);
  if (bound === Infinity) {
    if (!Number.isFinite(jsonSizeWithin(fields, OP_LIMITS.maxDepth + 1, Number.MAX_SAFE_INTEGER))) {
      return `fields: nested deeper than ${OP_LIMITS.maxDepth} levels or not JSON`;
    }
    return `fields: ${entity} op is larger than ${limit} bytes`;
  }
  if (bound > limit && fieldsBytes(fields as Record<string, unknown>) > limit) return `fields: ${entity} op is larger than ${limit} bytes`;
  return null;
}
