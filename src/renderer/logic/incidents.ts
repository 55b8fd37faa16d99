import { CAD_OWNED_INCIDENT_FIELDS } from '../../shared/contract';
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
 * can mark them. `under`: the input's key holding the fields (an update's `patch`), skipped
 * when the path starts with it. Anything else yields no field.
 */
export function invalidFields(details: unknown, under?: string): string[] {
  if (!Array.isArray(details)) return [];
  const out: string[] = [];
  for (const issue of details) {
    const raw = (issue as { path?: unknown } | null)?.path;
    const path = Array.isArray(raw) && under !== undefined && raw[0] === under ? raw.slice(1) : raw;
    if (Array.isArray(path) && typeof path[0] === 'string' && !out.includes(path[0])) out.push(path[0]);
  }
  return out;
}


/** The incident form's text, one string per field (empty for none). */
export interface IncidentFields {
  type: string;
  location: string;
  callbackNumber: string;
  callerName: string;
  priority: string;
  notes: string;
}

export const EMPTY_INCIDENT_FIELDS: IncidentFields = { type: '', location: '', callbackNumber: '', callerName: '', priority: '', notes: '' };

/** Fields CAD sends on a CAD (EIDO) incident: the console shows them, CAD changes them. */
export const CAD_OWNED_FIELDS: readonly (keyof IncidentFields)[] = CAD_OWNED_INCIDENT_FIELDS;

/** The edit form's starting text: the incident as it is. */
export function incidentFields(i: Incident): IncidentFields {
  return {
    type: i.type,
    location: i.location,
    callbackNumber: i.callbackNumber ?? '',
    callerName: i.callerName ?? '',
    priority: i.priority ?? '',
    notes: i.notes ?? '',
  };
}

/**
 * What an edit changed, compared with the form's starting text: only those fields are sent,
 * so a field CAD or another console changed meanwhile is not written back. Surrounding spaces
 * are not a change (the core trims them); an emptied optional field is sent as '' (cleared);
 * notes of nothing but spaces are empty. On a CAD incident its CAD fields are never sent.
 */
export function changedIncidentFields(before: IncidentFields, now: IncidentFields, cad: boolean): Partial<IncidentFields> {
  const out: Partial<IncidentFields> = {};
  for (const k of CAD_OWNED_INCIDENT_FIELDS) {
    if (cad) break;
    if (now[k].trim() !== before[k].trim()) out[k] = now[k].trim();
  }
  const notes = now.notes.trim() ? now.notes : '';
  if (notes !== before.notes) out.notes = notes;
  return out;
}
