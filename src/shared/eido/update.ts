/**
 * EIDO updates: which of two documents is current, and the document Tandem sends back to
 * CAD when a clinician closes out a handoff.
 */
import { EidoError } from './errors';
import { parseEido } from './parse';
import { compareTimestamps, parseTimestamp, type ParsedTimestamp } from './time';
import type { NormalizedIncidentType } from './types';

/** A normalized incident, or a raw EIDO document (anything with a `lastUpdateTimeStamp`). */
export type Timestamped = { lastUpdated: string } | { lastUpdateTimeStamp: string };

/**
 * True when `a` was updated strictly after `b`, by `lastUpdateTimeStamp`. EIDO updates are
 * whole-incident snapshots, so the newer one replaces the stored one and an older one that
 * arrives late (retries, a second CAD path) is ignored. Equal stamps are not newer: the
 * stored copy stays, which makes redelivery of the same document a no-op. Sub-millisecond
 * digits count. Callers compare documents of the same incident.
 */
export function isNewer(a: Timestamped, b: Timestamped): boolean {
  return compareTimestamps(stampOf(a, 'a'), stampOf(b, 'b')) > 0;
}

function stampOf(x: Timestamped, name: string): ParsedTimestamp {
  const text = x === null || typeof x !== 'object' ? undefined : 'lastUpdated' in x ? x.lastUpdated : x.lastUpdateTimeStamp;
  const t = typeof text === 'string' ? parseTimestamp(text) : undefined;
  if (!t) throw new EidoError('invalid', 'not an RFC 3339 date-time', `${name}.lastUpdateTimeStamp`);
  return t;
}

export interface OutcomeUpdateInput {
  /** The incident's tracking id: the `$id` of the document it came in as. */
  incidentId: string;
  /** Tandem's outcome (e.g. "resolved_by_phone"); sent as the disposition code. */
  outcome: string;
  /** The clinician's summary; plain text (it is escaped into the HTML5 note). */
  summary: string;
  clinicianName: string;
  /** When the outcome was recorded; becomes every `lastUpdateTimeStamp`. */
  at: string | Date;
  /** The id of the agency Tandem runs for (the ECC), e.g. "ecc.county.example.gov". */
  agencyId: string;
  /**
   * The incident's type as received (`incident.type`). An EIDO incident component must
   * carry a type; echoing the CAD's own keeps the update from reclassifying the incident.
   * Without it, `DEFAULT_OUTCOME_INCIDENT_TYPE` is sent.
   */
  incidentType?: NormalizedIncidentType;
  /** The `$id` of the CAD's incident component, when it sent one, so the update merges into it. */
  incidentComponentId?: string;
  /** Maps Tandem's outcome to a site's Common Disposition Code; default: the outcome itself. */
  dispositionCode?: string;
  /** The functional element id written as `issuingElementIdentification`; default "tandem.<agencyId>". */
  issuer?: string;
}

/** Sent when the caller does not pass the incident's type (see `incidentType`). */
export const DEFAULT_OUTCOME_INCIDENT_TYPE = 'Other';

/** Human-readable labels for Tandem's handoff outcomes, used in the disposition text. */
const OUTCOME_LABELS: Record<string, string> = {
  resolved_by_phone: 'Resolved by phone',
  responders_needed: 'Responders needed',
  transport: 'Transport',
  referral: 'Referred to services',
  follow_up_needed: 'Follow-up needed',
};

/**
 * Builds the EIDO 1.0 document reporting a clinician's outcome: the clinician's note in
 * `notesComponent` and a disposition in `incidentComponent.dispositionComponent` that
 * references it. Component ids are derived from the incident and the time, so building the
 * same outcome twice gives the same document (a resend is recognisably the same update).
 * The result is checked with `parseEido` before it is returned: Tandem never sends CAD a
 * document it would itself reject.
 */
