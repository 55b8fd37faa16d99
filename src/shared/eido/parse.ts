/**
 * Reading EIDO 1.0 documents from CAD: `readEido` for everything a CAD can send (one
 * document, or a NENA-STA-024 conveyance event holding several), `parseEido` for one.
 *
 * Reading is tolerant and thorough. Every problem is collected (errors.ts, problems.ts):
 *   - fatal: nothing safe to show a clinician. The input is not JSON, too big or too deep;
 *     embedded XML is hostile (DOCTYPE, entities, prototype names, size, depth); the version
 *     is not 1.0; the document has no `$id` (nothing identifies the incident) or no
 *     `lastUpdateTimeStamp` (nothing orders it against the incident's updates); or it has no
 *     incident, call, location, person or note at all. The document is refused and the
 *     refusal lists every problem found, not only the first.
 *   - repairable: a misnamed key, a missing non-essential field, a single value where a list
 *     belongs, a broken or ambiguous reference, a shared `$id`, a broken PIDF-LO body... The
 *     incident is produced and `warnings` says what was done.
 * In strict mode (a site's policy), any repairable problem refuses the document too.
 *
 * Nothing is returned for a refused document, so a caller can never store half of one. Only
 * EidoError escapes: a failure of ours while reading is reported as `invalid`.
 */
import { readComponent, readComponentList, readField, has, isObject, type ReadContext } from './components';
import { EidoError, type EidoProblem } from './errors';
import { DEFAULT_MAX_BYTES, loadDocument, type JsonObject } from './json';
import { repairKeys } from './keys';
import { normalize } from './normalize';
import { DEFAULT_MAX_XML_BYTES } from './pidf';
import { ProblemLog } from './problems';
import { indexAndCheckRefs } from './refs';
import { COMPONENT_LISTS, DOCUMENT_VOCAB, EVENT_VOCAB, INCIDENT, type DocumentRead, type IncidentRead, type Ref } from './schema';
import { compareTimestamps, parseTimestamp } from './time';
import type { NormalizedEidoIncident } from './types';

export { pickPrimaryLocation } from './normalize';
export { htmlToText } from './html';

export const EIDO_VERSION = '1.0';

export interface ParseEidoOptions {
  /** Largest accepted input, in UTF-8 bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Largest accepted PIDF-LO body inside `locationByValue`. Default 64 KiB. */
  maxXmlBytes?: number;
  /** Refuse a document with any problem, even one Tandem could repair. Default false. */
  strict?: boolean;
}

/** What became of one EIDO document. `path` is where it sat in the input ('' for the input itself). */
export type EidoDocumentOutcome =
  | { ok: true; path: string; incident: NormalizedEidoIncident }
  | { ok: false; path: string; error: EidoError; raw: string };

export interface EidoReadResult {
  /** 'document': the input was one EIDO; 'conveyance': a conveyance event (NENA-STA-024) with EIDOs in `event.notification`. */
  envelope: 'document' | 'conveyance';
  /** The conveyance event's ids, to acknowledge it (`eventResponse`). */
  transactionId?: string;
  subscriptionId?: string;
  /** One outcome per EIDO document, in input order. */
  documents: EidoDocumentOutcome[];
}

interface Limits {
  maxBytes: number;
  maxXmlBytes: number;
  strict: boolean;
}

/**
 * Reads every EIDO document of the input. Throws an EidoError only when the input as a whole
 * cannot be read (not JSON, too big, too deep, an event without documents); a document that
 * is refused is an outcome with `ok: false`, and the others still come through.
 */
export function readEido(input: string | unknown, opts: ParseEidoOptions = {}): EidoReadResult {
  const limits = limitsOf(opts);
  const { doc: json, raw } = loadDocument(input, limits.maxBytes);
  const envelope = new ProblemLog();
  const event = conveyanceEvent(json, envelope);
  if (!event) return { envelope: 'document', documents: [readOne(json, raw, '', limits, [])] };
  const inherited = envelope.warnings;
  return {
    envelope: 'conveyance',
    ...textField('transactionId', event.event['transactionId']),
    ...textField('subscriptionId', event.event['subscriptionId']),
    documents: event.items.map((item, i) => {
      const at = event.single ? 'event.notification' : `event.notification[${i}]`;
      const itemRaw = JSON.stringify(item) ?? '';
      if (!isObject(item)) {
        const error = new EidoError('invalid', `is not an EIDO document (expected an object)`, at);
        return { ok: false, path: at, error, raw: itemRaw };
      }
      return readOne(item, itemRaw, at, limits, inherited);
    }),
  };
}

