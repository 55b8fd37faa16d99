/**
 * Older HSDS layouts and damaged packages, as real 211 and legal-aid directories come:
 * an HSDS 1.x package written for Tandem (tests/fixtures/hsds-1x), a directory whose rows
 * lack ids and whose services name organizations it does not describe, and the summary
 * that says what happened to every table.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHsdsPackage, problemsCsv, type HsdsParseResult } from '../../src/shared/directory';

const FIXTURE = path.resolve(__dirname, '../fixtures/hsds-1x');
const legacyFiles = () => Object.fromEntries(readdirSync(FIXTURE).map((f) => [f, readFileSync(path.join(FIXTURE, f), 'utf8')]));
const table = (r: HsdsParseResult, name: string) => r.summary.tables.find((t) => t.table === name);

describe('an HSDS 1.x package', () => {
  const r = parseHsdsPackage(legacyFiles());
  const byId = Object.fromEntries(r.services.map((s) => [s.id, s]));

  it('is recognized as 1.x/2.x and every service comes through', () => {
    expect(r.summary.layout).toBe('HSDS 1.x/2.x');
    expect(r.services.map((s) => s.name).sort()).toEqual(['Benefits Appeals', 'Eviction Defense', 'Expungement Help', 'Immigration Consultations', 'Saturday Legal Clinic']);
  });

  it('reads physical addresses before postal ones, and regular schedules as weekly hours', () => {
    expect(byId['svc-eviction']?.locations).toEqual([
      { id: 'loc-main', name: 'Harbor Legal Aid main office', address: '600 Massachusetts Ave, Suite 3, Cambridge, MA 02139, US', lat: 42.3652, lon: -71.1036 },
    ]);
    expect(byId['svc-eviction']?.schedules.map((s) => [s.byday, s.opensAt, s.closesAt])).toEqual([
      [['MO'], '09:00', '17:00'],
      [['WE'], '09:00', '17:00'],
    ]);
    // Numbered weekdays are ISO (1 = Monday), and the package is told so once.
    expect(byId['svc-benefits']?.schedules.map((s) => s.byday[0]).sort()).toEqual(['TH', 'TU']);
    expect(r.summary.notes).toEqual([expect.stringMatching(/^regular_schedules\.csv numbers its weekdays: read as ISO 8601/)]);
  });

  it('reads taxonomy through services_taxonomy, languages from one language column, eligibility and fees', () => {
    const s = byId['svc-eviction'];
    expect(s?.taxonomyTerms).toEqual([
      { id: 'tx-housing', name: 'Housing', taxonomy: 'Open Eligibility' },
      { id: 'tx-legal', name: 'Legal Services', taxonomy: 'Open Eligibility' },
    ]);
    expect([s?.languages, s?.languageCodes]).toEqual([['Spanish', 'ht'], ['ht']]);
    expect(s?.eligibilityDescription).toBe('Tenants in Cambridge and Somerville; Household income under 200% of poverty line');
    expect(s?.feesDescription).toBe('Free');
  });

  it('gives a service without a phone of its own the phone of its location, else of its organization', () => {
    expect(byId['svc-eviction']?.phones.map((p) => [p.number, p.inheritedFrom])).toEqual([
      ['617-555-0131', undefined],
      ['617-555-0132', undefined],
    ]);
    expect(byId['svc-clinic']?.phones).toEqual([{ number: '617-555-0190', type: 'voice', description: 'Library front desk', inheritedFrom: 'location' }]);
    expect(byId['svc-benefits']?.phones).toEqual([{ number: '617-555-0100', type: 'voice', description: 'Main line', inheritedFrom: 'organization' }]);
  });

  it('imports the service whose organization is missing, and derives ids for rows without one', () => {
    expect(byId['svc-immigration']).toMatchObject({ organizationId: 'org-gone', organizationName: 'Organization unknown', organizationUnknown: true });
    const derived = r.services.find((s) => s.name === 'Expungement Help');
    expect(derived?.id).toMatch(/^svc-[0-9a-f]{20}$/);
    // Stable: the same package gives the same ids and records.
    expect(parseHsdsPackage(legacyFiles()).services).toEqual(r.services);
  });

  it('counts every table: read, imported, repaired, rejected, ignored, with the reasons and their lines', () => {
    expect(table(r, 'phones')).toMatchObject({ read: 6, imported: 4, repaired: 1, rejected: 1, ignored: 1 });
    expect(table(r, 'phones')?.rejections).toEqual([{ reason: 'linked to no service, location or organization', count: 1, lines: [7] }]);
    expect(table(r, 'phones')?.ignoredBecause).toEqual([{ reason: "a contact's phone: contacts are not part of the directory", count: 1, lines: [6] }]);
    expect(table(r, 'regular_schedules')).toMatchObject({ read: 7, imported: 5, repaired: 2, rejected: 1, ignored: 1 });
    expect(table(r, 'service_at_location')).toMatchObject({ file: 'services_at_location.csv', read: 4, imported: 4, repaired: 3 });
    expect(r.summary.services).toEqual({ imported: 5, withPhone: 4, withAddress: 4, withHours: 3, organizationUnknown: 1 });
  });

  it('says which files were not read, and why', () => {
    expect(r.summary.ignoredFiles).toEqual([
      { file: 'contacts.csv', reason: 'named contacts are not part of the directory' },
      { file: 'holiday_schedules.csv', reason: expect.stringMatching(/^holiday closures .* not modelled/) },
      { file: 'volunteer_roster.csv', reason: 'not an HSDS table Tandem reads' },
    ]);
  });

  it('writes the full problem list as CSV', () => {
    const csv = problemsCsv(r.problems).trim().split('\n');
    expect(csv[0]).toBe('table,file,line,outcome,reason');
    expect(csv).toContain('phones,phones.csv,7,rejected,"linked to no service, location or organization"');
    expect(csv).toHaveLength(1 + r.problems.length);
  });
});

describe('finding the tables', () => {
  it('finds services_at_location.csv through datapackage.json, and also without it', () => {
    const files = legacyFiles();
    const withDp = parseHsdsPackage({
      ...files,
      'datapackage.json': JSON.stringify({ resources: [{ name: 'service_at_location', path: 'data/services_at_location.csv' }] }),
    });
    expect(withDp.services).toEqual(parseHsdsPackage(files).services);
    expect(withDp.services.every((s) => s.name === 'Expungement Help' || s.locations.length === 1)).toBe(true);
  });

  it('reports a datapackage.json resource whose file is missing, and a second file for the same table', () => {
    const files = legacyFiles();
    const r = parseHsdsPackage({
      ...files,
      'service_at_location.csv': files['services_at_location.csv'] as string,
      'datapackage.json': JSON.stringify({ resources: [{ name: 'phone', path: 'phone_numbers.csv' }] }),
    });
    expect(r.summary.ignoredFiles).toEqual(
      expect.arrayContaining([
        { file: 'phone_numbers.csv', reason: 'datapackage.json lists resource "phone" here, but the package has no such file' },
        { file: 'services_at_location.csv', reason: 'another file (service_at_location.csv) already holds service_at_location' },
      ]),
    );
  });

  it('reads HSDS 2.x taxonomy (term column, service_attributes) and numeric time zones', () => {
    const r = parseHsdsPackage({
      'organizations.csv': 'id,name\no1,Org\n',
      'services.csv': 'id,organization_id,name,status\ns1,o1,Food Pantry,active\n',
      'taxonomy_terms.csv': 'id,term,description,parent_id,taxonomy,language\nt1,Food Pantries,Food,,Open Eligibility,en\n',
      'service_attributes.csv': 'id,service_id,taxonomy_term_id\na1,s1,t1\n',
      'schedules.csv': 'id,service_id,freq,byday,opens_at,closes_at,timezone\nsch1,s1,WEEKLY,MO,09:00,12:00,-5\n',
    });
    expect(r.summary.layout).toBe('HSDS 1.x/2.x');
    expect(r.services[0]?.taxonomyTerms).toEqual([{ id: 't1', name: 'Food Pantries', taxonomy: 'Open Eligibility' }]);
    expect(r.services[0]?.schedules[0]).toMatchObject({ byday: ['MO'], opensAt: '09:00', timezone: 'UTC-05:00' });
  });
});

describe('a directory converted badly (the legal-aid case): nothing usable is lost', () => {
  /** 40 services, half naming organizations the package lacks; phones, services-at-location and schedules without ids. */
  function convertedPackage(): Record<string, string> {
    const services = ['id,organization_id,name,description,status'];
    const locations = ['id,name'];
    const addresses = ['id,location_id,address_1,city,state_province,postal_code,country'];
    const sal = ['id,service_id,location_id'];
    const phones = ['id,service_id,organization_id,number,type'];
    const schedules = ['id,service_id,freq,byday,opens_at,closes_at'];
    for (let i = 0; i < 40; i++) {
      services.push(`s${i},${i % 2 ? `org-missing-${i}` : 'org-1'},Legal help ${i},Advice on tenancy and benefits,active`);
      locations.push(`l${i},Office ${i}`);
      addresses.push(`a${i},l${i},${i + 1} Main St,Springfield,IL,62701,US`);
      sal.push(`,s${i},l${i}`);
      phones.push(i % 3 ? `,s${i},,217-555-${String(1000 + i)},voice` : `,,org-1,217-555-0100,voice`);
      schedules.push(`,s${i},WEEKLY,MO,09:00,17:00`);
    }
    return {
      'organizations.csv': 'id,name\norg-1,Prairie Legal Services\n',
      'services.csv': services.join('\n'),
      'locations.csv': locations.join('\n'),
      'addresses.csv': addresses.join('\n'),
      'service_at_location.csv': sal.join('\n'),
      'phones.csv': phones.join('\n'),
      'schedules.csv': schedules.join('\n'),
    };
  }

  it('imports every service with its address and hours, a phone wherever one applies, and says what it repaired', () => {
    const r = parseHsdsPackage(convertedPackage());
    expect(r.rejected).toEqual([]);
    // The 7 without a phone are those with no phone of their own whose organization is unknown.
    expect(r.summary.services).toEqual({ imported: 40, withPhone: 33, withAddress: 40, withHours: 40, organizationUnknown: 20 });
    expect(table(r, 'services')?.repairs).toEqual([{ reason: 'organization not in the package: imported with the organization unknown', count: 20, lines: [3, 5, 7, 9, 11] }]);
    for (const name of ['service_at_location', 'schedules']) {
      expect(table(r, name)).toMatchObject({ read: 40, imported: 40, repaired: 40, rejected: 0 });
      expect(table(r, name)?.repairs).toEqual([{ reason: "no id: one was derived from the row's content", count: 40, lines: [2, 3, 4, 5, 6] }]);
    }
    // The organization's phone, repeated on 14 rows without ids, is one phone: the repeats are not errors.
    expect(table(r, 'phones')).toMatchObject({ read: 40, imported: 27, repaired: 27, rejected: 0, ignored: 13 });
    // Services with the organization unknown do not get another organization's phone.
    const orphanWithoutPhone = r.services.filter((s) => s.organizationUnknown && s.phones.some((p) => p.inheritedFrom === 'organization'));
    expect(orphanWithoutPhone).toEqual([]);
  });
});
