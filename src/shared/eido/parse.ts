/**
 * parseEido: one EIDO 1.0 document in, one normalized incident out, or a typed EidoError.
 *
 * Order of checks (each cheap one guards the next, costlier one):
 *   1. size and JSON syntax, nesting depth          → oversize, not_json, too_deep
 *   2. eidoVersion is "1.0"                          → missing_part, wrong_version
 *   3. the schema parts Tandem reads                 → missing_part, invalid
 *   4. every $id unique, every $ref resolvable       → invalid, broken_ref
 *   5. normalization, including PIDF-LO XML          → bad_xml, too_deep, oversize, invalid
 * Nothing is returned until every check has passed, so a caller can never store half of a
 * bad document. Only EidoError escapes: an unexpected failure inside normalization is
 * reported as `invalid` rather than leaking an engine error to intake.
 */
import { EidoError } from './errors';
import { DEFAULT_MAX_BYTES, loadDocument, type JsonObject } from './json';
import { readNiemPerson } from './niem';
import { DEFAULT_MAX_XML_BYTES, newXmlBudget, parsePidfLo, type XmlBudget } from './pidf';
import { indexAndCheckRefs, type RefIndex } from './refs';
import {
  DocumentSchema,
  IncidentSchema,
  validate,
  type EidoDocument,
  type EidoIncidentComponent,
  type EidoReference,
} from './schema';
import { compareTimestamps, parseTimestamp } from './time';
import type {
  EidoScale,
  NormalizedAgency,
  NormalizedAgent,
  NormalizedCall,
  NormalizedCallback,
  NormalizedCaution,
  NormalizedDisposition,
  NormalizedEidoIncident,
  NormalizedLocation,
  NormalizedNote,
  NormalizedPerson,
} from './types';
import { pickCallbackNumber, numberFromUri } from './uri';

export const EIDO_VERSION = '1.0';

export interface ParseEidoOptions {
  /** Largest accepted document, in UTF-8 bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Largest accepted PIDF-LO body inside `locationByValue`. Default 64 KiB. */
  maxXmlBytes?: number;
}

type Doc = EidoDocument;
type Call = NonNullable<Doc['callComponent']>[number];
type Callback = NonNullable<Doc['callbackComponent']>[number];
type Location = NonNullable<Doc['locationComponent']>[number];
type Person = NonNullable<Doc['personComponent']>[number];

