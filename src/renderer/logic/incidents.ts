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
  /** Mentions set aside as negated ("no weapons known"), so the dispatcher can check the reading. */
  ignored: string[];
}

/** The badge on an incident the core has screened for clinician eligibility. Null when not screened. */
export function eligibilityBadge(incident: Pick<Incident, 'eligibility'>): EligibilityBadge | null {
  const e = incident.eligibility;
  if (!e) return null;
  const ignored = e.ignored ?? [];
  if (e.eligible) return { text: 'Clinician could take this', tone: 'ok', reasons: e.reasons, exclusions: e.exclusions, ignored };
  // Excluded for a stated reason (weapon, violence…) is a warning; merely unmatched is not.
  if (e.exclusions.length) return { text: 'Not for the clinician alone', tone: 'warn', reasons: e.reasons, exclusions: e.exclusions, ignored };
  return { text: 'No clinician criteria matched', tone: 'muted', reasons: e.reasons, exclusions: [], ignored };
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

