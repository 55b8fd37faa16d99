/**
 * CAD intake: one normalized EIDO incident → the fields of Tandem's replicated `incident`
 * row. The server (POST /eido), the console's drop folder and `import-eido` all go through
 * here, so the same document becomes the same row whichever path it took, and an update
 * from one path lands on the row the other path created.
 */
import { sha256Hex } from '../directory/hash';
import type { Incident } from '../entities';
import { evaluateEligibility, ignoredOf, parseEligibilityRules, type EligibilityResult, type EligibilityRules } from './eligibility';
import { isNewer } from './update';
import { DEFAULT_ELIGIBILITY_RULES } from './default-rules';
import type { NormalizedEidoIncident, NormalizedLocation } from './types';

/** Field limits of `Incident` (src/shared/entities.ts): longer text is cut, never refused. */
const MAX = { number: 64, type: 200, priority: 40, location: 500, callback: 64, caller: 200, notes: 8000, caution: 500, by: 200 } as const;

/**
 * The row id of an EIDO incident: derived from the document `$id` (the incident tracking
 * identifier), so every update of an incident, from any intake path, hits the same row.
 */
export function eidoIncidentRowId(eidoIncidentId: string): string {
  return `eido-${sha256Hex(eidoIncidentId).slice(0, 32)}`;
}

/**
 * The number dispatchers read: the CAD's own incident number when sent, else the unique
 * part of the tracking id ("urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us" →
 * "a56e556d871"), else the tracking id itself, cut to fit.
 */
export function eidoIncidentNumber(n: Pick<NormalizedEidoIncident, 'incidentId' | 'internalIncidentId'>): string {
  if (n.internalIncidentId?.trim()) return cut(n.internalIncidentId.trim(), MAX.number);
  const m = /^urn:emergency:uid:incidentid:([^:]+):/i.exec(n.incidentId);
  return cut(m ? m[1] : n.incidentId, MAX.number);
}

/** "Mental Health — Psychiatric / suicidal (25-A-1)"; an untyped incident says what it is. */
export function eidoIncidentType(n: Pick<NormalizedEidoIncident, 'type' | 'calls'>): string {
  const { registryText, internalText, internalCode } = n.type;
  const words = [registryText, internalText && internalText !== registryText ? internalText : undefined].filter(Boolean).join(' — ');
  const text = [words, internalCode ? `(${internalCode})` : ''].filter(Boolean).join(' ');
  if (text) return cut(text, MAX.type);
  const call = n.calls.find((c) => c.primaryCallType)?.primaryCallType;
  return call ? cut(`${capitalize(call)} call (no incident type from CAD)`, MAX.type) : 'CAD incident (no type)';
}

/** A location as one line a dispatcher can read: the address, else the point, else the URL still to fetch. */
export function describeEidoLocation(l: NormalizedLocation | undefined): string {
  if (!l) return 'Location not sent by CAD';
  let text: string;
  if (l.civic?.display) text = l.civic.display;
  else if (l.point) text = latLon(l.point.lat, l.point.lon, l.point.radius);
  else if (l.referenceUrl) text = `By reference: ${l.referenceUrl}`;
  else text = 'Civic address without fields';
  if (l.description && !text.includes(l.description)) text = `${text} (${l.description})`;
  return cut(text, MAX.location);
}

function latLon(lat: number, lon: number, radius?: number): string {
  const r = radius !== undefined ? ` ±${Math.round(radius)} m` : '';
  return `${lat.toFixed(5)}, ${lon.toFixed(5)}${r}`;
}

export interface EidoIncidentFields {
  /** Every field of the row but `id`: written when the incident is new. */
  create: Omit<Incident, 'id'>;
  /**
   * Written when a newer document updates the row: what CAD owns. `createdAt`, `createdBy`
   * stay as first written; `status` is only written when CAD sent one.
   */
  update: Partial<Omit<Incident, 'id'>>;
}

export interface EidoIncidentOptions {
  /** When this copy arrived (becomes createdAt for a new row and updatedAt always). */
  receivedAt: string;
  /** Who brought it in, e.g. "CAD (key cad-north)" or "Drop folder on DISP-1". */
  receivedBy: string;
}

