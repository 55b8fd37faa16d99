/**
 * From a document already read and repaired (read.ts, refs.ts) to the normalized incident
 * the rest of Tandem reads. Every reference here resolves (refs.ts dropped those that did
 * not), every timestamp parses (components.ts left out those that did not). Locations are
 * the one part still read here, because their PIDF-LO XML is.
 */
import { EidoError } from './errors';
import { htmlToText } from './html';
import { readNiemPerson } from './niem';
import { isHostileXml, newXmlBudget, parsePidfLo, type XmlBudget } from './pidf';
import type { ProblemLog } from './problems';
import type { RefIndex } from './refs';
import type { AgencyRead, AgentRead, CallRead, CallbackRead, CautionRead, DispositionRead, DocumentRead, IncidentRead, LocationRead, NotesRead, PersonRead, Ref } from './schema';
import { compareTimestamps, parseTimestamp, type ParsedTimestamp } from './time';
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
import { numberFromUri, pickCallbackNumber } from './uri';

export interface NormalizeInput {
  doc: DocumentRead;
  index: RefIndex;
  raw: string;
  maxXmlBytes: number;
  log: ProblemLog;
}

/** Assembles the normalized incident; each part has its own reader below. */
export function normalize({ doc, index, raw, maxXmlBytes, log }: NormalizeInput): Omit<NormalizedEidoIncident, 'warnings'> {
  const incident = doc.incidentComponent;
  const primaryCall = pickPrimaryCall(doc.callComponent);
  const callbacks = new Map(doc.callbackComponent.map((c) => [c.$id, c] as const));
  const budget = newXmlBudget(); // one XML allowance for all locations of this document
  const locations = doc.locationComponent.flatMap((l, i) => normalizeLocation(l, `locationComponent[${i}]`, maxXmlBytes, budget, log) ?? []);
  return {
    incidentId: doc.$id,
    ...opt('internalIncidentId', incident?.internalIncidentId),
    ...opt('issuer', doc.issuingElementIdentification),
    lastUpdated: iso(doc.lastUpdateTimeStamp),
    updatedBy: { agencyId: updatingAgency(doc, log), ...opt('agentId', doc.updatedByAgentReference?.$ref) },
    ...classification(incident, primaryCall),
    ...opt('callStart', primaryCall?.callStartTimestamp && iso(primaryCall.callStartTimestamp)),
    ...opt('callAnswer', primaryCall?.answerDate && iso(primaryCall.answerDate)),
    calls: doc.callComponent.map(normalizeCall),
    callback: normalizeCallback(primaryCall, doc.callbackComponent, callbacks),
    persons: doc.personComponent.map((p, i) => normalizePerson(p, callbacks, `personComponent[${i}]`, log)),
    ...opt('location', pickPrimaryLocation(locations, incident?.locationReference)),
    locations,
    notes: normalizeNotes(doc.notesComponent),
    cautions: doc.cautionComponent.map(normalizeCaution),
    dispositions: (incident?.dispositionComponent ?? []).map(normalizeDisposition),
    agencies: doc.agencyComponent.map(normalizeAgency),
    agents: doc.agentComponent.map(normalizeAgent),
    externalRefs: index.externalRefs,
    raw,
  };
}

/**
 * The agency that last updated the document. EIDO requires it; when it is missing, the
 * agency that owns the incident stands in, else the only (first) agency, else the issuer.
 */
function updatingAgency(doc: DocumentRead, log: ProblemLog): string {
  const named = doc.updatedByAgencyReference?.$ref;
  if (named) return named;
  const owner = doc.agencyComponent.find((a) => a.incidentOwningAgencyIndicator) ?? doc.agencyComponent[0];
  const stand = owner?.$id ?? doc.issuingElementIdentification ?? 'unknown';
  const from = owner ? (owner.incidentOwningAgencyIndicator ? 'the owning agency' : 'the first agency') : doc.issuingElementIdentification ? 'the issuer' : 'nothing';
  log.repaired('missing_part', 'updatedByAgencyReference', 'required by EIDO 1.0 but missing', from === 'nothing' ? 'the agency is "unknown"' : `${from} ("${stand}") taken as the updating agency`);
  return stand;
}

/**
 * Type, priority and status live in the incident component (absent in the NENA sample,
 * whose incident is still at the call stage); the primary call adds its priority and state.
 */