/**
 * One document in, one normalized incident out, or an EidoError naming every problem. A
 * conveyance event is accepted when it holds exactly one document; for several, use readEido.
 */
export function parseEido(input: string | unknown, opts: ParseEidoOptions = {}): NormalizedEidoIncident {
  let result: EidoReadResult;
  try {
    result = readEido(input, opts);
  } catch (e) {
    if (e instanceof EidoError || e instanceof RangeError) throw e;
    throw new EidoError('invalid', `document could not be read (${e instanceof Error ? e.name : 'error'})`);
  }
  const [only] = result.documents;
  if (!only || result.documents.length > 1) {
    throw new EidoError('invalid', `holds ${result.documents.length} EIDO documents in a conveyance event; read it with readEido`, 'event.notification');
  }
  if (!only.ok) throw only.error;
  return only.incident;
}

function limitsOf(opts: ParseEidoOptions): Limits {
  // Bad options are a programming error, not a bad document: a RangeError, outside the net.
  return {
    maxBytes: limit(opts.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes'),
    maxXmlBytes: limit(opts.maxXmlBytes, DEFAULT_MAX_XML_BYTES, 'maxXmlBytes'),
    strict: opts.strict === true,
  };
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

/** Reads, checks and normalizes one document; every problem goes to its log. */
function readOne(json: JsonObject, raw: string, at: string, limits: Limits, inherited: readonly EidoProblem[]): EidoDocumentOutcome {
  const log = new ProblemLog();
  for (const p of inherited) log.repaired(p.code, p.path, p.message, p.repair ?? '', p);
  try {
    const doc = readDocument(json, log);
    if (doc) {
      const index = indexAndCheckRefs(doc as unknown as JsonObject, log);
      const incident = normalize({ doc, index, raw, maxXmlBytes: limits.maxXmlBytes, log });
      if (!log.hasFatal && !(limits.strict && log.warnings.length > 0)) {
        return { ok: true, path: at, incident: { ...incident, warnings: log.warnings } };
      }
    }
  } catch (e) {
    // A bug of ours must not look like a crash to intake; the document goes to review.
    if (e instanceof EidoError) log.fatalError(e);
    else log.fatal('invalid', '', `document could not be normalized (${e instanceof Error ? e.name : 'error'})`);
  }
  return { ok: false, path: at, error: log.toError(limits.strict), raw };
}

/**
 * The document's own fields and its components, repaired. Undefined only when the version
 * says it is not EIDO 1.0: then nothing else is read, since 1.0's rules would not apply.
 * Otherwise reading goes on past fatal problems, so the refusal can name them all.
 */
function readDocument(json: JsonObject, log: ProblemLog): DocumentRead | undefined {
  const obj = repairKeys(json, DOCUMENT_VOCAB, '', log);
  if (!versionIsReadable(obj, log)) return undefined;
  const id = readEssential(obj, '$id', 'text', 'it identifies the incident', log);
  const stamp = readEssential(obj, 'lastUpdateTimeStamp', 'timestamp', "it orders this document against the incident's other updates", log);
  // Placeholders let reading go on (and find the other problems) when either was fatal.
  const ctx: ReadContext = { log, fallbackStamp: stamp ?? '1970-01-01T00:00:00Z' };
  const doc: JsonObject = { ...obj, lastUpdateTimeStamp: ctx.fallbackStamp };
  if (id === undefined) delete doc['$id'];
  else doc['$id'] = id;
  for (const key of ['updatedByAgencyReference', 'updatedByAgentReference'] as const) {
    const ref = has(obj, key) ? readField(obj[key], 'ref', key, log) : undefined;
    if (ref === undefined) delete doc[key];
    else doc[key] = ref as Ref;
  }
  const issuer = has(obj, 'issuingElementIdentification') ? readField(obj['issuingElementIdentification'], 'text', 'issuingElementIdentification', log) : undefined;
  if (issuer === undefined) {
    delete doc['issuingElementIdentification'];
    log.repaired('missing_part', 'issuingElementIdentification', 'required by EIDO 1.0 but missing', 'left empty');
  } else doc['issuingElementIdentification'] = issuer;
  const incident = readIncident(obj['incidentComponent'], ctx);
  if (incident) doc['incidentComponent'] = incident;
  else delete doc['incidentComponent'];
  for (const [key, spec] of Object.entries(COMPONENT_LISTS)) doc[key] = readComponentList(obj[key], spec, key, ctx);
  const read = doc as unknown as DocumentRead;
  if (read.agencyComponent.length === 0) {
    log.repaired('missing_part', 'agencyComponent', 'EIDO 1.0 requires at least one agency', 'left empty: agencies are shown by name only');
  }
  if (!incident && [read.callComponent, read.locationComponent, read.personComponent, read.notesComponent].every((l) => l.length === 0)) {
    log.fatal('missing_part', '', 'no incident: the document has no usable incident, call, location, person or note component');
  }
  return read;
}

/** A field without which the document cannot be used; its absence is fatal. */
function readEssential(obj: JsonObject, key: string, kind: 'text' | 'timestamp', why: string, log: ProblemLog): string | undefined {
  const value = has(obj, key) ? readField(obj[key], kind, key, log, true) : undefined;
  if (typeof value === 'string') return value;
  const v = obj[key];
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) log.fatal('missing_part', key, `required by EIDO 1.0 but missing (${why})`);
  return undefined;
}

/**
 * EIDO 1.0, said plainly or nearly ("1", 1, " 1.0", "1.0.0"), or not said at all: read as
 * 1.0, with a warning for anything but "1.0". Any other version is fatal.
 */
function versionIsReadable(obj: JsonObject, log: ProblemLog): boolean {
  const v = obj['eidoVersion'];
  if (v === EIDO_VERSION) return true;
  if (v === undefined || v === null || v === '') {
    log.repaired('missing_part', 'eidoVersion', 'required by EIDO 1.0 but missing', 'read as EIDO 1.0');
    return true;
  }
  const text = typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined;
  const found = typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : typeof v === 'number' ? String(v) : `a ${Array.isArray(v) ? 'list' : typeof v}`;
  if (text !== undefined && /^v?1(\.0){0,2}$/i.test(text)) {
    log.repaired('wrong_version', 'eidoVersion', 'is not written "1.0"', 'read as EIDO 1.0', { expected: '"1.0"', found });
    return true;
  }
  log.fatal('wrong_version', 'eidoVersion', 'is not a version Tandem reads (EIDO 1.0)', { expected: '"1.0"', found });
  return false;
}

/**
 * The OpenAPI file makes `incidentComponent` a single object; some feeds send a list. A
 * list is accepted, and its most recently updated entry is the incident's current state
 * (the older entries are earlier states of it and are not read).
 */
function readIncident(value: unknown, ctx: ReadContext): IncidentRead | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return readComponent<IncidentRead>(value, INCIDENT, 'incidentComponent', ctx);
  const items = readComponentList<IncidentRead>(value, INCIDENT, 'incidentComponent', ctx);
  return items.reduce<IncidentRead | undefined>((best, cur) => (!best || later(cur.lastUpdateTimeStamp, best.lastUpdateTimeStamp) ? cur : best), undefined);
}