/** The incident row for a parsed EIDO document and its eligibility. */
export function eidoIncidentFields(n: NormalizedEidoIncident, eligibility: EligibilityResult | null, opts: EidoIncidentOptions): EidoIncidentFields {
  const status = eidoStatus(n);
  const caller = n.persons.find((p) => p.roles.some((r) => /caller/i.test(r)) && p.name)?.name ?? null;
  const notes = n.notes.map((x) => (x.at ? `[${x.at.slice(11, 16)}Z] ${x.text}` : x.text)).join('\n');
  const common = {
    number: eidoIncidentNumber(n),
    source: 'eido' as const,
    type: eidoIncidentType(n),
    priority: eidoPriority(n),
    location: describeEidoLocation(n.location),
    callbackNumber: n.callback.number ? cut(n.callback.number, MAX.callback) : null,
    callerName: caller ? cut(caller, MAX.caller) : null,
    notes: notes ? cutEnd(notes, MAX.notes) : null,
    cautions: n.cautions.length ? n.cautions.map((c) => ({ text: cut(c.text || c.registryText || 'Caution', MAX.caution), ...(c.severity ? { severity: c.severity } : {}) })) : null,
    eligibility: eligibility
      ? { eligible: eligibility.eligible, reasons: eligibility.reasons, exclusions: eligibility.exclusions, ...ignoredOf(eligibility) }
      : null,
    eidoRaw: n.raw,
    eidoUpdatedAt: n.lastUpdated,
    updatedAt: opts.receivedAt,
  };
  return {
    create: { ...common, status: status ?? 'open', createdAt: opts.receivedAt, createdBy: cut(opts.receivedBy, MAX.by) },
    update: status ? { ...common, status } : common,
  };
}

/** 'closed' when CAD says the incident is closed/complete/cancelled, 'open' for any other status, undefined when it sent none. */
function eidoStatus(n: NormalizedEidoIncident): 'open' | 'closed' | undefined {
  const all = [...n.status.registryText, ...n.status.internalText];
  if (!all.length) return undefined;
  return all.some((s) => /clos|complet|cancel/i.test(s)) ? 'closed' : 'open';
}

function eidoPriority(n: NormalizedEidoIncident): string | null {
  if (n.priority.number !== undefined) return String(n.priority.number);
  if (n.priority.internalText?.trim()) return cut(n.priority.internalText.trim(), MAX.priority);
  return null;
}

export type EidoIntakeDecision =
  | { action: 'create'; id: string; fields: Omit<Incident, 'id'> }
  | { action: 'update'; id: string; fields: Partial<Omit<Incident, 'id'>> }
  | { action: 'ignore'; id: string; reason: 'older' | 'same'; storedUpdatedAt: string };

/**
 * What to do with a parsed document given the row already stored for it (or null): create
 * it, update it (strictly newer `lastUpdateTimeStamp`), or ignore it (older or equal: a late
 * retry, a second CAD path, a redelivery).
 */
export function decideEidoIntake(
  n: NormalizedEidoIncident,
  stored: Pick<Incident, 'eidoUpdatedAt'> | null,
  eligibility: EligibilityResult | null,
  opts: EidoIncidentOptions,
): EidoIntakeDecision {
  const id = eidoIncidentRowId(n.incidentId);
  const fields = eidoIncidentFields(n, eligibility, opts);
  if (!stored) return { action: 'create', id, fields: fields.create };
  if (!stored.eidoUpdatedAt) return { action: 'update', id, fields: fields.update };
  if (isNewer({ lastUpdated: n.lastUpdated }, { lastUpdated: stored.eidoUpdatedAt })) return { action: 'update', id, fields: fields.update };
  const same = !isNewer({ lastUpdated: stored.eidoUpdatedAt }, { lastUpdated: n.lastUpdated });
  return { action: 'ignore', id, reason: same ? 'same' : 'older', storedUpdatedAt: stored.eidoUpdatedAt };
}

/** Eligibility of a hand-entered incident (type and notes as typed, cautions when there are some). */
export function manualEligibility(
  incident: { type?: string | null; notes?: string | null; cautions?: ReadonlyArray<{ text: string }> | null },
  rules: EligibilityRules,
): EligibilityResult {
  return evaluateEligibility(
    {
      type: incident.type ? { registryText: incident.type } : {},
      notes: incident.notes ? [{ text: incident.notes }] : [],
      cautions: incident.cautions ?? [],
    },
    rules,
  );
}

/** Parses a rule file's text; throws EligibilityRulesError (or SyntaxError for bad JSON, with the name). */
export function eligibilityRulesFromText(text: string, name = 'rule file'): EligibilityRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`${name} is not JSON: ${(err as Error).message}`);
  }
  return parseEligibilityRules(json);
}

/**
 * The site's rule file, or the shipped default. Reading the file is the caller's (core and
 * server each bring their own `fs`); a broken file is an error naming it, never a silent default.
 */
export function loadEligibilityRules(file: string | null | undefined, readText: (file: string) => string): EligibilityRules {
  if (!file) return DEFAULT_ELIGIBILITY_RULES;
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    throw new Error(`Cannot read the eligibility rule file ${file}: ${(err as Error).message}`);
  }
  try {
    return eligibilityRulesFromText(text, file);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Keeps the newest lines (the end) when notes are too long. */
function cutEnd(s: string, max: number): string {
  return s.length <= max ? s : `…${s.slice(s.length - max + 1)}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
