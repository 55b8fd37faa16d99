/**
 * Property: any valid EIDO document, with keys re-cased or fields EIDO requires but the
 * incident does not need dropped, is still read: it comes through with warnings, and the
 * incident row Tandem makes of it is the same as for the clean document.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eidoIncidentFields, parseEido, type NormalizedEidoIncident } from '../../src/shared/eido';
import type { Json } from './eido.fixtures';

const AGENCY = 'psap.property.example';
const ref = (id: string) => ({ $ref: id });
const prologue = (id: string, at: string) => ({ $id: id, lastUpdateTimeStamp: at, updatedByAgencyReference: ref(AGENCY) });

const word = fc.stringMatching(/^[A-Z][a-z]{1,9}$/);
const stamp = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString());
const sentence = fc.array(word, { minLength: 1, maxLength: 8 }).map((ws) => ws.join(' '));

const civicXml = (hno: number, road: string, city: string) =>
  '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" entity="pres:p@example.com">' +
  `<tuple id="t"><status><gp:geopriv><gp:location-info><civicAddress><A1>MA</A1><A3>${city}</A3><RD>${road}</RD><HNO>${hno}</HNO></civicAddress>` +
  '</gp:location-info></gp:geopriv></status></tuple></presence>';
const pointXml = (lat: number, lon: number) =>
  '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" entity="pres:p@example.com">' +
  `<tuple id="t"><status><gp:geopriv><gp:location-info><gml:Point><gml:pos>${lat} ${lon}</gml:pos></gml:Point>` +
  '</gp:location-info></gp:geopriv></status></tuple></presence>';

const incidentDoc = fc
  .record({
    n: fc.integer({ min: 1, max: 1e9 }),
    at: stamp,
    incident: fc.option(fc.record({ type: fc.constantFrom('Behavioral Health', 'Medical', 'Welfare Check'), code: fc.option(fc.constantFrom('25-A-1', '25-B-3', '9-E-1'), { nil: undefined }), priority: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) }), { nil: undefined }),
    callState: fc.constantFrom('callAnswered', 'callEnded', 'callOnHold'),
    phone: fc.integer({ min: 2_000_000_000, max: 9_999_999_999 }),
    caller: fc.record({ given: word, sur: word }),
    place: fc.oneof(
      fc.record({ hno: fc.integer({ min: 1, max: 999 }), road: word, city: word }).map((c) => civicXml(c.hno, c.road, c.city)),
      fc.record({ lat: fc.integer({ min: -80, max: 80 }), lon: fc.integer({ min: -170, max: 170 }) }).map((p) => pointXml(p.lat + 0.25, p.lon + 0.5)),
    ),
    notes: fc.array(fc.record({ text: sentence, at: stamp }), { maxLength: 3 }),
    cautions: fc.array(fc.record({ text: sentence, severity: fc.constantFrom('low', 'high', 'normal') }), { maxLength: 2 }),
  })
  .map((g): Json => {
    const id = `urn:emergency:uid:incidentid:${g.n}:cad.property.example`;
    const doc: Json = {
      ...prologue(id, g.at),
      updatedByAgentReference: ref('agent-1'),
      eidoVersion: '1.0',
      issuingElementIdentification: 'cad.property.example',
      callComponent: [
        {
          ...prologue('call-1', g.at),
          callStateRegistryText: g.callState,
          standardPrimaryCallType: 'emergency',
          direction: 'incoming',
          callStartTimestamp: g.at,
          callBackReference: ref('cb-1'),
          personReference: [ref('person-1')],
          locationReference: [ref('loc-1')],
        },
      ],
      callbackComponent: [{ ...prologue('cb-1', g.at), callBackInformationUri: [`tel:+1${g.phone}`] }],
      locationComponent: [{ ...prologue('loc-1', g.at), locationTypeDescriptionRegistryText: 'Incident', locationByValue: g.place }],
      personComponent: [
        {
          ...prologue('person-1', g.at),
          personIncidentRoleRegistryText: ['Caller'],
          callBackReference: ref('cb-1'),
          ncPersonComponent: { name: [{ givenName: [{ value: g.caller.given }], surName: [{ value: g.caller.sur }] }] },
        },
      ],
      notesComponent: g.notes.map((n, i) => ({ ...prologue(`note-${i}`, n.at), notesActionComments: n.text, agentReference: ref('agent-1') })),
      cautionComponent: g.cautions.map((c, i) => ({ ...prologue(`caution-${i}`, g.at), cautionTypeInternalText: c.text, cautionTypeCommonRegistryText: 'Hazard', cautionSeverity: c.severity })),
      agencyComponent: [{ ...prologue(AGENCY, g.at), agencyRoleDescriptionRegistryText: ['CallReceiving'], agencyType: ['psap'] }],
      agentComponent: [{ ...prologue('agent-1', g.at), agentRoleRegistryText: ['Call Taking'], agencyReference: ref(AGENCY) }],
    };
    if (g.incident) {
      doc.incidentComponent = {
        ...prologue('inc-1', g.at),
        incidentTypeCommonRegistryText: g.incident.type,
        ...(g.incident.code ? { incidentTypeInternalCode: g.incident.code } : {}),
        ...(g.incident.priority ? { incidentCommonPriorityNumber: g.incident.priority } : {}),
        locationReference: [ref('loc-1')],
      };
    }
    return doc;
  });

type Key = string | number;

/** Every path to an object key in the document. */
function keyPaths(root: unknown): Key[][] {
  const out: Key[][] = [];
  const walk = (v: unknown, p: Key[]) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        out.push([...p, k]);
        walk(child, [...p, k]);
      }
    }
  };
  walk(root, []);
  return out;
}

