import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyDir, hsdsFiles, shippedHsdsDir, writeHsdsPackage, type SyntheticService } from '../helpers/hsds-package';
import { parseHsdsPackage, rankServices } from '../../src/shared/directory';
import { rejection, startCore, type TestCore } from './caseload.helpers';

const REPO = path.resolve(__dirname, '..', '..');
const SHIPPED = shippedHsdsDir(REPO);
const LEGACY = path.resolve(__dirname, '..', 'fixtures', 'hsds-1x');
const SHIPPED_ID = 'ac148810-d857-441c-9679-408f346de14b';

let t: TestCore;
// Monday 10 March 2025, 15:00 UTC = 11:00 in Boston.
let clock = Date.parse('2025-03-10T15:00:00Z');

beforeEach(async () => {
  clock = Date.parse('2025-03-10T15:00:00Z');
  // A supervisor: importing the shared directory needs directory.manage (issue 13).
  t = await startCore({ role: 'supervisor', now: () => clock });
});
afterEach(() => t.close());

const MH = { id: 'term-mh', code: 'RP-1400', name: 'Mental Health Care' };
const FOOD = { id: 'term-food', code: 'BD-1800', name: 'Food Pantries' };
const SERVICES: SyntheticService[] = [
  {
    id: 'svc-harbor',
    name: 'Harbor Counseling',
    organization: 'Harbor Health',
    description: 'Outpatient counselling for adults with depression or anxiety.',
    languages: [
      { name: 'English', code: 'en' },
      { name: 'Spanish', code: 'es' },
    ],
    minAge: 18,
    terms: [MH],
    schedule: { byday: 'MO,TU,WE,TH,FR', opens: '09:00', closes: '17:00', timezone: 'America/New_York' },
    phone: '617-555-0101',
    address: '12 Harbor St',
    assuredDate: '2025-01-15',
  },
  {
    id: 'svc-teen',
    name: 'Teen Line',
    organization: 'Youth Alliance',
    description: 'Peer support line for young people.',
    languages: [{ name: 'English', code: 'en' }],
    minAge: 12,
    maxAge: 19,
    terms: [MH],
    schedule: { byday: 'SA,SU', opens: '18:00', closes: '22:00', timezone: 'America/New_York' },
    lastModified: '2022-06-01T00:00:00Z',
  },
  {
    id: 'svc-pantry',
    name: 'Central Square Food Pantry',
    organization: 'Cambridge Community Center',
    description: 'Groceries every weekday.',
    languages: [
      { name: 'Haitian Creole', code: 'ht' },
      { name: 'Spanish', code: 'es-MX' },
    ],
    terms: [FOOD],
  },
];

function pkg(name: string, services = SERVICES): string {
  return writeHsdsPackage(path.join(t.dir, name), services);
}

const ids = async (q: Parameters<TestCore['call']>[1] & object) =>
  (await t.call('directory.search', q as never)).rows.map((r) => r.id).sort();

