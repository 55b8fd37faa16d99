import { describe, expect, it } from 'vitest';
import { parseEido, type NormalizedEidoIncident } from '../../src/shared/eido';
import {
  AGENCY,
  SAMPLE_TEXT,
  mentalHealthIncident,
  pidfCircle,
  pidfPoint,
  prologue,
  sample,
} from './eido.fixtures';

describe('parseEido: the NENA sample call transfer', () => {
  it('normalizes every field of the real sample', () => {
    const incident = parseEido(SAMPLE_TEXT);
    const expected: NormalizedEidoIncident = {
      incidentId: 'urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us',
      issuer: 'idx.state.pa.us',
      lastUpdated: '2021-04-30T18:43:49.439Z',
      updatedBy: { agencyId: 'state.pa.us', agentId: 'tjones.atroop@state.pa.us' },
      // The sample has no incidentComponent: no type, priority or incident status.
      type: {},
      priority: {},
      status: { registryText: [], internalText: [], callState: 'callAnswered' },
      callStart: '2021-04-30T18:40:00.000Z',
      callAnswer: '2021-04-30T18:42:00.000Z',
      calls: [
        {
          id: 'urn:emergency:uid:callid:a56e556d871:bcf.state.pa.us',
          start: '2021-04-30T18:40:00.000Z',
          answer: '2021-04-30T18:42:00.000Z',
          state: 'callAnswered',
          direction: 'incoming',
          primaryCallType: 'emergency',
          queue: 'sos@state.pa.us',
        },
      ],
      callback: { uris: ['sip:8195551212@osp.com', 'tel:8195551212'], number: '8195551212' },
      persons: [
        {
          id: '123e4567-abcd-12d3-a456-426614174000',
          roles: ['Caller'],
          phones: ['8195551212'],
          callIds: ['urn:emergency:uid:callid:a56e556d871:bcf.state.pa.us'],
        },
      ],
      location: {
        kind: 'civic',
        civic: {
          fields: { country: 'US', A1: 'DE', A3: 'Wilmington', PRD: 'W', RD: 'Cellular', STS: 'Street', HNO: '42' },
          display: '42 W Cellular Street, Wilmington, DE',
        },
        id: '123e4567-dead-12d3-a456-426614174000',
        locationType: 'RoutingLocation',
        updatedAt: '2021-04-30T18:40:00.000Z',
      },
      locations: [
        {
          kind: 'civic',
          civic: {
            fields: { country: 'US', A1: 'DE', A3: 'Wilmington', PRD: 'W', RD: 'Cellular', STS: 'Street', HNO: '42' },
            display: '42 W Cellular Street, Wilmington, DE',
          },
          id: '123e4567-dead-12d3-a456-426614174000',
          locationType: 'RoutingLocation',
          updatedAt: '2021-04-30T18:40:00.000Z',
        },
        {
          kind: 'reference',
          referenceUrl: 'https://lrf.osp.com?oasufdqwerjn12346jfias',
          id: '123e4567-beef-12d3-a456-426614174000',
          locationType: 'Caller',
          updatedAt: '2021-04-30T18:40:30.000Z',
        },
      ],
      notes: [],
      cautions: [],
      dispositions: [],
      agencies: [{ id: 'state.pa.us', roles: ['CallReceiving'], types: ['psap'] }],
      agents: [{ id: 'tjones.atroop@state.pa.us', roles: ['Call Taking'], agencyId: 'state.pa.us', position: '5' }],
      externalRefs: [],
      raw: SAMPLE_TEXT,
      warnings: [],
    };
    // toStrictEqual: no extra keys, and optional fields absent rather than undefined.
    expect(incident).toStrictEqual(expected);
  });

  it('accepts the already-parsed object and keeps its serialization as raw', () => {
    const incident = parseEido(sample());
    expect(incident.incidentId).toBe('urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us');
    expect(JSON.parse(incident.raw)).toEqual(JSON.parse(SAMPLE_TEXT));
  });

  it('tolerates a UTF-8 byte order mark', () => {
    expect(parseEido(`\uFEFF${SAMPLE_TEXT}`).raw.startsWith('\uFEFF')).toBe(true);
  });

  it('reports agency and agent ids that the document names but does not describe', () => {
    const doc = sample();
    doc.callComponent[0].updatedByAgencyReference = { $ref: 'county.de.us' };
    doc.agentComponent[0].updatedByAgentReference = { $ref: 'someone@county.de.us' };
    expect(parseEido(doc).externalRefs).toEqual(['county.de.us', 'someone@county.de.us']);
  });
});

