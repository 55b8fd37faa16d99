import { ENTITIES, type EntityName } from '../entities';

/**
 * Last-writer-wins per field, by HLC. Each row carries a map field → HLC of its last write;
 * an incoming op wins a field only with a strictly greater timestamp, so applying the same
 * op twice, or ops in any order, ends in the same row everywhere. Append-only entities are
 * written once and never edited (a correction is a new row); should two replicas ever write
 * the same id, the earliest timestamp wins whole, so every replica keeps the same one.
 */
export type Clocks = Record<string, string>;

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

export function mergeOp(
  entity: EntityName,
  current: RowState | null,
  hlc: string,
  fields: Record<string, unknown>,
): MergeResult {
  if (!current) {
    const clocks: Clocks = {};
    for (const f of Object.keys(fields)) clocks[f] = hlc;
    return { state: { data: { ...fields }, clocks }, changed: Object.keys(fields), created: true };
  }
  if (ENTITIES[entity].appendOnly) {
    const written = Object.values(current.clocks).sort()[0];
    if (written !== undefined && written <= hlc) return { state: current, changed: [], created: false };
    const clocks: Clocks = {};
    for (const f of Object.keys(fields)) clocks[f] = hlc;
    return { state: { data: { ...fields }, clocks }, changed: Object.keys(fields), created: false };
  }
  const data = { ...current.data };
  const clocks = { ...current.clocks };
  const changed: string[] = [];
  for (const [f, v] of Object.entries(fields)) {
    const seen = clocks[f];
    if (seen !== undefined && seen >= hlc) continue;
    clocks[f] = hlc;
    data[f] = v;
    changed.push(f);
  }
  return { state: { data, clocks }, changed, created: false };
}