function later(a: string, b: string): boolean {
  const ta = parseTimestamp(a);
  const tb = parseTimestamp(b);
  return !!ta && !!tb && compareTimestamps(ta, tb) > 0;
}

interface Conveyance {
  event: JsonObject;
  items: unknown[];
  /** `notification` held one document instead of a list. */
  single: boolean;
}

/**
 * The conveyance event (NENA-STA-024 `eventObject`: `{ event: { subscriptionId,
 * transactionId, notification: [EIDO, ...] } }`), when the input is one; undefined for a
 * plain EIDO document (which has its own `$id` and version).
 */
function conveyanceEvent(json: JsonObject, log: ProblemLog): Conveyance | undefined {
  const keys = Object.keys(json);
  const eventKey = keys.find((k) => k.toLowerCase() === 'event');
  if (eventKey === undefined || keys.some((k) => ['$id', 'eidoversion'].includes(k.toLowerCase()))) return undefined;
  const raw = json[eventKey];
  if (!isObject(raw)) return undefined;
  if (eventKey !== 'event') log.repaired('misnamed_key', eventKey, 'is not the conveyance name', 'read as "event"', { suggestion: 'did you mean "event"?' });
  const event = repairKeys(raw, EVENT_VOCAB, 'event', log);
  const notification = event['notification'];
  if (Array.isArray(notification) && notification.length > 0) return { event, items: notification, single: false };
  if (isObject(notification)) {
    log.repaired('not_a_list', 'event.notification', 'is one document where the conveyance wants a list', 'read as a list of one');
    return { event, items: [notification], single: true };
  }
  throw new EidoError('missing_part', 'a conveyance event without EIDO documents', 'event.notification');
}

function textField<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return typeof value === 'string' && value !== '' ? ({ [key]: value.slice(0, 200) } as { [P in K]?: string }) : {};
}
