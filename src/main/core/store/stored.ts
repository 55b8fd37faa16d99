import { ENTITIES, type EntityName, type FieldKind } from '../../../shared/entities';

/** A replicated row as its table holds it: every field as text (JSON text for json fields) or null. */
export type Stored = Record<string, string | null>;

export function toStored(entity: EntityName, fields: Record<string, unknown>): Stored {
  const kinds = ENTITIES[entity].fields;
  const out: Stored = {};
  for (const f in fields) out[f] = storedValue(kinds[f], fields[f]);
  return out;
}

/** A field's value as its column holds it: JSON text for json fields, text otherwise. */
export function storedValue(kind: FieldKind | undefined, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (kind === 'json') return JSON.stringify(v);
  return typeof v === 'string' ? v : String(v);
}

export function fromStored(entity: EntityName, row: Stored): Record<string, unknown> {
  const kinds = ENTITIES[entity].fields;
  const out: Record<string, unknown> = { id: row.id };
  for (const [f, kind] of Object.entries(kinds)) {
    const v = row[f];
    out[f] = v === null || v === undefined ? null : kind === 'json' ? JSON.parse(v) : v;
  }
  return out;
}
