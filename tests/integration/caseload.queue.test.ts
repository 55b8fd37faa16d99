import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caseSearchQuery } from '../../src/main/core/services/cases';
import { startCore, type TestCore } from './caseload.helpers';

let t: TestCore;
const NOW = Date.parse('2025-03-10T15:00:00Z');
const h = (hours: number) => new Date(NOW + hours * 3600_000).toISOString();

beforeEach(async () => {
  t = await startCore({ now: () => NOW });
});
afterEach(() => t.close());

/** A case written straight through the store, with the due time and owner a test needs. */
function put(id: string, f: { name: string; phones?: string[]; due: string | null; risk?: string; status?: string; origin?: string; owner?: string; incident?: string }) {
  t.core.store.transaction(() => {
    t.core.store.write('person', `p-${id}`, { name: f.name, dob: null, phones: f.phones ?? null, address: null, language: null, safetyFlags: null, createdAt: h(-100) });
    t.core.store.write('case', id, {
      personId: `p-${id}`,
      incidentId: null,
      incidentNumber: f.incident ?? null,
      origin: f.origin ?? 'live_call',
      reason: `Reason ${id}`,
      status: f.status ?? 'open',
      risk: f.risk ?? 'unknown',
      ownerId: f.owner ?? 'u-chris',
      ownerName: f.owner === 'u-sam' ? 'Sam Patel' : 'Chris Okafor',
      dueAt: f.due,
      consent: null,
      safetyAlert: null,
      closedAt: f.status === 'closed' ? h(-1) : null,
      closureReason: f.status === 'closed' ? 'Needs met' : null,
      createdAt: h(-100),
      updatedAt: h(-100),
    });
  });
}

async function ids(filter: Parameters<TestCore['call']>[1] = {}) {
  return (await t.call('case.queue', filter as never)).rows.map((r) => r.id);
}

describe('follow-up queue', () => {
  beforeEach(() => {
    put('later-high', { name: 'Ana Lopez', due: h(5), risk: 'high', phones: ['(617) 555-0150'] });
    put('overdue-old', { name: 'Ben Okoro', due: h(-30), risk: 'low', origin: 'referral_in' });
    put('overdue-new-low', { name: 'Cara Diaz', due: h(-2), risk: 'low' });
    put('overdue-new-high', { name: 'Dev Shah', due: h(-2), risk: 'high', owner: 'u-sam', incident: 'M250310-ab12-0007' });
    put('no-due', { name: 'Eli Moss', due: null, risk: 'high', status: 'waiting' });
    put('soon', { name: 'Fay Wu', due: h(1), risk: 'moderate', owner: 'u-sam', origin: 'walk_in', incident: '24-123456' });
    put('closed', { name: 'Gus Ray', due: h(-50), risk: 'high', status: 'closed' });
  });

  it('sorts overdue first, then by due time, then by risk; no due time last', async () => {
    const q = await t.call('case.queue', {});
    expect(q.rows.map((r) => r.id)).toEqual(['overdue-old', 'overdue-new-high', 'overdue-new-low', 'soon', 'later-high', 'no-due']);
    expect(q.rows.map((r) => r.overdue)).toEqual([true, true, true, false, false, false]);
    expect(q.total).toBe(6);
    expect(q.rows[4]).toMatchObject({ personName: 'Ana Lopez', personPhone: '(617) 555-0150', ownerName: 'Chris Okafor', reason: 'Reason later-high' });
  });

  it('filters by mine / all, risk, status and origin', async () => {
    expect(await ids({ scope: 'mine' })).toEqual(['overdue-old', 'overdue-new-low', 'later-high', 'no-due']);
    expect(await ids({ risk: 'high' })).toEqual(['overdue-new-high', 'later-high', 'no-due']);
    expect(await ids({ status: 'waiting' })).toEqual(['no-due']);
    expect(await ids({ status: 'open', scope: 'mine', risk: 'low' })).toEqual(['overdue-old', 'overdue-new-low']);
    expect(await ids({ origin: 'walk_in' })).toEqual(['soon']);
    expect(await ids({ status: 'closed' })).toEqual(['closed']);
    const closed = await t.call('case.queue', { status: 'closed' });
    expect(closed.rows[0].overdue).toBe(false);
  });

  it('finds by name, phone (any way it is typed) or incident number', async () => {
    expect(await ids({ search: 'ana' })).toEqual(['later-high']);
    expect(await ids({ search: 'lopez ana' })).toEqual(['later-high']);
    expect(await ids({ search: 'LÓPEZ' })).toEqual(['later-high']);
    expect(await ids({ search: '6175550150' })).toEqual(['later-high']);
    expect(await ids({ search: '617-555-0150' })).toEqual(['later-high']);
    expect(await ids({ search: '555-0150' })).toEqual(['later-high']);
    expect(await ids({ search: '0150' })).toEqual(['later-high']);
    expect(await ids({ search: 'M250310-ab12-0007' })).toEqual(['overdue-new-high']);
    expect(await ids({ search: 'ab12' })).toEqual(['overdue-new-high']);
    expect(await ids({ search: 'M250310ab120007' })).toEqual(['overdue-new-high']);
    expect(await ids({ search: 'nobody' })).toEqual([]);
    // A CAD number of digits and dashes, typed either way.
    expect(await ids({ search: '24-123456' })).toEqual(['soon']);
    expect(await ids({ search: '24123' })).toEqual(['soon']);
    expect(await ids({ search: '"*) OR (' })).toEqual([]);
    expect(await ids({ search: 'dev', scope: 'mine' })).toEqual([]);
  });

  it('limits to the top n and still counts them all', async () => {
    const q = await t.call('case.queue', { limit: 2 });
    expect(q.rows.map((r) => r.id)).toEqual(['overdue-old', 'overdue-new-high']);
    expect(q.total).toBe(6);
    // The count follows changes (it is kept until the next one).
    put('new-one', { name: 'Hal Ito', due: h(3) });
    expect((await t.call('case.queue', { limit: 2 })).total).toBe(7);
    await t.call('case.close', { caseId: 'new-one', reason: 'Duplicate' });
    expect((await t.call('case.queue', { limit: 2 })).total).toBe(6);
    // A search counts its matches too ("a" starts Ana and the incident's "ab12").
    const s = await t.call('case.queue', { search: 'a', limit: 1 });
    expect(s.rows.map((r) => r.id)).toEqual(['overdue-new-high']);
    expect(s.total).toBe(2);
  });

  it('filters and orders a search by what each case is now, however it changed (a local edit or a pull)', async () => {
    put('s1', { name: 'Tess Moreno', due: h(5), risk: 'low' });
    put('s2', { name: 'Tom Moreno', due: h(1), risk: 'low' });
    expect(await ids({ search: 'moreno' })).toEqual(['s2', 's1']);
    t.core.store.write('case', 's1', { dueAt: h(-3), risk: 'high' });
    expect(await ids({ search: 'moreno' })).toEqual(['s1', 's2']);
    expect(await ids({ search: 'moreno', risk: 'high' })).toEqual(['s1']);
    t.core.store.applyRemote([{ hlc: t.core.store.clock.tick(), entity: 'case', id: 's2', fields: { status: 'closed', closedAt: h(0), ownerId: 'u-sam' } }]);
    expect(await ids({ search: 'moreno' })).toEqual(['s1']);
    expect(await ids({ search: 'moreno', status: 'closed' })).toEqual(['s2']);
    expect(await ids({ search: 'moreno', status: 'closed', scope: 'mine' })).toEqual([]);
    t.core.store.write('case', 's1', { origin: 'walk_in' });
    expect(await ids({ search: 'moreno', origin: 'walk_in' })).toEqual(['s1']);
  });

  it('keeps search right when a person is renamed or arrives after the case (sync order)', async () => {
    t.core.store.write('person', 'p-later-high', { name: 'Ana Lopez-Reyes' });
    expect(await ids({ search: 'reyes' })).toEqual(['later-high']);
    // A case pulled before its person: found by name once the person lands.
    t.core.store.applyRemote([
      {
        hlc: t.core.store.clock.tick(),
        entity: 'case',
        id: 'remote',
        fields: { personId: 'p-remote', status: 'open', risk: 'low', dueAt: h(2), origin: 'manual', reason: 'r', ownerId: null },
      },
    ]);
    expect(await ids({ search: 'zed' })).toEqual([]);
    const q = await t.call('case.queue', {});
    expect(q.rows.find((r) => r.id === 'remote')?.personName).toMatch(/not yet on this workstation/);
    t.core.store.applyRemote([{ hlc: t.core.store.clock.tick(), entity: 'person', id: 'p-remote', fields: { name: 'Zed Remote', phones: ['555 0199'] } }]);
    expect(await ids({ search: 'zed' })).toEqual(['remote']);
    expect(await ids({ search: '0199' })).toEqual(['remote']);
  });
});

