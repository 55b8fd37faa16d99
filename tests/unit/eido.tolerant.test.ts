/**
 * Documents as real CAD feeds send them (fixtures written for Tandem in
 * tests/fixtures/eido/): near-miss keys, single values where lists belong, an incident
 * component sharing the document's id, a location sent as an address and a point in two
 * tuples, and a conveyance event holding several documents. Each is read, repaired and
 * reported; nothing a clinician needs is lost.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EidoError, describeEidoLocation, eidoIncidentFields, parseEido, readEido } from '../../src/shared/eido';
import { sample } from './eido.fixtures';

const FIXTURES = path.resolve(__dirname, '../fixtures/eido');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const received = { receivedAt: '2025-03-15T01:12:06.000Z', receivedBy: 'test' };

describe('a near-conformant document: one round trip, not twenty', () => {
  const incident = parseEido(fixture('near-miss.eido.json'));

  it('is accepted, and every repair is listed with its path and code, in reading order', () => {
    expect(incident.warnings.map((w) => [w.code, w.path])).toEqual([
      ['misnamed_key', 'lastUpdateTimestamp'],
      ['misnamed_key', 'EIDOVersion'],
      ['misnamed_key', 'notes'],
      ['invalid', 'callComponent[0].direction'],
      ['not_a_list', 'callComponent[0].personReference'],
      ['missing_part', 'callComponent[0].callStateRegistryText'],
      ['not_a_list', 'callbackComponent[0].callBackInformationUri'],
      ['not_a_list', 'personComponent[0].personIncidentRoleRegistryText'],
      ['misnamed_key', 'notesComponent[0].noteText'],
      ['duplicate_id', 'incidentComponent'],
      ['misnamed_key', 'personComponent[0].ncPersonComponent.name[0].personGivenName'],
      ['misnamed_key', 'personComponent[0].ncPersonComponent.name[0].personSurName'],
    ]);
  });

  it('gives a "did you mean" for each misnamed key', () => {
    const hints = Object.fromEntries(incident.warnings.filter((w) => w.suggestion).map((w) => [w.path, w.suggestion]));
    expect(hints).toMatchObject({
      lastUpdateTimestamp: 'did you mean "lastUpdateTimeStamp"?',
      EIDOVersion: 'did you mean "eidoVersion"?',
      notes: 'did you mean "notesComponent"?',
      'notesComponent[0].noteText': 'did you mean "notesActionComments"?',
      'personComponent[0].ncPersonComponent.name[0].personGivenName': 'did you mean "givenName" or "nc:PersonGivenName"?',
      'personComponent[0].ncPersonComponent.name[0].personSurName': 'did you mean "surName" or "nc:PersonSurName"?',
    });
  });

  it('reads what the clinician needs: number, type, caller, callback, notes, and the address with its point', () => {
    const row = eidoIncidentFields(incident, null, received).create;
    expect(row).toMatchObject({
      number: 'CAM-25-0314-0199',
      type: 'Behavioral Health (25-A-2)',
      callerName: 'Maribel Okafor',
      callbackNumber: '+16175550142',
      location: '212 River St, Cambridge, MA 02139',
      notes: '[01:11Z] Caller worried about her son, says he has not slept in three days.',
      eidoUpdatedAt: '2025-03-15T01:12:05.250Z',
    });
    // Address and point came in separate tuples; both are kept.
    expect(incident.location).toMatchObject({
      kind: 'civic',
      civic: { display: '212 River St, Cambridge, MA 02139' },
      point: { shape: 'point', lat: 42.3641, lon: -71.1048 },
    });
    expect(incident.calls[0]).toMatchObject({ direction: 'incoming', start: '2025-03-15T01:08:12.000Z' });
    expect(incident.calls[0]?.state).toBeUndefined();
  });

  it('is refused in strict mode, with the same twelve problems', () => {
    let err: EidoError | undefined;
    try {
      parseEido(fixture('near-miss.eido.json'), { strict: true });
    } catch (e) {
      err = e as EidoError;
    }
    expect(err?.code).toBe('misnamed_key');
    expect(err?.problems).toHaveLength(12);
    expect(err?.problems.every((p) => !p.fatal)).toBe(true);
  });

  it('gives the same warnings when the stored raw document is read again', () => {
    expect(parseEido(incident.raw).warnings).toEqual(incident.warnings);
  });
});

describe('a conveyance event (NENA-STA-024): each document handled on its own', () => {
  const result = readEido(fixture('conveyance.json'));

  it('reads the event and every document in it', () => {
    expect(result).toMatchObject({ envelope: 'conveyance', transactionId: '3c1f0e7a-5b2d-4c8e-9f61-2a7d94b0c512', subscriptionId: 'sub-cad-north-01' });
    expect(result.documents.map((d) => [d.path, d.ok])).toEqual([
      ['event.notification[0]', true],
      ['event.notification[1]', false],
      ['event.notification[2]', true],
    ]);
  });

  it('accepts the clean document without warnings, and keeps it alone as its raw', () => {
    const [first] = result.documents;
    if (!first?.ok) throw new Error('expected the first document to be accepted');
    expect(first.incident.warnings).toEqual([]);
    expect(first.incident.type.registryText).toBe('Welfare Check');
    expect(JSON.parse(first.incident.raw).$id).toBe('urn:emergency:uid:incidentid:a01:cad-north.example');
    expect(parseEido(first.incident.raw).incidentId).toBe(first.incident.incidentId);
  });

  it('refuses the document without an id, naming every problem, and keeps its text for review', () => {
    const second = result.documents[1];
    if (!second || second.ok) throw new Error('expected the second document to be refused');
    expect(second.error).toMatchObject({ code: 'missing_part', path: '$id' });
    expect(second.error.problems.map((p) => [p.fatal, p.path])).toEqual([
      [true, '$id'],
      [false, 'agencyComponent'],
      [false, 'updatedByAgencyReference'],
    ]);
    expect(JSON.parse(second.raw).notesComponent).toHaveLength(1);
  });

  it('repairs the third (a reference to a person it does not carry)', () => {
    const third = result.documents[2];
    if (!third?.ok) throw new Error('expected the third document to be accepted');
    expect(third.incident.warnings.map((w) => [w.code, w.path])).toEqual([
      ['missing_part', 'agencyComponent'],
      ['broken_ref', 'incidentComponent.personReference[0].$ref'],
    ]);
  });

  it('parseEido takes an event of one document, and refuses one of several with a pointer to readEido', () => {
    const one = { event: { transactionId: 't-1', notification: sample() } };
    expect(parseEido(one).warnings).toEqual([expect.objectContaining({ code: 'not_a_list', path: 'event.notification' })]);
    expect(() => parseEido(fixture('conveyance.json'))).toThrow(/holds 3 EIDO documents .*readEido/);
  });

  it('an event without documents is refused as a whole', () => {
    expect(() => readEido({ event: { transactionId: 't', notification: [] } })).toThrow(EidoError);
    expect(() => readEido({ event: { transactionId: 't' } })).toThrow(/without EIDO documents/);
  });

  it('a plain document with an "event" field of its own is not mistaken for an event', () => {
    const doc = { ...sample(), event: { notification: [] } };
    expect(readEido(doc).envelope).toBe('document');
  });
});

describe('locations', () => {
  it('describes a location by its address; the point stays for a map', () => {
    const incident = parseEido(fixture('near-miss.eido.json'));
    expect(describeEidoLocation(incident.location)).toBe('212 River St, Cambridge, MA 02139');
  });
});
