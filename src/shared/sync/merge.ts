import { ENTITIES, type EntityName } from '../entities';

/**
 * Last-writer-wins per field, by HLC. Each row carries a map field → HLC of its last write;
 * an incoming op wins a field only with a strictly greater timestamp, so applying the same
 * op twice, or ops in any order, ends in the same row everywhere. Append-only entities are
 * written once and never edited (a correction is a new row); should two replicas ever write
 * the same id, the earliest timestamp wins whole, so every replica keeps the same one.
 */
export type Clocks = Record<string, string>;

/**
 * The key that stands for every field not listed. A row created by an op that sets all of its
 * entity's fields (nearly every create) stores `{"*": hlc}` instead of one timestamp per
 * field: on a 200,000-event timeline that halves the store and the bytes it encrypts.
 */
export const EVERY_FIELD = '*';

/** The timestamp of a field's last write, or undefined when it was never written. */
export function clockOf(clocks: Clocks, field: string): string | undefined {
  return clocks[field] ?? clocks[EVERY_FIELD];
}

/** One timestamp per field of the entity, whichever way the row stores them. */
export function expandClocks(entity: EntityName, clocks: Clocks): Clocks {
  const out: Clocks = {};
  for (const f of Object.keys(ENTITIES[entity].fields)) {
    const c = clockOf(clocks, f);
    if (c !== undefined) out[f] = c;
  }
  return out;
}

export interface RowState {
  data: Record<string, unknown>;
  clocks: Clocks;
}

export interface MergeResult {
  state: RowState;
  /** Fields that changed value; empty when the op lost on every field. */
  changed: string[];
  created: boolean;
}

const FIELD_COUNT = new Map(Object.entries(ENTITIES).map(([name, def]) => [name, Object.keys(def.fields).length]));

/** The clocks of a row created by one op: `{"*": hlc}` when it sets every field. */
export function clocksFor(entity: EntityName, hlc: string, fields: Record<string, unknown>): Clocks {
  const names = Object.keys(fields);
  const all = ENTITIES[entity].fields;
  if (names.length === FIELD_COUNT.get(entity) && names.every((f) => f in all)) return { [EVERY_FIELD]: hlc };
  const clocks: Clocks = {};
  for (const f of names) clocks[f] = hlc;
  return clocks;
}

export function mergeOp(
  entity: EntityName,
  current: RowState | null,
  hlc: string,
  fields: Record<string, unknown>,
): MergeResult {
  if (!current) {
    return { state: { data: { ...fields }, clocks: clocksFor(entity, hlc, fields) }, changed: Object.keys(fields), created: true };
  }
  if (ENTITIES[entity].appendOnly) {
    const written = Object.values(current.clocks).sort()[0];
    if (written !== undefined && written <= hlc) return { state: current, changed: [], created: false };
    return { state: { data: { ...fields }, clocks: clocksFor(entity, hlc, fields) }, changed: Object.keys(fields), created: false };
  }
  const data = { ...current.data };
  const clocks = { ...current.clocks };
  const changed: string[] = [];
  for (const [f, v] of Object.entries(fields)) {
    const seen = clockOf(clocks, f);
    if (seen !== undefined && seen >= hlc) continue;
    clocks[f] = hlc;
    data[f] = v;
    changed.push(f);
  }
  return { state: { data, clocks }, changed, created: false };
}
