import { describe, expect, it } from 'vitest';
import {
  decideEidoIntake,
  describeEidoLocation,
  eidoIncidentFields,
  eidoIncidentNumber,
  eidoIncidentRowId,
  eligibilityRulesFromText,
  evaluateEligibility,
  manualEligibility,
  parseEido,
} from '../../src/shared/eido';
import { DEFAULT_ELIGIBILITY_RULES } from '../../src/shared/eido/default-rules';
import { Incident } from '../../src/shared/entities';
import { SAMPLE_TEXT, defaultRules, mentalHealthIncident, pidfPoint, prologue, sample } from './eido.fixtures';

/** The mapping from a normalized EIDO incident to Tandem's incident row, shared by every intake path. */
const opts = { receivedAt: '2026-01-02T03:04:05.000Z', receivedBy: 'CAD (test)' };

describe('EIDO → incident row', () => {
  it('derives a stable, bounded row id from the tracking id', () => {
    const a = eidoIncidentRowId('urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us');
    expect(a).toMatch(/^eido-[0-9a-f]{32}$/);
    expect(eidoIncidentRowId('urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us')).toBe(a);
    expect(eidoIncidentRowId('urn:emergency:uid:incidentid:a56e556d872:bcf.state.pa.us')).not.toBe(a);
    expect(eidoIncidentRowId('x'.repeat(5000))).toHaveLength(37);
  });

  it('maps the NENA sample to a valid incident row', () => {
    const n = parseEido(SAMPLE_TEXT);
    const e = evaluateEligibility(n, DEFAULT_ELIGIBILITY_RULES);
    const { create, update } = eidoIncidentFields(n, e, opts);
    expect(Incident.safeParse({ id: eidoIncidentRowId(n.incidentId), ...create }).success).toBe(true);
    expect(create).toEqual({
      number: 'a56e556d871',
      source: 'eido',
      type: 'Emergency call (no incident type from CAD)',
      priority: null,
      status: 'open',
      location: '42 W Cellular Street, Wilmington, DE',
      callbackNumber: '8195551212',
      callerName: null,
      notes: null,
      cautions: null,
      eligibility: { eligible: false, reasons: [], exclusions: [] },
      eidoRaw: SAMPLE_TEXT,
      eidoUpdatedAt: '2021-04-30T18:43:49.439Z',
      createdAt: opts.receivedAt,
      createdBy: 'CAD (test)',
      updatedAt: opts.receivedAt,
    });
    // An update leaves createdAt/createdBy alone, and status when CAD sent none.
    expect(Object.keys(update).sort()).toEqual(Object.keys(create).filter((k) => !['createdAt', 'createdBy', 'status'].includes(k)).sort());
  });

  it('maps a behavioral-health incident: number, type, priority, status, location, caller, notes, cautions', () => {
    const n = parseEido(mentalHealthIncident());
    const { create, update } = eidoIncidentFields(n, evaluateEligibility(n, DEFAULT_ELIGIBILITY_RULES), opts);
    expect(create).toMatchObject({
      number: 'CAD-2021-004411',
      type: 'Behavioral Health — Psychiatric / suicidal, alert (25-A-1)',
      priority: '2',
      status: 'open',
      location: '39.74470, -75.54840 ±850 m (Parking lot behind the library)',
      callerName: 'Dana Whitfield',
      cautions: [
        { text: 'Dog on premises', severity: 'low' },
        { text: 'Subject previously fled on foot', severity: 'high' },
      ],
    });
    expect(update.status).toBe('open');
    expect(create.eligibility!.eligible).toBe(true);
  });

  it('cuts over-long text to the row limits instead of refusing the incident; notes keep their newest end', () => {
    const doc = mentalHealthIncident();
    doc.incidentComponent.incidentTypeInternalText = 'T'.repeat(600);
    doc.incidentComponent.internalIncidentId = 'N'.repeat(100);
    doc.locationComponent[2].locationDescriptionText = 'L'.repeat(900);
    doc.notesComponent[0].notesActionComments = 'x'.repeat(9000) + ' NEWEST';
    doc.cautionComponent[0].cautionTypeInternalText = 'C'.repeat(700);
    const n = parseEido(doc);
    const { create } = eidoIncidentFields(n, null, { ...opts, receivedBy: 'B'.repeat(300) });
    const parsed = Incident.safeParse({ id: 'eido-x', ...create });
    expect(parsed.success ? null : parsed.error.issues).toBeNull();
    expect(create.type).toHaveLength(200);
    expect(create.number).toHaveLength(64);
    expect(create.notes!.endsWith('NEWEST')).toBe(true);
    expect(create.notes!.startsWith('…')).toBe(true);
    expect(create.eligibility).toBeNull();
  });

  it('describes geodetic, by-reference and missing locations', () => {
    const doc = sample();
    doc.locationComponent = [{ ...prologue('loc-p'), locationTypeDescriptionRegistryText: 'Caller', locationByValue: pidfPoint(42.3736, -71.1097) }];
    doc.callComponent[0].locationReference = [{ $ref: 'loc-p' }];
    expect(describeEidoLocation(parseEido(doc).location)).toBe('42.37360, -71.10970');
    expect(describeEidoLocation({ kind: 'reference', referenceUrl: 'https://lrf.example/abc', id: 'r', locationType: 'Caller', updatedAt: opts.receivedAt })).toBe(
      'By reference: https://lrf.example/abc',
    );
    // An address wins over the point sent with it; the point is there for a map.
    const both = { kind: 'civic', civic: { fields: { A3: 'Dover' }, display: 'Dover' }, point: { shape: 'point', lat: 39.1, lon: -75.5 }, id: 'b', updatedAt: opts.receivedAt } as const;
    expect(describeEidoLocation(both)).toBe('Dover');
    expect(describeEidoLocation({ ...both, kind: 'geodetic', civic: undefined })).toBe('39.10000, -75.50000');
    expect(describeEidoLocation(undefined)).toBe('Location not sent by CAD');
  });

  it('closes the incident when CAD says it is closed', () => {
    const doc = mentalHealthIncident();
    doc.incidentComponent.incidentStatusCommonRegistryText = ['Closed'];
    expect(eidoIncidentFields(parseEido(doc), null, opts).update.status).toBe('closed');
  });

  it('numbers from the tracking id when CAD sends no number of its own', () => {
    expect(eidoIncidentNumber({ incidentId: 'urn:emergency:uid:incidentid:abc123:psap.example' })).toBe('abc123');
    expect(eidoIncidentNumber({ incidentId: 'something-else' })).toBe('something-else');
    expect(eidoIncidentNumber({ incidentId: 'urn:x', internalIncidentId: ' 24-00017 ' })).toBe('24-00017');
  });

  it('decides create, update (strictly newer) or ignore (older, same)', () => {
    const n = parseEido(SAMPLE_TEXT); // 2021-04-30T18:43:49.439Z
    expect(decideEidoIntake(n, null, null, opts).action).toBe('create');
    expect(decideEidoIntake(n, { eidoUpdatedAt: null }, null, opts).action).toBe('update');
    expect(decideEidoIntake(n, { eidoUpdatedAt: '2021-04-30T18:43:49.438Z' }, null, opts).action).toBe('update');
    expect(decideEidoIntake(n, { eidoUpdatedAt: '2021-04-30T18:43:49.439Z' }, null, opts)).toMatchObject({ action: 'ignore', reason: 'same' });
    expect(decideEidoIntake(n, { eidoUpdatedAt: '2021-04-30T18:43:49.440Z' }, null, opts)).toMatchObject({ action: 'ignore', reason: 'older' });
  });
});

