import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OUTCOME_INCIDENT_TYPE,
  EidoError,
  buildOutcomeUpdate,
  isNewer,
  parseEido,
  type OutcomeUpdateInput,
} from '../../src/shared/eido';
import { SAMPLE_TEXT, mentalHealthIncident, sample } from './eido.fixtures';

const INCIDENT_ID = 'urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us';

function outcome(over: Partial<OutcomeUpdateInput> = {}): OutcomeUpdateInput {
  return {
    incidentId: INCIDENT_ID,
    outcome: 'resolved_by_phone',
    summary: 'Caller calmer after 20 minutes.\nSafety plan agreed; <b>no</b> responders needed & follow-up tomorrow.',
    clinicianName: 'Dr. Amara Osei',
    at: '2021-04-30T15:10:00-04:00',
    agencyId: 'ecc.newcastle.de.us',
    ...over,
  };
}

describe('isNewer', () => {
  const original = parseEido(SAMPLE_TEXT); // lastUpdateTimeStamp 2021-04-30T14:43:49.439-04:00

  it('an update with a later stamp supersedes; an older one does not', () => {
    const later = sample();
    later.lastUpdateTimeStamp = '2021-04-30T14:50:00.000-04:00';
    const older = sample();
    older.lastUpdateTimeStamp = '2021-04-30T14:30:00.000-04:00';
    const laterIncident = parseEido(later);
    const olderIncident = parseEido(older);

    expect(isNewer(laterIncident, original)).toBe(true);
    expect(isNewer(original, laterIncident)).toBe(false);
    expect(isNewer(olderIncident, original)).toBe(false);
    expect(isNewer(original, olderIncident)).toBe(true);
  });

  it('redelivery of the same document is not newer', () => {
    expect(isNewer(original, parseEido(SAMPLE_TEXT))).toBe(false);
  });

  it('compares instants across time zones, on raw documents too', () => {
    expect(isNewer({ lastUpdateTimeStamp: '2021-04-30T18:43:49.440Z' }, sample())).toBe(true);
    expect(isNewer({ lastUpdateTimeStamp: '2021-04-30T19:43:49.439+01:00' }, sample())).toBe(false);
    expect(isNewer(sample(), { lastUpdated: '2021-04-30T18:43:49.438Z' })).toBe(true);
  });

  it('orders stamps that differ below a millisecond', () => {
    expect(isNewer({ lastUpdateTimeStamp: '2021-04-30T14:43:49.4391-04:00' }, sample())).toBe(true);
    expect(isNewer(sample(), { lastUpdateTimeStamp: '2021-04-30T14:43:49.4391-04:00' })).toBe(false);
  });

  it('refuses a malformed stamp with a typed error', () => {
    expect(() => isNewer({ lastUpdateTimeStamp: 'yesterday' }, sample())).toThrow(EidoError);
  });
});

describe('buildOutcomeUpdate', () => {
  it('builds an EIDO 1.0 document that parseEido accepts', () => {
    const doc = buildOutcomeUpdate(outcome());
    const parsed = parseEido(JSON.stringify(doc));
    expect(parsed.incidentId).toBe(INCIDENT_ID);
    expect(parsed.lastUpdated).toBe('2021-04-30T19:10:00.000Z');
    expect(parsed.updatedBy).toEqual({ agencyId: 'ecc.newcastle.de.us' });
    expect(parsed.issuer).toBe('tandem.ecc.newcastle.de.us');
    expect(parsed.type).toEqual({ registryText: DEFAULT_OUTCOME_INCIDENT_TYPE });
    expect(parsed.dispositions).toEqual([
      {
        id: expect.stringMatching(/^urn:tandem:disposition:/),
        code: 'resolved_by_phone',
        primary: true,
        category: 'Mental health clinician',
        description: 'Resolved by phone',
        at: '2021-04-30T19:10:00.000Z',
      },
    ]);
    expect(parsed.agencies).toEqual([{ id: 'ecc.newcastle.de.us', roles: ['Responding'], types: ['psap'] }]);
  });

  it('puts the summary and clinician in an HTML5 note, escaped so it stays text', () => {
    const doc = buildOutcomeUpdate(outcome());
    expect(doc.notesComponent[0]?.notesActionComments).not.toContain('<b>');
    const [note] = parseEido(doc).notes;
    expect(note?.text).toBe(
      'Clinician outcome: Resolved by phone\n' +
        'Caller calmer after 20 minutes.\n' +
        'Safety plan agreed; <b>no</b> responders needed & follow-up tomorrow.\n' +
        'Clinician: Dr. Amara Osei',
    );
  });

  it('links the disposition and the incident to the note', () => {
    const doc = buildOutcomeUpdate(outcome());
    const noteRef = [{ $ref: doc.notesComponent[0]?.$id }];
    expect(doc.incidentComponent.notesReference).toEqual(noteRef);
    expect(doc.incidentComponent.dispositionComponent[0]?.notesReference).toEqual(noteRef);
  });

  it('echoes the incident type it is given, and supersedes the incident it answers', () => {
    const incident = parseEido(mentalHealthIncident());
    const doc = buildOutcomeUpdate(outcome({ incidentType: incident.type, at: new Date('2021-04-30T19:30:00Z') }));
    const parsed = parseEido(doc);
    expect(parsed.type).toEqual(incident.type);
    expect(isNewer(parsed, incident)).toBe(true);
    const stale = buildOutcomeUpdate(outcome({ at: '2021-04-30T14:00:00-04:00' }));
    expect(isNewer(stale, incident)).toBe(false);
  });

  it('is deterministic, so a resend is the same update', () => {
    expect(buildOutcomeUpdate(outcome())).toEqual(buildOutcomeUpdate(outcome()));
    expect(buildOutcomeUpdate(outcome())).not.toEqual(buildOutcomeUpdate(outcome({ at: '2021-04-30T15:11:00-04:00' })));
  });

  it('uses a site disposition code and incident component id when given', () => {
    const doc = buildOutcomeUpdate(outcome({ dispositionCode: 'MH-RESOLVED', incidentComponentId: 'cad-inc-77' }));
    expect(parseEido(doc).dispositions[0]?.code).toBe('MH-RESOLVED');
    expect(doc.incidentComponent.$id).toBe('cad-inc-77');
  });

  it.each([
    ['incidentId', { incidentId: '  ' }],
    ['agencyId', { agencyId: 'a\nb' }],
    ['outcome', { outcome: '' }],
    ['clinicianName', { clinicianName: 'x'.repeat(201) }],
    ['at', { at: 'soon' }],
    ['at', { at: '2021-04-30T15:10:00' }],
  ])('rejects a bad %s with a typed error naming it', (field, over) => {
    try {
      buildOutcomeUpdate(outcome(over as Partial<OutcomeUpdateInput>));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EidoError);
      expect((e as EidoError).path).toBe(field);
    }
  });
});