function parentOf(doc: Json, p: Key[]): Json {
  return p.slice(0, -1).reduce((cur: Json, k) => cur[k], doc);
}

const RECASE = [(k: string) => k.toUpperCase(), (k: string) => k.toLowerCase(), (k: string) => k.charAt(0).toUpperCase() + k.slice(1)];

/** Renames the chosen keys (deepest first, so paths stay valid), keeping their position; returns what it renamed. */
function recase(doc: Json, picks: { at: number; how: number }[]): string[] {
  const all = keyPaths(doc);
  const chosen = [...new Map(picks.map((x) => [x.at % all.length, x.how])).entries()].sort((a, b) => (all[b[0]] as Key[]).length - (all[a[0]] as Key[]).length);
  const changed: string[] = [];
  for (const [i, how] of chosen) {
    const p = all[i] as Key[];
    const parent = parentOf(doc, p);
    const key = p[p.length - 1] as string;
    const renamed = (RECASE[how % RECASE.length] as (k: string) => string)(key);
    if (renamed === key || Object.prototype.hasOwnProperty.call(parent, renamed)) continue;
    const entries = Object.entries(parent).map(([k, v]) => [k === key ? renamed : k, v]);
    for (const k of Object.keys(parent)) delete parent[k];
    Object.assign(parent, Object.fromEntries(entries));
    changed.push(`${p.join('.')} → ${renamed}`);
  }
  return changed;
}

/** Fields EIDO 1.0 requires that no part of the incident row depends on. */
function droppable(doc: Json): Array<() => void> {
  const drops: Array<() => void> = [
    () => delete doc.eidoVersion,
    () => delete doc.issuingElementIdentification,
    () => delete doc.agencyComponent,
    () => delete doc.updatedByAgencyReference,
    () => delete doc.callComponent[0].callStateRegistryText,
    () => delete doc.agentComponent[0].agentRoleRegistryText,
    () => delete doc.agentComponent[0].agencyReference,
  ];
  for (const list of ['callComponent', 'callbackComponent', 'locationComponent', 'personComponent', 'notesComponent', 'cautionComponent']) {
    for (const c of doc[list] ?? []) drops.push(() => delete c.updatedByAgencyReference);
  }
  for (const c of doc.cautionComponent ?? []) drops.push(() => delete c.cautionTypeCommonRegistryText);
  return drops;
}

const received = { receivedAt: '2030-06-01T00:00:00.000Z', receivedBy: 'property test' };

/** The incident row, minus the raw document (which of course differs). */
function row(n: NormalizedEidoIncident) {
  const { eidoRaw: _raw, ...fields } = eidoIncidentFields(n, null, received).create;
  return fields;
}

describe('property: tolerated variations give the same incident', () => {
  it('generated documents are valid: read without warnings', () => {
    fc.assert(
      fc.property(incidentDoc, (doc) => {
        expect(parseEido(doc).warnings).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('keys re-cased anywhere: warnings, and the same incident fields', () => {
    fc.assert(
      fc.property(incidentDoc, fc.array(fc.record({ at: fc.nat(), how: fc.nat() }), { minLength: 1, maxLength: 6 }), (doc, picks) => {
        const clean = row(parseEido(doc));
        const varied = structuredClone(doc);
        const renamed = recase(varied, picks);
        if (renamed.length === 0) return;
        const incident = parseEido(varied);
        expect(incident.warnings.length, renamed.join(', ')).toBeGreaterThan(0);
        expect(incident.warnings.every((w) => w.code === 'misnamed_key')).toBe(true);
        expect(row(incident)).toEqual(clean);
      }),
      { numRuns: 300 },
    );
  });

  it('non-essential fields dropped: warnings, and the same incident fields', () => {
    fc.assert(
      fc.property(incidentDoc, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), (doc, picks) => {
        const clean = row(parseEido(doc));
        const varied = structuredClone(doc);
        const drops = droppable(varied);
        for (const i of new Set(picks.map((p) => p % drops.length))) (drops[i] as () => void)();
        const incident = parseEido(varied);
        expect(incident.warnings.length).toBeGreaterThan(0);
        expect(incident.warnings.every((w) => w.code === 'missing_part')).toBe(true);
        expect(row(incident)).toEqual(clean);
      }),
      { numRuns: 300 },
    );
  });
});
