import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HsdsImportError, ResourceService, parseHsdsPackage } from '../../src/shared/directory/hsds';
import { freshness, matchesQuery, rankServices } from '../../src/shared/directory/search';
import { requireReference } from '../../src/launch/reference-data';

const CSV_DIR = requireReference(join(__dirname, '..', '..'), 'hsdsCsv');

function shipped(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(CSV_DIR)) files[name] = readFileSync(join(CSV_DIR, name), 'utf8');
  return files;
}

const SERVICE_ID = 'ac148810-d857-441c-9679-408f346de14b';
const ORG_ID = 'd9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610';
const LOCATION_ID = '3a19ff88-4620-4d17-9830-ac1d859eb5d5';

function cell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
function row(...values: string[]): string {
  return values.map(cell).join(',');
}
/** Appends records to a CSV text that ends with or without a newline. */
function append(text: string, ...records: string[]): string {
  return `${text.replace(/\n*$/, '')}\n${records.join('\n')}\n`;
}
/** Minimal services.csv row following the shipped header (23 columns). */
function serviceRow(fields: { id: string; org: string; name: string; description?: string; status?: string; minAge?: string }): string {
  const cells = new Array<string>(23).fill('');
  cells[0] = fields.id;
  cells[1] = fields.org;
  cells[3] = fields.name;
  cells[5] = fields.description ?? '';
  cells[8] = fields.status ?? 'active';
  cells[16] = fields.minAge ?? '';
  return row(...cells);
}
/** phones.csv row following the shipped header (10 columns). */
function phoneRow(id: string, serviceId: string, number: string, type = 'voice'): string {
  return row(id, '', serviceId, '', '', '', number, '', type, '');
}

