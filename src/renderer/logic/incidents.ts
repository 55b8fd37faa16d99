import { describeProblem, readEido } from '../../shared/eido';
import type { Incident } from '../../shared/entities';
import type { Tone } from './tone';

/** Open incidents, newest first. */
export function openIncidentsNewestFirst(list: readonly Incident[]): Incident[] {
  return list
    .filter((i) => i.status === 'open')
    .sort((a, b) => (a.createdAt === b.createdAt ? (a.number < b.number ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
}

export interface EligibilityBadge {
  text: string;
  tone: Tone;
  reasons: string[];
  exclusions: string[];
}

/** The badge on an incident the core has screened for clinician eligibility. Null when not screened. */
export function eligibilityBadge(incident: Pick<Incident, 'eligibility'>): EligibilityBadge | null {
  const e = incident.eligibility;
  if (!e) return null;
  if (e.eligible) return { text: 'Clinician could take this', tone: 'ok', reasons: e.reasons, exclusions: e.exclusions };
  // Excluded for a stated reason (weapon, violence…) is a warning; merely unmatched is not.
  if (e.exclusions.length) return { text: 'Not for the clinician alone', tone: 'warn', reasons: e.reasons, exclusions: e.exclusions };
  return { text: 'No clinician criteria matched', tone: 'muted', reasons: e.reasons, exclusions: [] };
}

/** Index of the row after moving `delta` from `currentId` (clamped; the first row when nothing is selected). */
export function moveSelection(ids: readonly string[], currentId: string | null, delta: number): string | null {
  if (!ids.length) return null;
  const at = currentId ? ids.indexOf(currentId) : -1;
  if (at < 0) return delta < 0 ? ids[ids.length - 1] : ids[0];
  return ids[Math.min(ids.length - 1, Math.max(0, at + delta))];
}

/**
 * Field names a `bad_request` names in its details (zod issues with a `path`), so the form
 * can mark them. Anything else yields no field.
 */
export function invalidFields(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  const out: string[] = [];
  for (const issue of details) {
    const path = (issue as { path?: unknown } | null)?.path;
    if (Array.isArray(path) && typeof path[0] === 'string' && !out.includes(path[0])) out.push(path[0]);
  }
  return out;
}

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