describe('eligibility of hand-entered incidents and rule files', () => {
  it('screens type and notes as typed', () => {
    expect(manualEligibility({ type: 'Welfare check', notes: 'Neighbor says he is hopeless' }, DEFAULT_ELIGIBILITY_RULES)).toMatchObject({
      eligible: true,
      exclusions: [],
    });
    const r = manualEligibility({ type: 'Welfare check', notes: 'He has a gun' }, DEFAULT_ELIGIBILITY_RULES);
    expect(r.eligible).toBe(false);
    expect(r.exclusions[0]).toMatch(/^Weapons involved: "gun" in notes/);
    expect(manualEligibility({ type: 'Noise complaint', notes: null }, DEFAULT_ELIGIBILITY_RULES)).toMatchObject({ eligible: false, reasons: [], exclusions: [] });
  });

  it('the built-in default is the shipped rule file', () => {
    expect(DEFAULT_ELIGIBILITY_RULES).toEqual(defaultRules());
  });

  it('reads a rule file from text, naming the file when it is not JSON', () => {
    expect(() => eligibilityRulesFromText('{', 'site.json')).toThrow(/^site\.json is not JSON/);
    expect(() => eligibilityRulesFromText('{"version": 1}')).toThrow(/Invalid eligibility rules/);
    expect(eligibilityRulesFromText(JSON.stringify(defaultRules())).include.length).toBeGreaterThan(0);
  });
});