describe('search text', () => {
  const pending = () => (t.core.store.db.prepare('SELECT count(*) AS n FROM case_search_pending').get() as { n: number }).n;

  it('is written in the transaction that changed the case, and found whatever wrote the case', async () => {
    put('w1', { name: 'Wren Ito', due: h(2) });
    expect(pending()).toBe(0);
    expect(await ids({ search: 'wren' })).toEqual(['w1']);
    // Written outside the store's own transactions (a repair, a tool): found all the same.
    t.core.store.db.prepare("INSERT INTO person(id, name) VALUES ('p-raw', 'Quinn Raw')").run();
    t.core.store.db.prepare("INSERT INTO case_file(id, personId, status, dueAt) VALUES ('raw', 'p-raw', 'open', ?)").run(h(3));
    expect(pending()).toBe(1);
    expect(await ids({ search: 'quinn' })).toEqual(['raw']);
    expect(pending()).toBe(0);
    // A rename re-indexes: the new name finds the case, the old one no longer does.
    t.core.store.write('person', 'p-w1', { name: 'Wren Sato' });
    expect(pending()).toBe(0);
    expect(await ids({ search: 'sato' })).toEqual(['w1']);
    expect(await ids({ search: 'ito' })).toEqual([]);
    // A deleted case leaves nothing to index and is not found.
    t.core.store.db.prepare("UPDATE person SET name = 'Quinn Gone' WHERE id = 'p-raw'").run();
    t.core.store.db.prepare("DELETE FROM case_file WHERE id = 'raw'").run();
    expect(pending()).toBe(0);
    expect(await ids({ search: 'quinn' })).toEqual([]);
  });
});

describe('caseSearchQuery', () => {
  it('quotes every word as a prefix and adds the digits of a phone number', () => {
    expect(caseSearchQuery('Riley thom')).toBe('("riley"* AND "thom"*) OR "rileythom"*');
    expect(caseSearchQuery('thom')).toBe('"thom"*');
    expect(caseSearchQuery('(617) 555-0150')).toBe('"6175550150"*');
    expect(caseSearchQuery('M250310-ab12')).toBe('("m250310"* AND "ab12"*) OR "m250310ab12"*');
    expect(caseSearchQuery('  ')).toBeNull();
    expect(caseSearchQuery('"; DROP')).toBe('"drop"*');
  });
});