describe('parseHsdsPackage: the shipped HSDS 3.0 example', () => {
  const result = parseHsdsPackage(shipped());

  it('imports the one service, denormalized', () => {
    expect(result.rejected).toEqual([]);
    expect(result.services).toHaveLength(1);
    const s = result.services[0];
    expect(s.id).toBe(SERVICE_ID);
    expect(s.name).toBe('Community Counselling');
    expect(s.alternateName).toBe('MyCity Counselling Services');
    expect(s.organizationId).toBe(ORG_ID);
    expect(s.organizationName).toBe('Example Organization Inc.');
    expect(s.status).toBe('active');
    expect(s.email).toBe('email@example.com');
    expect(s.url).toBe('http://example.com/counselling');
    expect(s.description).toMatch(/^Counselling Services provided by trained professionals\./);
    expect(s.description.endsWith('circumstances.')).toBe(true); // trailing space trimmed
    expect(s.minimumAge).toBe(12);
    expect(s.maximumAge).toBe(100);
    expect(s.eligibilityDescription).toMatch(/aged 12 and over/);
    expect(s.assuredDate).toBe('2005-01-01');
    expect(s.lastModified).toBe('2023-03-15T10:30:45.123Z');
  });

  it('carries phones, languages, locations and the schedule', () => {
    const s = result.services[0];
    expect(s.phones).toEqual([
      {
        number: '+44 1234 234567',
        extension: '100',
        type: 'voice',
        description: expect.stringMatching(/^Our main reception phone number\./),
      },
    ]);
    expect(s.languages).toEqual(['Urdu']);
    expect(s.languageCodes).toEqual(['ur']);
    expect(s.locations).toEqual([
      { id: LOCATION_ID, name: 'MyCity Civic Center', address: '1-30 Main Street, MyVillage, MyCity, MyState ABC 1234, US' },
    ]);
    // The example attribute's link_entity is the placeholder 'link_entity', not 'service'.
    expect(s.taxonomyTerms).toEqual([]);
    expect(s.schedules).toHaveLength(1);
    expect(s.schedules[0]).toMatchObject({
      id: '48102e86-bb50-41c4-8f1e-e269368c41d1',
      freq: 'WEEKLY',
      byday: ['TH', 'FR'],
      byweekno: [41, 42],
      opensAt: '10:00',
      closesAt: '18:00',
      validFrom: '2005-01-01',
      validTo: '2005-01-01',
      timezone: 'UTC+03:00',
      serviceAtLocationId: 'e94c9f38-1e8f-4564-91d4-d53501ab1765',
      locationId: LOCATION_ID,
    });
    expect(s.timezone).toBe('UTC+03:00');
    expect(s.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(ResourceService.parse(s)).toEqual(s);
  });

  it('drops the impossible coordinates (latitude 100) with a warning, keeping the location', () => {
    expect(result.services[0].locations[0].lat).toBeUndefined();
    expect(result.warnings).toEqual([
      { file: 'locations.csv', line: 2, reason: expect.stringMatching(/latitude\/longitude '100', '101' is not a valid position/) },
    ]);
  });

  it('is deterministic: parsing twice gives identical records and content hashes', () => {
    const again = parseHsdsPackage(shipped());
    expect(again).toEqual(result);
    expect(again.services.map((s) => s.contentHash)).toEqual(result.services.map((s) => s.contentHash));
  });

  it('does not need datapackage.json, and accepts folder-prefixed file names', () => {
    const files = shipped();
    delete files['datapackage.json'];
    const prefixed = Object.fromEntries(Object.entries(files).map(([k, v]) => [`csv/${k}`, v]));
    const r = parseHsdsPackage(prefixed);
    expect(r.services).toEqual(result.services);
  });

  it('is searchable and reports freshness', () => {
    const s = result.services[0];
    expect(matchesQuery(s, { need: 'mental_health', language: 'ur', age: 30 })).toBe(true);
    expect(matchesQuery(s, { language: 'Urdu', text: 'counsel civic' })).toBe(true);
    expect(matchesQuery(s, { language: 'es' })).toBe(false);
    expect(matchesQuery(s, { age: 10 })).toBe(false);
    expect(matchesQuery(s, { need: 'housing' })).toBe(false);
    // Its only schedule expired in 2005: its hours are unknown, so it is listed, but never as open now.
    expect(rankServices(result.services, { at: new Date('2025-06-02T12:00:00Z') })).toEqual([{ service: s, score: -2, open: null }]);
    expect(rankServices(result.services, { openNow: true, at: new Date('2025-06-02T12:00:00Z') })).toEqual([]);
    expect(freshness(s, new Date('2025-06-01T00:00:00Z'))).toEqual({
      label: 'assured 20 years ago',
      stale: true,
      basis: 'assured',
      date: '2005-01-01',
    });
  });
});

describe('parseHsdsPackage: damaged and varied packages', () => {
  it('works with only organizations.csv and services.csv (optional tables missing)', () => {
    const all = shipped();
    const r = parseHsdsPackage({ 'organizations.csv': all['organizations.csv'], 'services.csv': all['services.csv'] });
    expect(r.rejected).toEqual([]);
    expect(r.services).toHaveLength(1);
    const s = r.services[0];
    expect(s.name).toBe('Community Counselling');
    expect(s.phones).toEqual([]);
    expect(s.locations).toEqual([]);
    expect(s.languages).toEqual([]);
    expect(s.schedules).toEqual([]);
    expect(s.taxonomyTerms).toEqual([]);
  });

  it('fails clearly when a required table is missing', () => {
    const all = shipped();
    const noServices = { ...all };
    delete noServices['services.csv'];
    expect(() => parseHsdsPackage(noServices)).toThrow(HsdsImportError);
    expect(() => parseHsdsPackage(noServices)).toThrow(/no services\.csv/);
    try {
      parseHsdsPackage(noServices);
    } catch (e) {
      expect((e as HsdsImportError).code).toBe('missing_table');
      expect((e as HsdsImportError).file).toBe('services.csv');
    }
    const noOrgs = { ...all };
    delete noOrgs['organizations.csv'];
    expect(() => parseHsdsPackage(noOrgs)).toThrow(/no organizations\.csv/);
  });

  it('fails clearly when a required table lacks its name column or is empty', () => {
    const all = shipped();
    const services = all['services.csv'].replace(/^id,organization_id,program_id,name,/, 'id,organization_id,program_id,title,');
    expect(() => parseHsdsPackage({ ...all, 'services.csv': services })).toThrow(/services\.csv has no 'name' column/);
    expect(() => parseHsdsPackage({ ...all, 'organizations.csv': '' })).toThrow(HsdsImportError);
  });

  it('imports services without an organization_id column, with the organization unknown', () => {
    const all = shipped();
    const services = all['services.csv'].replace(/^id,organization_id,/, 'id,org,');
    const r = parseHsdsPackage({ ...all, 'services.csv': services });
    expect(r.services.map((s) => [s.name, s.organizationName, s.organizationUnknown])).toEqual([['Community Counselling', 'Organization unknown', true]]);
    expect(r.warnings).toContainEqual({ file: 'services.csv', line: 2, reason: 'no organization_id; imported with the organization unknown' });
  });

  it('ignores extra columns (the content hash does not change)', () => {
    const all = shipped();
    const base = parseHsdsPackage(all).services[0];
    const withExtra = (text: string, value: string) =>
      text
        .replace(/\r?\n$/, '')
        .split(/\r?\n/)
        .map((l, i) => `${l},${i === 0 ? 'local_notes' : value}`)
        .join('\n');
    const r = parseHsdsPackage({
      ...all,
      'services.csv': withExtra(all['services.csv'], 'internal note'),
      'phones.csv': withExtra(all['phones.csv'], 'x'),
    });
    expect(r.rejected).toEqual([]);
    expect(r.services[0]).toEqual(base);
  });

  it('accepts a BOM and LF, CRLF or mixed line endings (the shipped files use CRLF)', () => {
    const all = shipped();
    const base = parseHsdsPackage(all);
    const variant = (fn: (text: string) => string) =>
      Object.fromEntries(Object.entries(all).map(([k, v]) => [k, k.endsWith('.csv') ? fn(v) : v]));
    const lf = (v: string) => v.replace(/\r\n/g, '\n');
    expect(parseHsdsPackage(variant(lf))).toEqual(base);
    expect(parseHsdsPackage(variant((v) => `\uFEFF${lf(v).replace(/\n/g, '\r\n')}`))).toEqual(base);
    expect(parseHsdsPackage(variant((v) => `\uFEFF${lf(v)}`))).toEqual(base);
  });

  it('treats empty cells as absent values', () => {
    const all = shipped();
    const services = append(
      all['services.csv'],
      serviceRow({ id: 'svc-empty', org: ORG_ID, name: 'Walk-in Crisis Café' }),
    );
    const r = parseHsdsPackage({ ...all, 'services.csv': services });
    expect(r.rejected).toEqual([]);
    const s = r.services.find((x) => x.id === 'svc-empty');
    expect(s).toBeDefined();
    expect(s).toMatchObject({ name: 'Walk-in Crisis Café', description: '', status: 'active', phones: [], schedules: [] });
    for (const key of ['email', 'url', 'minimumAge', 'maximumAge', 'assuredDate', 'lastModified', 'alternateName']) {
      expect(s).not.toHaveProperty(key);
    }
  });

  it('keeps quoted newlines and reports the starting line of multi-line records', () => {
    const all = shipped();
    const services = append(
      all['services.csv'], // header on line 1, the example service on line 2
      serviceRow({ id: 'svc-multi', org: ORG_ID, name: 'Mobile Crisis Team', description: 'Line one\nLine two\nLine three' }), // lines 3-5
      serviceRow({ id: 'svc-bad-org', org: 'no-such-org', name: 'Orphan', description: 'Spans\ntwo lines' }), // lines 6-7
      serviceRow({ id: '', org: ORG_ID, name: 'No id' }), // line 8
    );
    const r = parseHsdsPackage({ ...all, 'services.csv': services });
    expect(r.services.find((s) => s.id === 'svc-multi')?.description).toBe('Line one\nLine two\nLine three');
    expect(r.rejected).toEqual([]);
    // Line numbers are where each record starts.
    expect(r.warnings.filter((w) => w.file === 'services.csv').map((w) => [w.line, w.reason])).toEqual([
      [6, "organization_id 'no-such-org' matches no organization; imported with the organization unknown"],
      [8, expect.stringMatching(/^no id: 'svc-[0-9a-f]{20}' derived from the row's content$/)],
    ]);
  });

  it('derives a stable id for a row without one, from its table and content', () => {
    const all = shipped();
    const phones = append(all['phones.csv'], phoneRow('', SERVICE_ID, '555-0100'), phoneRow('ph-2', SERVICE_ID, '555-0101'));
    const r = parseHsdsPackage({ ...all, 'phones.csv': phones });
    expect(r.rejected).toEqual([]);
    expect(r.warnings).toContainEqual({ file: 'phones.csv', line: 3, reason: expect.stringMatching(/^no id: 'phone-[0-9a-f]{20}' derived/) });
    expect(r.services[0].phones.map((p) => p.number)).toEqual(['+44 1234 234567', '555-0100', '555-0101']);
    // The same row gets the same id in another import; an identical second row is a repeat, not a rejection.
    const again = parseHsdsPackage({ ...all, 'phones.csv': append(phones, phoneRow('', SERVICE_ID, '555-0100')) });
    expect(again.warnings.filter((w) => w.file === 'phones.csv')[0]).toEqual(r.warnings.find((w) => w.file === 'phones.csv'));
    const phonesTable = again.summary.tables.find((t) => t.table === 'phones');
    expect(phonesTable).toMatchObject({ read: 4, imported: 3, repaired: 1, rejected: 0, ignored: 1 });
    expect(phonesTable?.ignoredBecause).toEqual([{ reason: 'repeats an earlier row exactly', count: 1, lines: [5] }]);
  });

  it('imports a service whose organization is not in the package, with the organization unknown and a warning', () => {
    const all = shipped();
    const services = append(
      all['services.csv'],
      serviceRow({ id: 'svc-orphan', org: '00000000-0000-0000-0000-000000000000', name: 'Orphan Service' }),
      serviceRow({ id: 'svc-ok', org: ORG_ID, name: 'Crisis Line' }),
    );
    const phones = append(all['phones.csv'], phoneRow('ph-orphan', 'svc-orphan', '555-0199'), phoneRow('ph-ok', 'svc-ok', '988'));
    const r = parseHsdsPackage({ ...all, 'services.csv': services, 'phones.csv': phones });
    expect(r.services.map((s) => [s.name, s.organizationName, s.organizationUnknown ?? false])).toEqual([
      ['Community Counselling', 'Example Organization Inc.', false],
      ['Orphan Service', 'Organization unknown', true],
      ['Crisis Line', 'Example Organization Inc.', false],
    ]);
    expect(r.services[1].phones).toEqual([{ number: '555-0199', type: 'voice' }]);
    expect(r.rejected).toEqual([]);
    expect(r.summary.services.organizationUnknown).toBe(1);
    const svc = r.summary.tables.find((t) => t.table === 'services');
    expect(svc?.repairs).toEqual([{ reason: 'organization not in the package: imported with the organization unknown', count: 1, lines: [3] }]);
  });

  it('rejects dangling links, duplicates and bad values in optional tables with file, line and reason', () => {
    const all = shipped();
    const phones = append(all['phones.csv'], phoneRow('ph-x', 'no-such-service', '555-0000'), phoneRow('ph-y', SERVICE_ID, ''));
    const languages = append(
      all['languages.csv'],
      row('lang-es', SERVICE_ID, '', '', 'Spanish', 'es', ''),
      row('lang-es', SERVICE_ID, '', '', 'Spanish', 'es', ''),
    );
    const schedules = append(
      all['schedules.csv'],
      row('sch-bad', SERVICE_ID, '', '', '', '', '', '', '', '', '', 'WEEKLY', '', 'MO,XX', '', '', '', '', '09:00', '17:00', '', '', ''),
      row('sch-time', SERVICE_ID, '', '', '', '', '', '', '', '', '', 'WEEKLY', '', 'MO', '', '', '', '', 'nine', '17:00', '', '', ''),
    );
    const sal = append(all['service_at_location.csv'], row('sal-x', SERVICE_ID, 'no-such-location', ''));
    const r = parseHsdsPackage({
      ...all,
      'phones.csv': phones,
      'languages.csv': languages,
      'schedules.csv': schedules,
      'service_at_location.csv': sal,
    });
    expect(r.rejected).toEqual([
      { file: 'languages.csv', line: 4, reason: "duplicate id 'lang-es' (first used on line 3)" },
      { file: 'phones.csv', line: 3, reason: "service_id 'no-such-service' does not match any id in services.csv" },
      { file: 'phones.csv', line: 4, reason: 'missing number' },
      { file: 'schedules.csv', line: 3, reason: "byday 'MO,XX' has 'XX', which is not a weekday (MO, TU, WE, TH, FR, SA, SU)" },
      { file: 'schedules.csv', line: 4, reason: "opens_at 'nine' is not a time (HH:MM)" },
      { file: 'service_at_location.csv', line: 3, reason: "location_id 'no-such-location' does not match any id in locations.csv" },
    ]);
    const s = r.services[0];
    expect(s.languages).toEqual(['Spanish', 'Urdu']);
    expect(s.languageCodes).toEqual(['es', 'ur']);
    expect(s.phones).toHaveLength(1);
    expect(s.schedules).toHaveLength(1);
    expect(s.locations).toHaveLength(1);
  });

  it('rejects a whole optional table that lacks a key column, and carries on', () => {
    const all = shipped();
    const phones = all['phones.csv'].replace(',number,', ',phone_number,');
    const r = parseHsdsPackage({ ...all, 'phones.csv': phones });
    expect(r.rejected).toEqual([{ file: 'phones.csv', line: 1, reason: "phones.csv has no 'number' column; table ignored" }]);
    expect(r.services[0].phones).toEqual([]);
    expect(r.services[0].languages).toEqual(['Urdu']);
  });

  it('rejects an unterminated quoted field without losing the rows before it', () => {
    const all = shipped();
    const languages = append(all['languages.csv'], row('lang-pl', SERVICE_ID, '', '', 'Polish', 'pl', ''), 'lang-bad,ac148810,,,"Slovak,sk,');
    const r = parseHsdsPackage({ ...all, 'languages.csv': languages });
    expect(r.rejected).toEqual([
      { file: 'languages.csv', line: 4, reason: 'unreadable CSV record: a quoted field is never closed' },
    ]);
    expect(r.services[0].languages).toEqual(['Polish', 'Urdu']);
  });

  it('validates status: an unknown value rejects the row, an empty one is taken as active with a warning', () => {
    const all = shipped();
    const services = append(
      all['services.csv'],
      serviceRow({ id: 'svc-pending', org: ORG_ID, name: 'Pending', status: 'pending' }),
      serviceRow({ id: 'svc-nostatus', org: ORG_ID, name: 'No Status', status: '' }),
      serviceRow({ id: 'svc-closed', org: ORG_ID, name: 'Closed For Now', status: 'Temporarily_Closed' }),
    );
    const r = parseHsdsPackage({ ...all, 'services.csv': services });
    expect(r.rejected).toEqual([
      { file: 'services.csv', line: 3, reason: "status 'pending' is not one of active, inactive, defunct, temporarily closed" },
    ]);
    expect(r.services.map((s) => [s.name, s.status])).toEqual([
      ['Community Counselling', 'active'],
      ['No Status', 'active'],
      ['Closed For Now', 'temporarily closed'],
    ]);
    expect(r.warnings).toContainEqual({ file: 'services.csv', line: 4, reason: "status is empty; taken as 'active'" });
  });

  it('links taxonomy terms to services through attributes (link_entity=service)', () => {
    const all = shipped();
    const terms = append(
      all['taxonomy_terms.csv'],
      row('term-mh', 'BF-4500', 'Mental Health Care', 'Services for mental health', '', '', 'eng', '5c4d79d7-cc55-470e-9f1f-8cad074e4892', ''),
    );
    const attributes = append(
      all['attributes.csv'],
      row('attr-1', SERVICE_ID, 'term-mh', '', 'service', ''),
      row('attr-2', SERVICE_ID, 'no-such-term', '', 'service', ''),
    );
    const r = parseHsdsPackage({ ...all, 'taxonomy_terms.csv': terms, 'attributes.csv': attributes });
    expect(r.services[0].taxonomyTerms).toEqual([{ id: 'term-mh', code: 'BF-4500', name: 'Mental Health Care', taxonomy: 'name' }]);
    expect(r.rejected).toEqual([
      { file: 'attributes.csv', line: 4, reason: "taxonomy_term_id 'no-such-term' does not match any id in taxonomy_terms.csv" },
    ]);
    expect(matchesQuery(r.services[0], { taxonomyTerm: 'BF' })).toBe(true);
    expect(matchesQuery(r.services[0], { taxonomyTerm: 'mental health care' })).toBe(true);
    expect(matchesQuery(r.services[0], { taxonomyTerm: 'BD' })).toBe(false);
  });

  it('follows datapackage.json resource paths', () => {
    const all = shipped();
    const dp = JSON.parse(all['datapackage.json']) as { resources: { name: string; path: string }[] };
    for (const res of dp.resources) if (res.name === 'service') res.path = 'data/svc.csv';
    const files: Record<string, string> = { ...all, 'datapackage.json': JSON.stringify(dp), 'svc.csv': all['services.csv'] };
    delete files['services.csv'];
    expect(parseHsdsPackage(files).services.map((s) => s.name)).toEqual(['Community Counselling']);
  });

  it('changes the hash only of the service whose content changed; row order does not matter', () => {
    const all = shipped();
    const services = append(all['services.csv'], serviceRow({ id: 'svc-2', org: ORG_ID, name: 'Crisis Line' }));
    const phones = append(all['phones.csv'], phoneRow('ph-a', 'svc-2', '988'), phoneRow('ph-b', 'svc-2', '555-0100', 'text'));
    const before = parseHsdsPackage({ ...all, 'services.csv': services, 'phones.csv': phones });

    const reordered = append(all['phones.csv'], phoneRow('ph-b', 'svc-2', '555-0100', 'text'), phoneRow('ph-a', 'svc-2', '988'));
    const same = parseHsdsPackage({ ...all, 'services.csv': services, 'phones.csv': reordered });
    expect(same.services.map((s) => s.contentHash)).toEqual(before.services.map((s) => s.contentHash));

    const changed = append(all['phones.csv'], phoneRow('ph-a', 'svc-2', '988'), phoneRow('ph-b', 'svc-2', '555-0199', 'text'));
    const after = parseHsdsPackage({ ...all, 'services.csv': services, 'phones.csv': changed });
    expect(after.services[0].contentHash).toBe(before.services[0].contentHash);
    expect(after.services[1].contentHash).not.toBe(before.services[1].contentHash);
  });
});

describe('search over imported services', () => {
  const all = shipped();
  const services = append(
    all['services.csv'],
    serviceRow({ id: 'svc-cafe', org: ORG_ID, name: 'Crisis Café', description: 'Peer support and counselling drop-in for adults.' }),
    serviceRow({ id: 'svc-defunct', org: ORG_ID, name: 'Old Counselling Line', status: 'defunct' }),
    serviceRow({ id: 'svc-shelter', org: ORG_ID, name: 'Night Shelter', description: 'Emergency beds for people who are homeless.' }),
  );
  const { services: list } = parseHsdsPackage({ ...all, 'services.csv': services });
  const byId = Object.fromEntries(list.map((s) => [s.id, s]));
  const counselling = byId[SERVICE_ID];
  const NOW = new Date('2025-06-01T00:00:00Z');

  it('matches words by prefix, ignoring case, accents and small words', () => {
    expect(matchesQuery(counselling, { text: 'COUNSEL' })).toBe(true);
    expect(matchesQuery(counselling, { text: 'counselling for anxiety' })).toBe(true);
    expect(matchesQuery(counselling, { text: 'counselling housing' })).toBe(false);
    expect(matchesQuery(byId['svc-cafe'], { text: 'cafe' })).toBe(true);
    expect(matchesQuery(counselling, { text: 'Example Organization' })).toBe(true);
    expect(matchesQuery(counselling, { text: 'Main Street' })).toBe(true);
  });

  it('matches needs by their keywords; unknown needs are searched as words', () => {
    expect(list.filter((s) => matchesQuery(s, { need: 'mental_health' })).map((s) => s.id)).toEqual([SERVICE_ID, 'svc-cafe']);
    expect(list.filter((s) => matchesQuery(s, { need: 'housing' })).map((s) => s.id)).toEqual(['svc-shelter']);
    expect(list.filter((s) => matchesQuery(s, { need: 'eating disorders' })).map((s) => s.id)).toEqual([SERVICE_ID]);
  });

  it('leaves out services that are not active unless asked', () => {
    expect(matchesQuery(byId['svc-defunct'], { text: 'counselling' })).toBe(false);
    expect(matchesQuery(byId['svc-defunct'], { text: 'counselling', includeInactive: true })).toBe(true);
  });

  it('checks age bounds inclusively and languages by name or code', () => {
    expect([11, 12, 100, 101].map((age) => matchesQuery(counselling, { age }))).toEqual([false, true, true, false]);
    expect(matchesQuery(byId['svc-cafe'], { age: 5 })).toBe(true); // no bounds
    expect(matchesQuery(counselling, { language: 'URDU' })).toBe(true);
    expect(matchesQuery(counselling, { language: 'ur-PK' })).toBe(true);
    expect(matchesQuery(byId['svc-cafe'], { language: 'ur' })).toBe(false); // lists no languages
  });

  it('ranks a name match above a description match', () => {
    const ranked = rankServices(list, { text: 'counselling', at: NOW });
    expect(ranked.map((r) => r.service.id)).toEqual([SERVICE_ID, 'svc-cafe']);
    expect(ranked[0].score).toBeGreaterThan(ranked[1].score);
  });

  it('labels freshness from assured_date, else last_modified, and marks more than 12 months as stale', () => {
    const f = (assuredDate?: string, lastModified?: string) =>
      freshness({ ...counselling, assuredDate, lastModified }, NOW);
    expect(f('2025-03-01')).toEqual({ label: 'assured 3 months ago', stale: false, basis: 'assured', date: '2025-03-01' });
    expect(f('2025-06-01').label).toBe('assured today');
    expect(f('2025-05-31').label).toBe('assured yesterday');
    expect(f('2025-05-20').label).toBe('assured 12 days ago');
    expect(f('2025-05-01').label).toBe('assured 1 month ago');
    expect(f('2024-06-01')).toMatchObject({ label: 'assured 1 year ago', stale: false });
    expect(f('2024-05-31')).toMatchObject({ label: 'assured 1 year ago', stale: true });
    expect(f(undefined, '2023-03-15T10:30:45.123Z')).toMatchObject({ label: 'updated 2 years ago', stale: true, basis: 'modified' });
    expect(f(undefined, undefined)).toEqual({ label: 'never assured', stale: true, basis: 'none' });
  });
});
