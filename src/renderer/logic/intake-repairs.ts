import { describeProblem, readEido } from '../../shared/eido';
import type { Incident } from '../../shared/entities';

/*
 * Loaded on demand (the EIDO reader and its XML parser are a sixth of the renderer's code):
 * only a dispatcher reviewing a CAD incident needs them.
 */
/** Repairs worked out per incident version: reading a document again costs about a millisecond. */
const repairsKept = new Map<string, string[]>();

/**
 * What Tandem repaired to read a CAD incident (a key in the wrong case, a missing
 * non-essential field…), read again from the document CAD sent as it is kept with the
 * incident, each as "path: what was wrong (expected, found; did you mean) → what was done".
 * Empty for incidents not from CAD, and for a document read without repairs. The messages
 * never quote the document's free text.
 */
export function intakeRepairs(incident: Pick<Incident, 'id' | 'source' | 'eidoRaw' | 'eidoUpdatedAt'>): string[] {
  if (incident.source !== 'eido' || !incident.eidoRaw) return [];
  const key = `${incident.id}@${incident.eidoUpdatedAt ?? ''}`;
  let list = repairsKept.get(key);
  if (!list) {
    try {
      const [doc] = readEido(incident.eidoRaw).documents;
      list = doc?.ok ? doc.incident.warnings.map(describeProblem) : [];
    } catch {
      list = [];
    }
    if (repairsKept.size > 500) repairsKept.clear();
    repairsKept.set(key, list);
  }
  return list;
}