export function buildOutcomeUpdate(input: OutcomeUpdateInput) {
  const v = checkInput(input);
  const stamp = `${v.ms}-${fnv1a(`${v.incidentId}\u0000${v.agencyId}`)}`;
  const noteId = `urn:tandem:note:${stamp}`;
  const agency = { $ref: v.agencyId };
  const label = OUTCOME_LABELS[v.outcome] ?? v.outcome;
  const type = input.incidentType ?? {};
  const doc = {
    $id: v.incidentId,
    lastUpdateTimeStamp: v.at,
    updatedByAgencyReference: agency,
    eidoVersion: '1.0',
    issuingElementIdentification: input.issuer ?? `tandem.${v.agencyId}`,
    incidentComponent: {
      $id: input.incidentComponentId ?? `urn:tandem:incident:${stamp}`,
      lastUpdateTimeStamp: v.at,
      updatedByAgencyReference: agency,
      incidentTypeCommonRegistryText: type.registryText ?? DEFAULT_OUTCOME_INCIDENT_TYPE,
      ...(type.internalCode ? { incidentTypeInternalCode: type.internalCode } : {}),
      ...(type.internalText ? { incidentTypeInternalText: type.internalText } : {}),
      notesReference: [{ $ref: noteId }],
      dispositionComponent: [
        {
          $id: `urn:tandem:disposition:${stamp}`,
          lastUpdateTimeStamp: v.at,
          updatedByAgencyReference: agency,
          dispositionCommonRegistryCode: input.dispositionCode ?? v.outcome,
          dispositionPrimaryIndicator: true,
          dispositionCategoryText: 'Mental health clinician',
          dispositionDescriptionText: label,
          notesReference: [{ $ref: noteId }],
        },
      ],
    },
    notesComponent: [
      {
        $id: noteId,
        lastUpdateTimeStamp: v.at,
        updatedByAgencyReference: agency,
        notesActionComments: outcomeNoteHtml(label, v.summary, v.clinicianName),
      },
    ],
    agencyComponent: [
      {
        $id: v.agencyId,
        lastUpdateTimeStamp: v.at,
        updatedByAgencyReference: agency,
        agencyRoleDescriptionRegistryText: ['Responding'],
        agencyType: ['psap'],
      },
    ],
  };
  parseEido(doc, { strict: true }); // throws EidoError if anything above is not clean EIDO 1.0
  return doc;
}

/** The document `buildOutcomeUpdate` returns (plain JSON; send it with JSON.stringify). */
export type OutcomeUpdateDocument = ReturnType<typeof buildOutcomeUpdate>;

interface CheckedInput {
  incidentId: string;
  outcome: string;
  summary: string;
  clinicianName: string;
  agencyId: string;
  at: string;
  ms: number;
}

/** Rejects empty or control-character ids early, with the input field named. */
function checkInput(input: OutcomeUpdateInput): CheckedInput {
  const field = (name: 'incidentId' | 'outcome' | 'agencyId' | 'clinicianName', max: number): string => {
    const value = input[name];
    if (typeof value !== 'string' || value.trim() === '' || value.length > max || hasControlChars(value)) {
      throw new EidoError('invalid', `must be non-empty single-line text of at most ${max} characters`, name);
    }
    return value.trim();
  };
  if (typeof input.summary !== 'string') throw new EidoError('invalid', 'must be text', 'summary');
  const at = input.at instanceof Date ? input.at.toISOString() : input.at;
  const parsed = typeof at === 'string' ? parseTimestamp(at) : undefined;
  if (!parsed) throw new EidoError('invalid', 'must be an RFC 3339 date-time with a time zone, or a Date', 'at');
  return {
    incidentId: field('incidentId', 512),
    outcome: field('outcome', 128),
    agencyId: field('agencyId', 512),
    clinicianName: field('clinicianName', 200),
    summary: input.summary,
    at: parsed.iso,
    ms: parsed.ms,
  };
}

function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The note is HTML5 (STA-021); our text is escaped so it stays text on the CAD screen. */
function outcomeNoteHtml(label: string, summary: string, clinician: string): string {
  const body = escapeHtml(summary.trim()).split(/\r?\n/).join('<br>');
  return `<p>Clinician outcome: ${escapeHtml(label)}</p><p>${body}</p><p>Clinician: ${escapeHtml(clinician)}</p>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 32-bit FNV-1a, hex: a short stable tag, not a security measure. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