export function parseEido(input: string | unknown, opts: ParseEidoOptions = {}): NormalizedEidoIncident {
  // Bad options are a programming error, not a bad document: a RangeError, outside the net.
  const limits = {
    maxBytes: limit(opts.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes'),
    maxXmlBytes: limit(opts.maxXmlBytes, DEFAULT_MAX_XML_BYTES, 'maxXmlBytes'),
  };
  try {
    return parseChecked(input, limits);
  } catch (e) {
    if (e instanceof EidoError) throw e;
    // A bug of ours must not look like a crash to intake; the document goes to review.
    throw new EidoError('invalid', `document could not be normalized (${e instanceof Error ? e.name : 'error'})`);
  }
}

function parseChecked(input: unknown, limits: Required<ParseEidoOptions>): NormalizedEidoIncident {
  const { doc: json, raw } = loadDocument(input, limits.maxBytes);
  checkVersion(json);
  const doc = validate(DocumentSchema, json);
  const incident = readIncidentComponent(json);
  const index = indexAndCheckRefs(json);
  return normalize(doc, incident, index, raw, limits.maxXmlBytes);
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

/** Checked before the schema so that a 2.0 document is told about its version first. */
function checkVersion(json: JsonObject): void {
  if (!Object.prototype.hasOwnProperty.call(json, 'eidoVersion')) {
    throw new EidoError('missing_part', 'required by EIDO 1.0 but missing', 'eidoVersion');
  }
  const v = json['eidoVersion'];
  if (v !== EIDO_VERSION) {
    const shown = typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : `a ${v === null ? 'null' : typeof v}`;
    throw new EidoError('wrong_version', `must be the string "1.0", got ${shown}`, 'eidoVersion');
  }
}

/**
 * The OpenAPI file makes `incidentComponent` a single object; some feeds send a list. A
 * list is accepted, and its most recently updated entry is the incident's current state.
 */
function readIncidentComponent(json: JsonObject): EidoIncidentComponent | undefined {
  const v = json['incidentComponent'];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return validate(IncidentSchema, v, 'incidentComponent');
  const items = v.map((item, i) => validate(IncidentSchema, item, `incidentComponent[${i}]`));
  return items.reduce<EidoIncidentComponent | undefined>(
    (best, cur) => (!best || compareTimestamps(ts(cur.lastUpdateTimeStamp), ts(best.lastUpdateTimeStamp)) > 0 ? cur : best),
    undefined,
  );
}

/** Assembles the normalized incident; each part has its own reader below. */
function normalize(
  doc: Doc,
  incident: EidoIncidentComponent | undefined,
  index: RefIndex,
  raw: string,
  maxXmlBytes: number,
): NormalizedEidoIncident {
  const primaryCall = pickPrimaryCall(doc.callComponent ?? []);
  const callbacks = new Map((doc.callbackComponent ?? []).map((c) => [c.$id, c] as const));
  const budget = newXmlBudget(); // one XML allowance for all locations of this document
  const locations = (doc.locationComponent ?? []).map((l, i) =>
    normalizeLocation(l, `locationComponent[${i}]`, maxXmlBytes, budget),
  );
  return {
    incidentId: doc.$id,
    ...opt('internalIncidentId', incident?.internalIncidentId),
    issuer: doc.issuingElementIdentification,
    lastUpdated: iso(doc.lastUpdateTimeStamp),
    updatedBy: { agencyId: doc.updatedByAgencyReference.$ref, ...opt('agentId', doc.updatedByAgentReference?.$ref) },
    ...classification(incident, primaryCall),
    ...opt('callStart', primaryCall && iso(primaryCall.callStartTimestamp)),
    ...opt('callAnswer', primaryCall?.answerDate && iso(primaryCall.answerDate)),
    calls: (doc.callComponent ?? []).map(normalizeCall),
    callback: normalizeCallback(primaryCall, doc.callbackComponent ?? [], callbacks),
    persons: (doc.personComponent ?? []).map((p) => normalizePerson(p, callbacks)),
    ...opt('location', pickPrimaryLocation(locations, incident?.locationReference)),
    locations,
    notes: normalizeNotes(doc.notesComponent ?? []),
    cautions: (doc.cautionComponent ?? []).map(normalizeCaution),
    dispositions: (incident?.dispositionComponent ?? []).map(normalizeDisposition),
    agencies: doc.agencyComponent.map(normalizeAgency),
    agents: (doc.agentComponent ?? []).map(normalizeAgent),
    externalRefs: index.externalRefs,
    raw,
  };
}

/**
 * Type, priority and status live in the incident component (absent in the NENA sample,
 * whose incident is still at the call stage); the primary call adds its priority and state.
 */
function classification(
  incident: EidoIncidentComponent | undefined,
  call: Call | undefined,
): Pick<NormalizedEidoIncident, 'type' | 'priority' | 'status'> {
  return {
    type: {
      ...opt('registryText', incident?.incidentTypeCommonRegistryText),
      ...opt('internalCode', incident?.incidentTypeInternalCode),
      ...opt('internalText', incident?.incidentTypeInternalText),
    },
    priority: {
      ...opt('number', incident?.incidentCommonPriorityNumber),
      ...opt('internalText', incident?.incidentPriorityInternalText),
      ...opt('call', call?.priorityIdentifier?.toLowerCase() as EidoScale | undefined),
    },
    status: {
      registryText: incident?.incidentStatusCommonRegistryText ?? [],
      internalText: incident?.incidentStatusInternalText ?? [],
      ...opt('callState', call?.callStateRegistryText),
    },
  };
}

// ---------------------------------------------------------------------------------------
// Calls and callback

function normalizeCall(c: Call): NormalizedCall {
  return {
    id: c.$id,
    start: iso(c.callStartTimestamp),
    ...opt('answer', c.answerDate && iso(c.answerDate)),
    state: c.callStateRegistryText,
    direction: c.direction,
    primaryCallType: c.standardPrimaryCallType,
    ...opt('localCallType', c.localCallType),
    ...opt('queue', c.queueIdentifier),
  };
}

/** The call that started the incident: the earliest incoming call, else the earliest call. */
function pickPrimaryCall(calls: readonly Call[]): Call | undefined {
  const byStart = [...calls].sort((a, b) => compareTimestamps(ts(a.callStartTimestamp), ts(b.callStartTimestamp)));
  return byStart.find((c) => c.direction === 'incoming') ?? byStart[0];
}

/**
 * The caller's callback: the component the primary call points to; without that link, every
 * callback component in the document (there is normally one).
 */
function normalizeCallback(
  call: Call | undefined,
  all: readonly Callback[],
  byId: ReadonlyMap<string, Callback>,
): NormalizedCallback {
  const linked = call?.callBackReference ? byId.get(call.callBackReference.$ref) : undefined;
  const uris = unique((linked ? [linked] : all).flatMap(callbackUris));
  return { uris, ...opt('number', pickCallbackNumber(uris)) };
}

function callbackUris(c: Callback): string[] {
  const uris = [...(c.callBackInformationUri ?? [])];
  if (c.updatedCbn) uris.push(c.updatedCbn.updatedCbnIdentifierUri);
  return uris.map((u) => u.trim()).filter((u) => u !== '');
}

// ---------------------------------------------------------------------------------------
// Persons

function normalizePerson(p: Person, callbacks: ReadonlyMap<string, Callback>): NormalizedPerson {
  const niem = readNiemPerson(p.ncPersonComponent);
  const cb = p.callBackReference ? callbacks.get(p.callBackReference.$ref) : undefined;
  const cbNumbers = cb ? callbackUris(cb).map(numberFromUri) : [];
  const phones = unique([...cbNumbers, ...niem.phones].filter((n): n is string => !!n));
  return {
    id: p.$id,
    roles: p.personIncidentRoleRegistryText,
    ...opt('name', niem.name),
    phones,
    ...opt('dob', niem.dob),
    ...opt('language', niem.language),
    callIds: p.callIdentifier ?? [],
  };
}

// ---------------------------------------------------------------------------------------
// Locations

function normalizeLocation(l: Location, path: string, maxXmlBytes: number, budget: XmlBudget): NormalizedLocation {
  const common = {
    id: l.$id,
    locationType: l.locationTypeDescriptionRegistryText,
    ...opt('description', l.locationDescriptionText),
    updatedAt: iso(l.lastUpdateTimeStamp),
  };
  if (l.locationByValue !== undefined && l.locationByValue.trim() !== '') {
    const shape = parsePidfLo(l.locationByValue, `${path}.locationByValue`, maxXmlBytes, budget);
    const ref = l.locationByReferenceUrl ? checkLocationUrl(l.locationByReferenceUrl, path) : undefined;
    return { ...shape, ...common, ...opt('referenceUrl', ref) };
  }
  if (l.locationByReferenceUrl !== undefined) {
    return { kind: 'reference', url: checkLocationUrl(l.locationByReferenceUrl, path), ...common };
  }
  // STA-021: a location component conveys its location by value or by reference.
  throw new EidoError('missing_part', 'needs locationByValue or locationByReferenceUrl', path);
}

/**
 * By-reference locations are dereferenced with HELD over https, or are SIP presence URIs.
 * Anything else (javascript:, file:, data:) is refused before a console can render it as
 * a link.
 */
function checkLocationUrl(url: string, path: string): string {
  const u = url.trim();
  if (!/^(https?|sips?|pres):[^\s]+$/i.test(u) || u.length > 2048) {
    throw new EidoError('invalid', 'must be an https:, http:, sip:, sips: or pres: URI', `${path}.locationByReferenceUrl`);
  }
  return u;
}

/** "Incident" first, then where the caller is, and the network's routing location last. */
const LOCATION_TYPE_RANK = ['incident', 'caller', 'device', 'person', 'routinglocation'];

/**
 * The location a console shows first: the one the incident component links to; else a
 * location with an actual address or point (a by-reference URL still has to be fetched)
 * ranked by type; else the first one.
 */
export function pickPrimaryLocation(
  locations: readonly NormalizedLocation[],
  incidentRefs: readonly EidoReference[] | undefined,
): NormalizedLocation | undefined {
  for (const r of incidentRefs ?? []) {
    const hit = locations.find((l) => l.id === r.$ref);
    if (hit) return hit;
  }
  const rank = (l: NormalizedLocation): number => {
    const i = LOCATION_TYPE_RANK.indexOf(l.locationType.toLowerCase().replace(/\s+/g, ''));
    return (l.kind === 'reference' ? 100 : 0) + (i === -1 ? LOCATION_TYPE_RANK.length - 1 : i);
  };
  return [...locations].sort((a, b) => rank(a) - rank(b))[0];
}

// ---------------------------------------------------------------------------------------
// Notes, cautions, dispositions, agencies, agents

function normalizeNotes(notes: NonNullable<Doc['notesComponent']>): NormalizedNote[] {
  return notes
    .map((n) => ({
      note: {
        id: n.$id,
        text: htmlToText(n.notesActionComments),
        at: iso(n.lastUpdateTimeStamp),
        ...opt('author', n.agentReference?.$ref ?? n.updatedByAgentReference?.$ref),
      } satisfies NormalizedNote,
      sortKey: ts(n.lastUpdateTimeStamp),
    }))
    .sort((a, b) => compareTimestamps(a.sortKey, b.sortKey))
    .map((x) => x.note);
}

function normalizeCaution(c: NonNullable<Doc['cautionComponent']>[number]): NormalizedCaution {
  return {
    id: c.$id,
    text: c.cautionTypeInternalText,
    severity: c.cautionSeverity.toLowerCase() as EidoScale,
    registryText: c.cautionTypeCommonRegistryText,
    ...opt('source', c.cautionSource),
  };
}

function normalizeDisposition(d: NonNullable<EidoIncidentComponent['dispositionComponent']>[number]): NormalizedDisposition {
  return {
    id: d.$id,
    code: d.dispositionCommonRegistryCode,
    ...opt('primary', d.dispositionPrimaryIndicator),
    ...opt('category', d.dispositionCategoryText),
    ...opt('description', d.dispositionDescriptionText),
    at: iso(d.lastUpdateTimeStamp),
  };
}

function normalizeAgency(a: Doc['agencyComponent'][number]): NormalizedAgency {
  return {
    id: a.$id,
    roles: a.agencyRoleDescriptionRegistryText,
    types: a.agencyType,
    ...opt('owning', a.incidentOwningAgencyIndicator),
  };
}

function normalizeAgent(a: NonNullable<Doc['agentComponent']>[number]): NormalizedAgent {
  return {
    id: a.$id,
    roles: a.agentRoleRegistryText,
    agencyId: a.agencyReference.$ref,
    ...opt('position', a.agentWorkstationPositionIdentification),
  };
}

/**
 * Notes are HTML5. The console shows text, never sender HTML (that would be script
 * injection into the dispatcher's screen), so tags go and character references are decoded.
 * Block-level tags become line breaks so paragraphs stay apart. A hand-written scanner
 * rather than regular expressions: patterns like /<[^>]*>/ backtrack quadratically on
 * "<<<<…", and a note can be most of a megabyte.
 */
export function htmlToText(html: string): string {
  if (!html.includes('<') && !html.includes('&')) return html.trim();
  let out = '';
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf('<', i);
    if (open === -1) break;
    const close = html.indexOf('>', open + 1);
    if (close === -1) break; // an unclosed "<" is text, not a tag
    out += html.slice(i, open);
    if (isBlockTag(html, open + 1, close)) out += '\n';
    i = close + 1;
  }
  out += html.slice(i);
  const lines = decodeHtmlEntities(out).split('\n').map((l) => l.trimEnd());
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const BLOCK_TAG = /^\s*(br|\/p|\/div|\/li|\/h[1-6])\b/i;

/** Cheap first-character test before the regex: most tags are not line breaks. */
function isBlockTag(html: string, start: number, end: number): boolean {
  const c = html[start];
  if (c !== 'b' && c !== 'B' && c !== '/' && c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return false;
  return BLOCK_TAG.test(html.slice(start, Math.min(end, start + 12)));
}

const HTML_NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function decodeHtmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,6});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return HTML_NAMED[ref.toLowerCase()] ?? whole;
  });
}

// ---------------------------------------------------------------------------------------
// Small helpers

/** Timestamps were validated by the schema; a failure here is a bug, reported as such. */
function ts(text: string) {
  const t = parseTimestamp(text);
  if (!t) throw new EidoError('invalid', 'timestamp is not an RFC 3339 date-time');
  return t;
}

function iso(text: string): string {
  return ts(text).iso;
}

/** `{ key: value }` when value is present, `{}` otherwise: optional fields stay absent. */
function opt<K extends string, V>(key: K, value: V | undefined | null | ''): { [P in K]?: V } {
  return value === undefined || value === null || value === ''
    ? {}
    : ({ [key]: value } as { [P in K]?: V });
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