describe('parseEido: variations', () => {
  it('reads the incident component, persons, geodetic location, notes and cautions', () => {
    const incident = parseEido(JSON.stringify(mentalHealthIncident()));
    expect(incident.type).toEqual({
      registryText: 'Behavioral Health',
      internalCode: '25-A-1',
      internalText: 'Psychiatric / suicidal, alert',
    });
    expect(incident.internalIncidentId).toBe('CAD-2021-004411');
    expect(incident.priority).toEqual({ number: 2, internalText: 'P2', call: 'high' });
    expect(incident.status).toEqual({ registryText: ['Pending'], internalText: ['PEND'], callState: 'callAnswered' });

    // The incident component links the geodetic location, so it is the primary one.
    expect(incident.location).toStrictEqual({
      kind: 'geodetic',
      point: { shape: 'circle', lat: 39.7447, lon: -75.5484, radius: 850 },
      id: 'loc-geo-1',
      locationType: 'Incident',
      description: 'Parking lot behind the library',
      updatedAt: '2021-04-30T18:41:00.000Z',
    });
    expect(incident.locations.map((l) => l.kind)).toEqual(['civic', 'reference', 'geodetic']);

    expect(incident.persons).toStrictEqual([
      {
        id: '123e4567-abcd-12d3-a456-426614174000',
        roles: ['Caller'],
        name: 'Dana Whitfield',
        phones: ['8195551212'],
        dob: '1988-02-14',
        language: 'English',
        callIds: ['urn:emergency:uid:callid:a56e556d871:bcf.state.pa.us'],
      },
      {
        id: 'person-2',
        roles: ['Subject', 'Patient'],
        name: 'Luis Ortega',
        phones: ['+13025550188'],
        dob: '1999-07-01',
        language: 'Spanish',
        callIds: [],
      },
    ]);

    // Oldest first; HTML reduced to text.
    expect(incident.notes).toStrictEqual([
      {
        id: 'note-1',
        text: 'Caller reports brother is suicidal, locked in his car.',
        at: '2021-04-30T18:42:30.000Z',
        author: 'tjones.atroop@state.pa.us',
      },
      {
        id: 'note-2',
        text: 'Brother says Luis is off his meds, anxiety & panic.',
        at: '2021-04-30T18:44:10.000Z',
        author: 'tjones.atroop@state.pa.us',
      },
    ]);

    expect(incident.cautions).toStrictEqual([
      {
        id: 'caution-1',
        text: 'Dog on premises',
        severity: 'low',
        registryText: 'Animal',
        source: 'tjones.atroop@state.pa.us',
      },
      { id: 'caution-2', text: 'Subject previously fled on foot', severity: 'high', registryText: 'Flight risk' },
    ]);
  });

  it('reads a geodetic point and falls back to it when nothing links a location', () => {
    const doc = sample();
    doc.locationComponent = [
      { ...prologue('loc-point'), locationTypeDescriptionRegistryText: 'Caller', locationByValue: pidfPoint(40.0012, -75.1234) },
    ];
    doc.callComponent[0].locationReference = [{ $ref: 'loc-point' }];
    const { location } = parseEido(doc);
    expect(location).toMatchObject({ kind: 'geodetic', point: { shape: 'point', lat: 40.0012, lon: -75.1234 } });
    expect(location?.point && 'radius' in location.point).toBe(false);
  });

  it('keeps a civic address together with the point sent alongside it', () => {
    const doc = sample();
    doc.locationComponent[0].locationByValue = doc.locationComponent[0].locationByValue.replace(
      '</civicAddress>',
      '<LOC>Apt 3 rear entrance</LOC><PC>19801</PC></civicAddress>' +
        '<gml:Point xmlns:gml="http://www.opengis.net/gml"><gml:pos>39.74 -75.55</gml:pos></gml:Point>',
    );
    const { location } = parseEido(doc);
    expect(location).toMatchObject({
      kind: 'civic',
      civic: { display: '42 W Cellular Street, Apt 3 rear entrance, Wilmington, DE 19801' },
      point: { shape: 'point', lat: 39.74, lon: -75.55 },
    });
  });

  it('decodes character references in civic fields without expanding anything else', () => {
    const doc = sample();
    doc.locationComponent[0].locationByValue = doc.locationComponent[0].locationByValue.replace(
      '<RD>Cellular</RD>',
      '<RD>A&amp;P &#x26; Sons</RD>',
    );
    expect(parseEido(doc).location).toMatchObject({ civic: { fields: { RD: 'A&P & Sons' } } });
  });

  it('uses a location by reference when it is the only one', () => {
    const doc = sample();
    doc.locationComponent = [doc.locationComponent[1]];
    doc.callComponent[0].locationReference = [{ $ref: '123e4567-beef-12d3-a456-426614174000' }];
    expect(parseEido(doc).location).toStrictEqual({
      kind: 'reference',
      referenceUrl: 'https://lrf.osp.com?oasufdqwerjn12346jfias',
      id: '123e4567-beef-12d3-a456-426614174000',
      locationType: 'Caller',
      updatedAt: '2021-04-30T18:40:30.000Z',
    });
  });

  it('accepts incidentComponent as a list and uses the latest entry', () => {
    const doc = sample();
    doc.incidentComponent = [
      { ...prologue('inc-a', '2021-04-30T14:41:00Z'), incidentTypeCommonRegistryText: 'Medical' },
      { ...prologue('inc-b', '2021-04-30T14:45:00Z'), incidentTypeCommonRegistryText: 'Behavioral Health' },
    ];
    expect(parseEido(doc).type).toEqual({ registryText: 'Behavioral Health' });
  });

  it('takes the callback number from tel: first, then a numeric sip: user part', () => {
    const doc = sample();
    doc.callbackComponent[0].callBackInformationUri = ['sip:+1-302-555-0100;user=phone@carrier.example', 'sip:alice@x.example'];
    expect(parseEido(doc).callback).toEqual({
      uris: ['sip:+1-302-555-0100;user=phone@carrier.example', 'sip:alice@x.example'],
      number: '+13025550100',
    });
    doc.callbackComponent[0].callBackInformationUri = ['sip:alice@x.example', 'tel:+1-302-555-0199;ext=12'];
    expect(parseEido(doc).callback.number).toBe('+13025550199');
  });

  it('reads dispositions from the incident component', () => {
    const doc = sample();
    doc.incidentComponent = {
      ...prologue('inc'),
      incidentTypeCommonRegistryText: 'Behavioral Health',
      dispositionComponent: [
        {
          ...prologue('disp-1'),
          updatedByAgencyReference: AGENCY,
          dispositionCommonRegistryCode: 'referral',
          dispositionPrimaryIndicator: false,
          dispositionDescriptionText: 'Referred to services',
        },
      ],
    };
    expect(parseEido(doc).dispositions).toStrictEqual([
      { id: 'disp-1', code: 'referral', primary: false, description: 'Referred to services', at: '2021-04-30T18:41:00.000Z' },
    ]);
  });

  it('parses the geodetic helper body on its own terms (radius in metres)', () => {
    const doc = sample();
    doc.locationComponent[0].locationByValue = pidfCircle(-33.86, 151.2, 12.5);
    expect(parseEido(doc).location).toMatchObject({ kind: 'geodetic', point: { lat: -33.86, lon: 151.2, radius: 12.5 } });
  });
});