describe('directory.import', () => {
  it('imports the shipped HSDS example, and importing it again changes nothing', async () => {
    const first = await t.call('directory.import', { dir: SHIPPED });
    expect(first).toMatchObject({ services: 1, added: 1, updated: 0, unchanged: 0, rejected: [], notInPackage: 0 });
    const outbox = t.count('outbox');
    const rows = JSON.stringify(t.core.store.db.prepare('SELECT * FROM resource_service').all());

    const second = await t.call('directory.import', { dir: SHIPPED });
    expect(second).toMatchObject({ services: 1, added: 0, updated: 0, unchanged: 1, rejected: [] });
    expect(t.count('outbox')).toBe(outbox);
    expect(JSON.stringify(t.core.store.db.prepare('SELECT * FROM resource_service').all())).toBe(rows);

    const entry = await t.call('directory.get', { id: SHIPPED_ID });
    expect(entry.service.name).toBe('Community Counselling');
    expect(entry.freshness).toMatchObject({ label: expect.stringMatching(/^assured \d+ years ago$/), stale: true, date: '2005-01-01' });
    const found = await t.call('directory.search', { text: 'counsel' });
    expect(found.rows.map((r) => r.id)).toEqual([SHIPPED_ID]);
  });

  it('writes the rows through the replica store, so they sync', async () => {
    await t.call('directory.import', { dir: pkg('a') });
    const ops = t.core.store.outboxBatch(100).filter((o) => o.entity === 'resource_service');
    expect(ops.map((o) => o.id).sort()).toEqual(['svc-harbor', 'svc-pantry', 'svc-teen']);
    expect(ops[0].fields).toMatchObject({ contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('updates only what changed, and counts what the package no longer lists', async () => {
    await t.call('directory.import', { dir: pkg('a') });
    const changed = SERVICES.slice(0, 2).map((s) => (s.id === 'svc-teen' ? { ...s, description: 'Peer support, now texting too.' } : s));
    const report = await t.call('directory.import', { dir: pkg('b', changed) });
    expect(report).toMatchObject({ services: 2, added: 0, updated: 1, unchanged: 1, notInPackage: 1 });
    expect((await t.call('directory.get', { id: 'svc-teen' })).service.description).toBe('Peer support, now texting too.');
  });

  it('reports every rejected row of a damaged copy with file, line and reason, and imports the rest', async () => {
    const dir = copyDir(SHIPPED, path.join(t.dir, 'damaged'));
    const services = fs.readFileSync(path.join(dir, 'services.csv'), 'utf8').replace(/\n*$/, '\n');
    fs.writeFileSync(
      path.join(dir, 'services.csv'),
      services +
        // line 3: no name; line 4: an organization that does not exist; line 5: fine, with a quoted newline
        'svc-noname,d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610,,,,,,,active\n' +
        'svc-orphan,no-such-org,,Orphan Service,,,,,active\n' +
        'svc-ok,d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610,,Walk-in Clinic,,"Two lines\nof description",,,active\n',
    );
    fs.appendFileSync(path.join(dir, 'phones.csv'), 'ph-bad,,svc-missing,,,,555-0000,,voice,\n');
    const report = await t.call('directory.import', { dir });
    // The orphan is imported with its organization unknown (a warning), not rejected.
    expect(report.services).toBe(3);
    expect(report.rejected).toEqual(
      expect.arrayContaining([
        { file: 'services.csv', line: 3, reason: expect.stringMatching(/name/) },
        { file: 'phones.csv', line: expect.any(Number), reason: expect.stringMatching(/svc-missing/) },
      ]),
    );
    expect(report.warnings).toContainEqual({ file: 'services.csv', line: 4, reason: expect.stringMatching(/organization unknown/) });
    expect((await t.call('directory.get', { id: 'svc-ok' })).service.description).toBe('Two lines\nof description');
  });

  it('ends with a per-table summary, the services with hours unknown, and every problem in a file (1.x package)', async () => {
    const report = await t.call('directory.import', { dir: LEGACY });
    expect(report.summary.layout).toBe('HSDS 1.x/2.x');
    const table = (name: string) => report.summary.tables.find((x) => x.table === name);
    // Every row of every table is accounted for: imported (some repaired), rejected or ignored.
    for (const x of report.summary.tables) expect(x.imported + x.rejected + x.ignored, x.table).toBe(x.read);
    expect(table('services')).toMatchObject({ read: 5, rejected: 0, imported: 5 });
    expect(table('regular_schedules')).toMatchObject({ read: 7 });
    expect(table('regular_schedules')!.rejected).toBeGreaterThan(0); // "Funday"
    expect(table('taxonomy')).toBeDefined();
    expect(table('physical_addresses')).toBeDefined();
    expect(report.summary.services.organizationUnknown).toBe(1);
    expect(report.hoursUnknown).toBe(report.summary.services.imported - report.summary.services.withHours);
    expect(report.hoursUnknown).toBeGreaterThan(0);
    expect(report.rejectedCount).toBe(report.rejected.length);
    expect(report.warningCount).toBe(report.warnings.length);
    // The full list: a CSV in the console's profile, one line per problem.
    expect(report.problemsFile).toBeTruthy();
    const csv = fs.readFileSync(report.problemsFile!, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('table,file,line,outcome,reason');
    expect(csv.length - 1).toBeGreaterThanOrEqual(report.rejectedCount + report.warningCount);
    expect(csv.some((l) => /regular_schedules\.csv,8,rejected,/.test(l))).toBe(true);
    expect(path.dirname(report.problemsFile!)).toBe(path.join(t.dir, 'directory-imports'));
    // Unknown hours are never "open now".
    const open = await t.call('directory.search', { openNow: true, limit: 500 });
    expect(open.rows.every((r) => r.open === true)).toBe(true);
  });

  it('tells its progress, keeps answering the console while it parses, and runs one import at a time', async () => {
    const many: SyntheticService[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `svc-${i}`,
      name: `Service ${i}`,
      description: 'Counselling and food help for families across the county',
      phone: `617-555-${String(i % 10000).padStart(4, '0')}`,
      address: `${i} Main St`,
      terms: [i % 2 ? MH : FOOD],
      schedule: i % 3 ? { byday: 'MO,TU,WE,TH,FR', opens: '09:00', closes: '17:00', timezone: 'America/New_York' } : undefined,
    }));
    const dir = pkg('big', many);
    const seen: string[] = [];
    // Turns of the core's event loop: parsed inline, reading to writing would take none.
    let turns = 0;
    let turning = true;
    const turn = () => {
      turns++;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const turnsAt: Record<string, number> = {};
    const off = t.core.on('directory.import.progress', (p) => {
      expect(p.dir).toBe(dir);
      seen.push(p.stage);
      turnsAt[p.stage] ??= turns;
    });
    const importing = t.call('directory.import', { dir });
    // Another import while this one runs is refused, naming the one under way.
    const second = await rejection(t.call('directory.import', { dir: pkg('a') }));
    expect(second.code).toBe('conflict');
    expect(second.message).toMatch(/already under way/);
    const report = await importing;
    turning = false;
    off();
    expect(turnsAt.writing! - turnsAt.reading!).toBeGreaterThan(0);
    expect(report).toMatchObject({ services: 3000, added: 3000, hoursUnknown: 1000 });
    expect(report.summary.services).toMatchObject({ imported: 3000, withPhone: 3000, withAddress: 3000, withHours: 2000 });
    expect(seen[0]).toBe('reading');
    expect(seen).toEqual(expect.arrayContaining(['reading', 'parsing', 'writing', 'indexing']));
    expect(seen.at(-1)).toBe('done');
    expect((await t.call('directory.search', { text: 'service 2999' })).rows[0]?.id).toBe('svc-2999');
  });

  it('a row arriving by sync while a package is parsed is searchable after the import, as is the package', async () => {
    const s = { ...SERVICES[0], id: 'svc-remote', name: 'Riverside Crisis Team', description: 'Mobile crisis response' };
    const other = await startCore({ role: 'supervisor' });
    let op;
    try {
      await other.call('directory.import', { dir: writeHsdsPackage(path.join(t.dir, 'remote'), [s]) });
      op = other.core.store.outboxBatch(10).find((o) => o.id === 'svc-remote')!;
    } finally {
      other.close();
    }
    await t.call('directory.search', {}); // the directory in hand before the import
    let applied = false;
    const off = t.core.on('directory.import.progress', (p) => {
      if (p.stage === 'parsing' && !applied) {
        applied = true;
        t.core.store.applyRemote([op]);
      }
    });
    await t.call('directory.import', { dir: pkg('a') });
    off();
    expect(applied).toBe(true);
    expect(await ids({ text: 'riverside' })).toEqual(['svc-remote']);
    expect(await ids({ text: 'counsel' })).toEqual(['svc-harbor']);
  });

  it('tells a failed import as failed', async () => {
    const seen: string[] = [];
    const off = t.core.on('directory.import.progress', (p) => seen.push(`${p.stage}: ${p.step}`));
    await rejection(t.call('directory.import', { dir: path.join(t.dir, 'nope') }));
    off();
    expect(seen.at(-1)).toMatch(/^failed: Cannot read the folder/);
  });

  it('refuses a folder without the required tables, naming the problem, and writes nothing', async () => {
    const dir = path.join(t.dir, 'empty');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'services.csv'), 'id,organization_id,name\ns1,o1,Thing\n');
    const err = await rejection(t.call('directory.import', { dir }));
    expect(err.code).toBe('bad_request');
    expect(err.message).toMatch(/organizations/);
    expect(t.count('resource_service')).toBe(0);
    expect((await rejection(t.call('directory.import', { dir: path.join(t.dir, 'nope') }))).message).toMatch(/Cannot read the folder/);
  });
});

describe('directory.search', () => {
  beforeEach(async () => {
    await t.call('directory.import', { dir: pkg('a') });
  });

  it('by free text and by need', async () => {
    expect(await ids({ text: 'counsel' })).toEqual(['svc-harbor']);
    expect(await ids({ text: 'peer support young' })).toEqual(['svc-teen']);
    expect(await ids({ need: 'mental_health' })).toEqual(['svc-harbor', 'svc-teen']);
    expect(await ids({ need: 'food' })).toEqual(['svc-pantry']);
    expect(await ids({ need: 'youth' })).toEqual(['svc-teen']);
    expect(await ids({ text: 'for the' })).toEqual(['svc-harbor', 'svc-pantry', 'svc-teen']);
  });

  it('by taxonomy term (id, name or code prefix)', async () => {
    expect(await ids({ taxonomyTerm: 'term-mh' })).toEqual(['svc-harbor', 'svc-teen']);
    expect(await ids({ taxonomyTerm: 'Food Pantries' })).toEqual(['svc-pantry']);
    expect(await ids({ taxonomyTerm: 'BD' })).toEqual(['svc-pantry']);
  });

  it('by language, name or code', async () => {
    expect(await ids({ language: 'Spanish' })).toEqual(['svc-harbor', 'svc-pantry']);
    expect(await ids({ language: 'es' })).toEqual(['svc-harbor', 'svc-pantry']);
    expect(await ids({ language: 'ht' })).toEqual(['svc-pantry']);
    expect(await ids({ language: 'Urdu' })).toEqual([]);
  });

  it('by age', async () => {
    expect(await ids({ age: 15 })).toEqual(['svc-pantry', 'svc-teen']);
    expect(await ids({ age: 40 })).toEqual(['svc-harbor', 'svc-pantry']);
  });

  it('open now, from the schedules; unknown hours are never open now, and are shown as unknown', async () => {
    // Monday 11:00 in Boston: Harbor is open, Teen Line (weekends) closed, the pantry has no hours.
    expect(await ids({ openNow: true })).toEqual(['svc-harbor']);
    const all = await t.call('directory.search', {});
    expect(Object.fromEntries(all.rows.map((r) => [r.id, r.open]))).toEqual({ 'svc-harbor': true, 'svc-teen': false, 'svc-pantry': null });
    // Open first.
    expect(all.rows[0].id).toBe('svc-harbor');
    clock = Date.parse('2025-03-15T23:30:00Z'); // Saturday 19:30 in Boston
    expect(await ids({ openNow: true })).toEqual(['svc-teen']);
    expect(await ids({ need: 'food', openNow: true })).toEqual([]);
    expect(await ids({ need: 'food' })).toEqual(['svc-pantry']);
  });

  it('shows how fresh each entry is', async () => {
    const rows = (await t.call('directory.search', {})).rows;
    const by = Object.fromEntries(rows.map((r) => [r.id, r.freshness]));
    expect(by['svc-harbor']).toMatchObject({ label: 'assured 1 month ago', stale: false });
    expect(by['svc-teen']).toMatchObject({ label: 'updated 2 years ago', stale: true });
    expect(by['svc-pantry']).toMatchObject({ label: 'never assured', stale: true });
  });

  it('combines criteria, and lists the facets to pick from', async () => {
    expect(await ids({ need: 'mental_health', language: 'es', age: 30, openNow: true })).toEqual(['svc-harbor']);
    const f = await t.call('directory.facets', {});
    expect(f.services).toBe(3);
    expect(f.languages).toEqual(['English', 'Haitian Creole', 'Spanish']);
    expect(f.taxonomyTerms.map((x) => x.name)).toEqual(['Food Pantries', 'Mental Health Care']);
  });

  it('ranks exactly as the shared reference (rankServices) does', async () => {
    const many: SyntheticService[] = Array.from({ length: 60 }, (_, i) => ({
      id: `svc-${String(i).padStart(2, '0')}`,
      name: `${['Harbor', 'River', 'Hope'][i % 3]} ${['counseling', 'shelter', 'pantry', 'crisis line'][i % 4]} ${i % 7}`,
      organization: `Org ${i % 5}`,
      description: i % 2 ? 'Counselling and peer support for families' : 'Food and housing help',
      languages: i % 3 ? [{ name: 'Spanish', code: 'es' }] : [{ name: 'English', code: 'en' }],
      minAge: i % 4 === 0 ? 18 : undefined,
      terms: [i % 2 ? MH : FOOD],
      schedule: i % 5 === 0 ? undefined : { byday: i % 2 ? 'MO,TU,WE,TH,FR' : 'SA,SU', opens: '09:00', closes: '17:00', timezone: i % 3 ? 'America/New_York' : undefined },
      assuredDate: i % 3 === 0 ? '2025-02-01' : undefined,
      lastModified: i % 3 === 1 ? '2020-01-01T00:00:00Z' : undefined,
    }));
    await t.call('directory.import', { dir: pkg('many', many) });
    const reference = parseHsdsPackage(hsdsFiles(many)).services.concat(parseHsdsPackage(hsdsFiles(SERVICES)).services);
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const queries = [{}, { text: 'harbor couns' }, { need: 'mental_health' }, { text: 'pantry' }, { text: 'pantry', openNow: true }, { openNow: true }, { language: 'es', age: 20 }, { taxonomyTerm: 'BD' }, { need: 'food', text: 'hope' }];
    for (const q of queries) {
      const mine = (await t.call('directory.search', { ...q, limit: 500 })).rows.map((r) => r.id);
      const ref = rankServices(reference, { ...q, at: new Date(clock), timezone: zone }).map((r) => r.service.id);
      expect(mine, JSON.stringify(q)).toEqual(ref);
    }
  });

  it('keeps the search index in step when rows arrive by sync', async () => {
    const s = { ...SERVICES[0], id: 'svc-remote', name: 'Riverside Crisis Team', description: 'Mobile crisis response' };
    const files = writeHsdsPackage(path.join(t.dir, 'remote'), [s]);
    // Parse it elsewhere (as another workstation would have) and apply the row as a pulled op.
    const other = await startCore({ role: 'supervisor' });
    try {
      await other.call('directory.import', { dir: files });
      const op = other.core.store.outboxBatch(10).find((o) => o.id === 'svc-remote')!;
      t.core.store.applyRemote([op]);
    } finally {
      other.close();
    }
    expect(await ids({ text: 'riverside' })).toEqual(['svc-remote']);
    expect(await ids({ need: 'crisis' })).toEqual(['svc-remote']);
  });
});
