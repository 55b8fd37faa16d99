/**
 * Fixtures for the EIDO tests: the real NENA sample (read from /work/shared, never edited)
 * and variations of it written here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireReference } from '../../src/launch/reference-data';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SAMPLE_PATH = requireReference(path.resolve(here, '../..'), 'eidoSample');
export const RULES_PATH = path.resolve(here, '../../config/eligibility-rules.json');

export const SAMPLE_TEXT = readFileSync(SAMPLE_PATH, 'utf8');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A fresh, mutable copy of the NENA sample. */
export function sample(): Json {
  return JSON.parse(SAMPLE_TEXT);
}

export function defaultRules(): unknown {
  return JSON.parse(readFileSync(RULES_PATH, 'utf8'));
}

export const AGENCY = { $ref: 'state.pa.us' };

/** The prologue every component needs. */
export function prologue(id: string, at = '2021-04-30T14:41:00.0-04:00') {
  return { $id: id, lastUpdateTimeStamp: at, updatedByAgencyReference: AGENCY };
}

export function pidfCircle(lat: number, lon: number, radius: number): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" ' +
    'xmlns:gml="http://www.opengis.net/gml" xmlns:gs="http://www.opengis.net/pidflo/1.0" entity="pres:caller@example.com">' +
    '<tuple id="t1"><status><gp:geopriv><gp:location-info>' +
    `<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>${lat} ${lon}</gml:pos>` +
    `<gs:radius uom="urn:ogc:def:uom:EPSG::9001">${radius}</gs:radius></gs:Circle>` +
    '</gp:location-info><gp:usage-rules/></gp:geopriv></status></tuple></presence>'
  );
}

export function pidfPoint(lat: number, lon: number): string {
  return (
    '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" ' +
    'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" entity="pres:x@example.com">' +
    '<dm:device id="d1"><gp:geopriv><gp:location-info>' +
    `<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>${lat} ${lon}</gml:pos></gml:Point>` +
    '</gp:location-info></gp:geopriv></dm:device></presence>'
  );
}

/** A PIDF-LO civic body whose location-info holds `inner`. */
export function pidfWith(inner: string, prefix = ''): string {
  return (
    `${prefix}<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" entity="pres:x@example.com">` +
    `<tuple id="t"><status><gp:geopriv><gp:location-info>${inner}</gp:location-info></gp:geopriv></status></tuple></presence>`
  );
}

/**
 * The sample turned into a behavioral-health incident: an incident component (type, EMD
 * code, priority, status), two persons with NIEM data, a geodetic caller location, notes
 * and a caution.
 */
export function mentalHealthIncident(): Json {
  const doc = sample();
  doc.incidentComponent = {
    ...prologue('urn:emergency:uid:incident-component:mh1'),
    incidentTypeCommonRegistryText: 'Behavioral Health',
    incidentTypeInternalCode: '25-A-1',
    incidentTypeInternalText: 'Psychiatric / suicidal, alert',
    incidentStatusCommonRegistryText: ['Pending'],
    incidentStatusInternalText: ['PEND'],
    internalIncidentId: 'CAD-2021-004411',
    incidentPriorityInternalText: 'P2',
    incidentCommonPriorityNumber: 2,
    locationReference: [{ $ref: 'loc-geo-1' }],
    personReference: [{ $ref: '123e4567-abcd-12d3-a456-426614174000' }, { $ref: 'person-2' }],
    notesReference: [{ $ref: 'note-1' }, { $ref: 'note-2' }],
  };
  doc.callComponent[0].priorityIdentifier = 'High'; // case varies between senders
  doc.locationComponent.push({
    ...prologue('loc-geo-1'),
    locationTypeDescriptionRegistryText: 'Incident',
    locationDescriptionText: 'Parking lot behind the library',
    locationByValue: pidfCircle(39.7447, -75.5484, 850),
  });
  doc.personComponent[0].ncPersonComponent = {
    name: [{ givenName: [{ value: 'Dana' }], surName: [{ value: 'Whitfield' }] }],
    birthDate: [{ date: '1988-02-14' }],
    primaryLanguage: [{ languageName: 'English' }],
  };
  doc.personComponent.push({
    ...prologue('person-2'),
    personIncidentRoleRegistryText: ['Subject', 'Patient'],
    ncPersonComponent: {
      'nc:PersonName': { 'nc:PersonGivenName': 'Luis', 'nc:PersonSurName': 'Ortega' },
      'nc:PersonBirthDate': { 'nc:Date': '1999-07-01' },
      'nc:PersonPrimaryLanguage': { 'nc:LanguageName': 'Spanish' },
      'nc:PersonHomeContactInformation': {
        'nc:ContactTelephoneNumber': { 'nc:FullTelephoneNumber': { 'nc:TelephoneNumberFullID': '+1 (302) 555-0188' } },
      },
    },
  });
  doc.notesComponent = [
    {
      ...prologue('note-2', '2021-04-30T14:44:10.0-04:00'),
      notesActionComments: '<p>Brother says Luis is <b>off his meds</b>, anxiety &amp; panic.</p>',
      agentReference: { $ref: 'tjones.atroop@state.pa.us' },
    },
    {
      ...prologue('note-1', '2021-04-30T14:42:30.0-04:00'),
      notesActionComments: 'Caller reports brother is suicidal, locked in his car.',
      agentReference: { $ref: 'tjones.atroop@state.pa.us' },
    },
  ];
  doc.cautionComponent = [
    {
      ...prologue('caution-1'),
      cautionTypeInternalText: 'Dog on premises',
      cautionTypeCommonRegistryText: 'Animal',
      cautionSeverity: 'Low',
      cautionSource: 'tjones.atroop@state.pa.us',
    },
    {
      ...prologue('caution-2'),
      cautionTypeInternalText: 'Subject previously fled on foot',
      cautionTypeCommonRegistryText: 'Flight risk',
      cautionSeverity: 'high',
    },
  ];
  return doc;
}