function classification(incident: IncidentRead | undefined, call: CallRead | undefined): Pick<NormalizedEidoIncident, 'type' | 'priority' | 'status'> {
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

function normalizeCall(c: CallRead): NormalizedCall {
  return {
    id: c.$id,
    ...opt('start', c.callStartTimestamp && iso(c.callStartTimestamp)),
    ...opt('answer', c.answerDate && iso(c.answerDate)),
    ...opt('state', c.callStateRegistryText),
    ...opt('direction', c.direction),
    ...opt('primaryCallType', c.standardPrimaryCallType),
    ...opt('localCallType', c.localCallType),
    ...opt('queue', c.queueIdentifier),
  };
}

/** The call that started the incident: the earliest incoming call, else the earliest call (calls without a start last). */
function pickPrimaryCall(calls: readonly CallRead[]): CallRead | undefined {
  const start = (c: CallRead) => (c.callStartTimestamp ? ts(c.callStartTimestamp) : undefined);
  const byStart = [...calls].sort((a, b) => {
    const sa = start(a);
    const sb = start(b);
    if (!sa || !sb) return sa ? -1 : sb ? 1 : 0;
    return compareTimestamps(sa, sb);
  });
  return byStart.find((c) => c.direction === 'incoming') ?? byStart[0];
}

/**
 * The caller's callback: the component the primary call points to; without that link, every
 * callback component in the document (there is normally one).
 */
function normalizeCallback(call: CallRead | undefined, all: readonly CallbackRead[], byId: ReadonlyMap<string, CallbackRead>): NormalizedCallback {
  const linked = call?.callBackReference ? byId.get(call.callBackReference.$ref) : undefined;
  const uris = unique((linked ? [linked] : all).flatMap(callbackUris));
  return { uris, ...opt('number', pickCallbackNumber(uris)) };
}

function callbackUris(c: CallbackRead): string[] {
  const uris = [...(c.callBackInformationUri ?? [])];
  if (c.updatedCbn) uris.push(c.updatedCbn.updatedCbnIdentifierUri);
  return uris.map((u) => u.trim()).filter((u) => u !== '');
}

// ---------------------------------------------------------------------------------------
// Persons

function normalizePerson(p: PersonRead, callbacks: ReadonlyMap<string, CallbackRead>, path: string, log: ProblemLog): NormalizedPerson {
  const niem = readNiemPerson(p.ncPersonComponent, `${path}.ncPersonComponent`, (at, names) =>
    log.repaired('misnamed_key', at, 'is neither a NENA JSON nor a NIEM name', `read as "${names.niem}"`, {
      suggestion: `did you mean "${names.json}" or "${names.niem}"?`,
    }),
  );
  const cb = p.callBackReference ? callbacks.get(p.callBackReference.$ref) : undefined;
  const cbNumbers = cb ? callbackUris(cb).map(numberFromUri) : [];
  const phones = unique([...cbNumbers, ...niem.phones].filter((n): n is string => !!n));
  return {
    id: p.$id,
    roles: p.personIncidentRoleRegistryText ?? [],
    ...opt('name', niem.name),
    phones,
    ...opt('dob', niem.dob),
    ...opt('language', niem.language),
    callIds: p.callIdentifier ?? [],
  };
}

// ---------------------------------------------------------------------------------------
// Locations

/**
 * A location with whatever it carries: the address and the point of its PIDF-LO body, and
 * its by-reference URL. Broken XML loses that body (with a warning); hostile XML is fatal.
 */
function normalizeLocation(l: LocationRead, path: string, maxXmlBytes: number, budget: XmlBudget, log: ProblemLog): NormalizedLocation | undefined {
  const url = l.locationByReferenceUrl !== undefined ? checkLocationUrl(l.locationByReferenceUrl, path, log) : undefined;
  const value = l.locationByValue !== undefined ? readValue(l.locationByValue, `${path}.locationByValue`, maxXmlBytes, budget, log, url !== undefined) : undefined;
  if (!value && url === undefined) return undefined;
  const kind = value?.civic ? 'civic' : value?.point ? 'geodetic' : 'reference';
  return {
    id: l.$id,
    kind,
    ...opt('civic', value?.civic),
    ...opt('point', value?.point),
    ...opt('referenceUrl', url),
    ...opt('locationType', l.locationTypeDescriptionRegistryText),
    ...opt('description', l.locationDescriptionText),
    updatedAt: iso(l.lastUpdateTimeStamp),
  };
}

function readValue(xml: string, path: string, maxXmlBytes: number, budget: XmlBudget, log: ProblemLog, hasUrl: boolean) {
  try {
    return parsePidfLo(xml, path, maxXmlBytes, budget, (e) => log.repaired(e.code, path, problemText(e), 'the geometry was left out; the address is kept'));
  } catch (e) {
    if (!(e instanceof EidoError)) throw e;
    if (isHostileXml(e)) log.fatalError(e);
    else log.repaired(e.code, path, problemText(e), hasUrl ? 'the by-value location was left out; the reference URL is kept' : 'this location was left out');
    return undefined;
  }
}

function problemText(e: EidoError): string {
  return e.problems[0]?.message ?? e.message;
}

/**
 * By-reference locations are dereferenced with HELD over https, or are SIP presence URIs.
 * Anything else (javascript:, file:, data:) is left out before a console can render it as a
 * link.
 */
function checkLocationUrl(url: string, path: string, log: ProblemLog): string | undefined {
  const u = url.trim();
  if (/^(https?|sips?|pres):[^\s]+$/i.test(u) && u.length <= 2048) return u;
  log.repaired('invalid', `${path}.locationByReferenceUrl`, 'must be an https:, http:, sip:, sips: or pres: URI', 'left out (never shown as a link)');
  return undefined;
}

/** "Incident" first, then where the caller is, and the network's routing location last. */
const LOCATION_TYPE_RANK = ['incident', 'caller', 'device', 'person', 'routinglocation'];

/**
 * The location a console shows first: the one the incident component links to; else a
 * location with an actual address or point (a by-reference URL still has to be fetched)
 * ranked by type; else the first one.
 */
export function pickPrimaryLocation(locations: readonly NormalizedLocation[], incidentRefs: readonly Ref[] | undefined): NormalizedLocation | undefined {
  for (const r of incidentRefs ?? []) {
    const hit = locations.find((l) => l.id === r.$ref);
    if (hit) return hit;
  }
  const rank = (l: NormalizedLocation): number => {
    const i = LOCATION_TYPE_RANK.indexOf((l.locationType ?? '').toLowerCase().replace(/\s+/g, ''));
    return (l.kind === 'reference' ? 100 : 0) + (i === -1 ? LOCATION_TYPE_RANK.length - 1 : i);
  };
  return [...locations].sort((a, b) => rank(a) - rank(b))[0];
}

// ---------------------------------------------------------------------------------------
// Notes, cautions, dispositions, agencies, agents

function normalizeNotes(notes: readonly NotesRead[]): NormalizedNote[] {
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

function normalizeCaution(c: CautionRead): NormalizedCaution {
  return {
    id: c.$id,
    text: c.cautionTypeInternalText ?? c.cautionTypeCommonRegistryText ?? '',
    ...opt('severity', c.cautionSeverity?.toLowerCase() as EidoScale | undefined),
    ...opt('registryText', c.cautionTypeCommonRegistryText),
    ...opt('source', c.cautionSource),
  };
}

function normalizeDisposition(d: DispositionRead): NormalizedDisposition {
  return {
    id: d.$id,
    code: d.dispositionCommonRegistryCode,
    ...opt('primary', d.dispositionPrimaryIndicator),
    ...opt('category', d.dispositionCategoryText),
    ...opt('description', d.dispositionDescriptionText),
    at: iso(d.lastUpdateTimeStamp),
  };
}

function normalizeAgency(a: AgencyRead): NormalizedAgency {
  return {
    id: a.$id,
    roles: a.agencyRoleDescriptionRegistryText ?? [],
    types: a.agencyType ?? [],
    ...opt('owning', a.incidentOwningAgencyIndicator),
  };
}

function normalizeAgent(a: AgentRead): NormalizedAgent {
  return {
    id: a.$id,
    roles: a.agentRoleRegistryText ?? [],
    ...opt('agencyId', a.agencyReference?.$ref),
    ...opt('position', a.agentWorkstationPositionIdentification),
  };
}

// ---------------------------------------------------------------------------------------
// Small helpers

/** Timestamps were checked when read; a failure here is a bug, reported as such. */
function ts(text: string): ParsedTimestamp {
  const t = parseTimestamp(text);
  if (!t) throw new EidoError('invalid', 'timestamp is not an RFC 3339 date-time');
  return t;
}

function iso(text: string): string {
  return ts(text).iso;
}

/** `{ key: value }` when value is present, `{}` otherwise: optional fields stay absent. */
export function opt<K extends string, V>(key: K, value: V | undefined | null | ''): { [P in K]?: V } {
  return value === undefined || value === null || value === '' ? {} : ({ [key]: value } as { [P in K]?: V });
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
