import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';
import { openSqliteStorage, type SqliteStorage } from '../../src/server/storage/sqlite';
import { encodeHlc } from '../../src/shared/hlc';
import type { CaseEvent, Incident } from '../../src/shared/entities';
import { PULL_PAGE_MAX_BYTES, type PullResponse, type PushResponse } from '../../src/shared/sync/protocol';
import { RpcError } from '../../src/shared/contract';
import { Client, http, signedIn, type Session } from './server-helpers';
import { tempDir } from '../helpers/tmp';
import { eidoIncidentRowId } from '../../src/shared/eido';
import { mentalHealthIncident } from '../unit/eido.fixtures';

/**
 * Issue 13: each attack a hostile or broken workstation can make on the shared record, as a
 * test that asserts the refusal with its reason, and that two honest consoles keep syncing
 * and converge afterwards. The hostile "console" speaks the protocol directly (HTTP push,
 * the socket); the honest ones are real cores on real encrypted stores.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
let storage: SqliteStorage;
const tmp = tempDir('tandem-hostile-');
let a: Core; // clinician chris
let b: Core; // clinician sam
let d: Core; // dispatcher dana
let mallory: Session; // a signed-in clinician whose console is hostile
let dispatcherMallory: Session;
let replicaN = 0;
let seq = 0;

beforeAll(async () => {
  storage = openSqliteStorage(path.join(tmp.dir, 'server.db'));
  cluster = await startCluster({ server: { storage } });
  await cluster.addUser('chris', 'clinician', 'Chris Clinician');
  await cluster.addUser('sam', 'clinician', 'Sam Clinician');
  await cluster.addUser('dana', 'dispatcher', 'Dana Dispatcher');
  a = await cluster.console('ws-a', 'chris');
  b = await cluster.console('ws-b', 'sam');
  d = await cluster.console('ws-d', 'dana');
  mallory = await signedIn(cluster.server, 'clinician', { name: 'Mallory' });
  dispatcherMallory = await signedIn(cluster.server, 'dispatcher', { name: 'Mal Dispatch' });
  await until(() => [a, b, d].every((c) => c.syncStatus().state === 'online'), 10_000, 'honest consoles online');
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  await storage?.close();
  tmp.cleanup();
});

/** One hostile op, pushed over HTTP as a console would; returns the push response. */
async function hostilePush(who: Session, entity: string, id: string, fields: Record<string, unknown>, ms = Date.now()): Promise<PushResponse> {
  const replica = `ws-mal${++replicaN}`;
  seq = 1;
  const res = await http<PushResponse>(cluster.server.url, 'POST', '/v1/push', {
    headers: who.headers,
    body: { ops: [{ replica, seq, hlc: encodeHlc({ ms, counter: 0, replica }), entity, id, fields }] },
  });
  expect(res.status).toBe(200);
  return res.body;
}

const refusalOf = (res: PushResponse) => {
  expect(res.applied).toBe(0);
  expect(res.refused).toHaveLength(1);
  return res.refused[0].reason;
};

/** The two honest clinician consoles still sync both ways and hold the same caseload. */
async function honestConsolesConverge(): Promise<void> {
  const fromA = (await a.call('case.create', { person: { name: 'After, from A' }, origin: 'manual', reason: 'still syncing' })) as { id: string };
  const fromB = (await b.call('case.create', { person: { name: 'After, from B' }, origin: 'manual', reason: 'still syncing' })) as { id: string };
  await until(() => b.store.read('case', fromA.id) !== null && a.store.read('case', fromB.id) !== null, 10_000, 'both cases on both consoles');
  await until(() => a.syncStatus().pending === 0 && b.syncStatus().pending === 0, 10_000, 'outboxes drained');
  const rows = (c: Core) => c.store.db.prepare('SELECT id, reason, ownerId, _clocks FROM case_file ORDER BY id').all();
  await until(() => JSON.stringify(rows(a)) === JSON.stringify(rows(b)), 10_000, 'the same caseload on A and B');
  for (const c of [a, b]) {
    expect(c.syncStatus().state).toBe('online');
    expect(c.syncStatus().refused).toBe(0);
  }
}

describe('a hostile console', () => {
  it('cannot stop every console with a 300-character handoff id (refused at the server)', async () => {
    const incident = (await d.call('incident.create', { type: 'Welfare check', location: '1 Main St' })) as Incident;
    const sock = await Client.connect(cluster.server, dispatcherMallory.headers);
    try {
      const res = await sock.call('handoff.request', { id: 'h'.repeat(300), incidentId: incident.id, mode: 'followup', note: null });
      expect(res.ok).toBe(false);
      if (!res.ok) {
        expect(res.e.code).toBe('bad_request');
        expect(res.e.message).toMatch(/id: .*(at most 128|Too big|too big)/i);
      }
    } finally {
      await sock.close();
    }
    await honestConsolesConverge();
  });

  it('a bad op already in the change log (older server, bug) is set aside by every console, reported, and the cursor moves on', async () => {
    // Written straight into the log, past every check: as an older server could have.
    await storage.transaction(async (tx) => {
      await tx.appendChange({ replica: 'server', seq: 900_001, hlc: encodeHlc({ ms: Date.now(), counter: 0, replica: 'server' }), entity: 'handoff', id: 'h'.repeat(300), fields: { note: 'poison' } });
      await tx.appendChange({ replica: 'server', seq: 900_002, hlc: encodeHlc({ ms: Date.now(), counter: 1, replica: 'server' }), entity: 'case', id: 'poison-case', fields: { reason: 'x', nope: 1 } });
    });
    const after = (await b.call('case.create', { person: { name: 'After the poison' }, origin: 'manual', reason: 'behind the bad ops' })) as { id: string };
    await until(() => a.store.read('case', after.id) !== null, 10_000, 'A got past the bad ops');
    await until(() => (d.syncStatus().quarantined ?? 0) >= 1 && (a.syncStatus().quarantined ?? 0) >= 2, 10_000, 'bad ops set aside');
    expect(a.store.read('case', 'poison-case')).toBeNull();
    expect(a.syncStatus().state).toBe('online');
    expect(a.store.lastQuarantineReason()).toMatch(/malformed op: (fields: case has no field nope|id: id is 300 characters long)/);
    // A fresh console holds every row, not zero.
    const fresh = await cluster.console('ws-fresh', 'sam');
    await until(() => fresh.store.read('case', after.id) !== null, 10_000, 'a fresh console pulls past the bad ops');
    // Reported to the server, where the admin's refused listing shows it.
    await until(async () => (await storage.transaction((tx) => tx.listRefused(50), { readOnly: true })).some((r) => /set aside on pull/.test(r.reason)), 10_000, 'reported');
    await honestConsolesConverge();
  });

  it("cannot forge another clinician's note: reused id, author fields, backdated timestamp", async () => {
    const c = (await a.call('case.create', { person: { name: 'Riley' }, origin: 'manual', reason: 'note target' })) as { id: string };
    const note = (await a.call('case.addNote', { caseId: c.id, text: 'The real note' })) as CaseEvent;
    await until(() => b.store.read('case_event', note.id) !== null, 10_000, 'B has the note');
    await until(async () => (await storage.transaction((tx) => tx.getRowAuthor('case_event', note.id), { readOnly: true })) !== null, 10_000, 'server knows the note');

    const forged = { ...note, body: { text: 'FORGED text' } } as Record<string, unknown>;
    delete forged.id;
    // Under her own name but on the other clinician's note id, backdated so "earliest wins" would pick it.
    const reused = refusalOf(await hostilePush(mallory, 'case_event', note.id, { ...forged, authorId: mallory.userId, authorName: 'Mallory' }, Date.now() - 3_600_000));
    expect(reused).toMatch(/already exists and is append-only/);
    // Posing as its author on the same id: refused too (for the author fields, checked first).
    expect(refusalOf(await hostilePush(mallory, 'case_event', note.id, forged, Date.now() - 3_600_000))).toMatch(/authorId must be the signed-in user/);
    const posing = refusalOf(await hostilePush(mallory, 'case_event', 'evt_mallory-1', forged));
    expect(posing).toMatch(/authorId must be the signed-in user/);
    const partial = refusalOf(await hostilePush(mallory, 'case_event', 'evt_mallory-2', { body: { text: 'FORGED' } }));
    expect(partial).toMatch(/must be written whole/);
    const ancient = refusalOf(await hostilePush(mallory, 'case', c.id, { reason: 'FORGED' }, Date.now() - 30 * 86_400_000));
    expect(ancient).toMatch(/older than/);

    await honestConsolesConverge();
    for (const con of [a, b]) expect((con.store.read('case_event', note.id) as CaseEvent).body).toEqual(note.body);
  });

  it("cannot take over a case's owner, with a future timestamp or without one", async () => {
    const owned = (await a.call('case.create', { person: { name: 'Owned' }, origin: 'manual', reason: 'owner target' })) as { id: string };
    const me = ((await a.call('session.get', {})) as { user: { id: string } }).user;
    await a.call('case.update', { caseId: owned.id, ownerId: me.id });
    await until(() => (b.store.read('case', owned.id) as { ownerId: string | null } | null)?.ownerId === me.id, 10_000, 'B sees the owner');

    const future = refusalOf(await hostilePush(mallory, 'case', owned.id, { ownerId: mallory.userId, ownerName: 'Mallory' }, Date.now() + 10 * 60_000));
    expect(future).toMatch(/Clock drift of 600 s exceeds the allowed 300 s/);
    const now = refusalOf(await hostilePush(mallory, 'case', owned.id, { ownerId: mallory.userId, ownerName: 'Mallory' }));
    expect(now).toMatch(/only its owner or a supervisor may change its owner/);
    const futureField = refusalOf(await hostilePush(mallory, 'case', owned.id, { updatedAt: new Date(Date.now() + 3_600_000).toISOString() }));
    expect(futureField).toMatch(/case.updatedAt .* ahead of the server's clock/);

    await honestConsolesConverge();
    for (const con of [a, b]) expect((con.store.read('case', owned.id) as { ownerId: string }).ownerId).toBe(me.id);
  });

  it('a dispatcher console cannot forge CAD data (source eido, eidoRaw, far-future eidoUpdatedAt)', async () => {
    const inc = (await d.call('incident.create', { type: 'Welfare check', location: '2 Main St' })) as Incident;
    await until(async () => (await storage.transaction((tx) => tx.getEntity('incident', inc.id), { readOnly: true })) !== null, 10_000, 'server has the incident');
    const forge = refusalOf(await hostilePush(dispatcherMallory, 'incident', inc.id, { source: 'eido', eidoRaw: '{"forged":true}', eidoUpdatedAt: '2099-01-01T00:00:00Z' }));
    expect(forge).toMatch(/come only from CAD intake/);
    const fresh = { ...inc, id: undefined, source: 'eido', eidoRaw: null, eidoUpdatedAt: null } as Record<string, unknown>;
    delete fresh.id;
    expect(refusalOf(await hostilePush(dispatcherMallory, 'incident', 'inc_forged-eido', fresh))).toMatch(/source comes only from CAD intake/);
    // The creator is the session's user, whatever the console says.
    const honestShape = { ...inc, createdBy: 'Someone Else' } as Record<string, unknown>;
    delete honestShape.id;
    const made = await hostilePush(dispatcherMallory, 'incident', 'inc_mal-made', honestShape);
    expect(made.applied).toBe(1);
    const row = await storage.transaction((tx) => tx.getEntity('incident', 'inc_mal-made'), { readOnly: true });
    expect(row?.data.createdBy).toBe('Mal Dispatch');
    const stored = await storage.transaction((tx) => tx.getEntity('incident', inc.id), { readOnly: true });
    expect(stored?.data).toMatchObject({ source: 'manual', eidoRaw: null, eidoUpdatedAt: null });
    await honestConsolesConverge();
  });

  it('a dispatcher console cannot change what CAD sent on a CAD incident; its notes and status stay the dispatcher\'s', async () => {
    const key = await cluster.server.admin.addCadKey('cad-hostile');
    const doc = mentalHealthIncident();
    doc.$id = 'urn:emergency:uid:incidentid:hostile-cad-1:bcf.state.pa.us';
    const posted = await fetch(`${cluster.server.url}/eido`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(doc) });
    expect(posted.status).toBe(201);
    const id = eidoIncidentRowId('urn:emergency:uid:incidentid:hostile-cad-1:bcf.state.pa.us');
    const cadRow = async () => (await storage.transaction((tx) => tx.getEntity('incident', id), { readOnly: true }))?.data;
    const sent = (await cadRow())!;
    expect(sent.source).toBe('eido');

    const moved = refusalOf(await hostilePush(dispatcherMallory, 'incident', id, { location: 'Somewhere else', priority: '4', updatedAt: new Date().toISOString() }));
    expect(moved).toBe(`incident ${id} is a CAD incident: its location, priority come only from CAD intake; a console may not change them`);
    expect(refusalOf(await hostilePush(dispatcherMallory, 'incident', id, { callerName: null }))).toMatch(/its callerName come only from CAD intake/);
    // The same values again (a whole-row write) are no change; notes and closing are the dispatcher's.
    const honest = await hostilePush(dispatcherMallory, 'incident', id, { location: sent.location, notes: 'Dispatcher: sister on scene', status: 'closed' });
    expect(honest.applied).toBe(1);
    expect(await cadRow()).toMatchObject({ location: sent.location, priority: sent.priority, callerName: sent.callerName, notes: 'Dispatcher: sister on scene', status: 'closed' });
    await honestConsolesConverge();
  });

  it('a clinician cannot overwrite the shared service directory; a supervisor can', async () => {
    const svc = { name: 'Crisis Line', record: { id: 'svc-crisis', name: 'Crisis Line', phones: ['988'] }, contentHash: 'h1' };
    expect(refusalOf(await hostilePush(mallory, 'resource_service', 'svc-crisis', svc))).toMatch(/a clinician may not change resource_service/);
    const boss = await signedIn(cluster.server, 'supervisor', { name: 'Morgan' });
    expect((await hostilePush(boss, 'resource_service', 'svc-crisis', svc)).applied).toBe(1);
    await until(() => a.store.read('resource_service', 'svc-crisis') !== null, 10_000, 'the directory entry reaches A');
    await expect(a.call('directory.import', { dir: tmp.dir })).rejects.toThrow(/A clinician may not/);
    await honestConsolesConverge();
  });

  it('refuses an op bigger than its entity allows, and pull pages stay under the byte budget', async () => {
    const boss = await signedIn(cluster.server, 'supervisor', { name: 'Morgan 2' });
    const big = (n: number, kb: number) => ({ name: `Big ${n}`, record: { id: `svc-big-${n}`, blob: 'x'.repeat(kb * 1024) }, contentHash: `b${n}` });
    expect(refusalOf(await hostilePush(boss, 'resource_service', 'svc-too-big', big(0, 600)))).toMatch(/larger than 524288 bytes/);
    // 40 ops of ~500 KB: 20 MB, more than one page's budget.
    const before = (await http<{ cursor: number }>(cluster.server.url, 'GET', '/v1/health')).body.cursor;
    const replica = `ws-boss${++replicaN}`;
    const ops = Array.from({ length: 40 }, (_, i) => ({ replica, seq: i + 1, hlc: encodeHlc({ ms: Date.now(), counter: i, replica }), entity: 'resource_service', id: `svc-big-${i}`, fields: big(i, 500) }));
    const pushed = await http<PushResponse>(cluster.server.url, 'POST', '/v1/push', { headers: boss.headers, body: { ops } });
    expect(pushed.body.applied).toBe(40);
    const page = await fetch(`${cluster.server.url}/v1/pull?cursor=${before}&limit=5000`, { headers: boss.headers });
    const text = await page.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(PULL_PAGE_MAX_BYTES + 1024 * 1024);
    const body = JSON.parse(text) as PullResponse;
    expect(body.more).toBe(true);
    expect(body.ops.length).toBeLessThan(40);
    await until(() => d.store.read('resource_service', 'svc-big-39') !== null, 30_000, 'the dispatcher console pulls every page');
    expect(d.syncStatus().state).toBe('online');
    await honestConsolesConverge();
  }, 60_000);

  it('says "sync failing" with the reason when pulls keep failing, and "online" again once one gets through', async () => {
    const real = a.sync!.rpc.bind(a.sync!);
    const spy = vi.spyOn(a.sync!, 'rpc').mockImplementation((method, params, timeout) =>
      method === 'pull' ? Promise.reject(new RpcError('internal', 'Malformed pull response from the sync server')) : real(method, params, timeout),
    );
    try {
      for (let i = 0; i < 4; i++) await b.call('case.create', { person: { name: `Poke ${i}` }, origin: 'manual', reason: 'poke A' });
      await until(() => a.syncStatus().state === 'failing', 10_000, 'A says failing');
      expect(a.syncStatus().error).toMatch(/Malformed pull response/);
    } finally {
      spy.mockRestore();
    }
    await b.call('case.create', { person: { name: 'Poke after' }, origin: 'manual', reason: 'poke A again' });
    await until(() => a.syncStatus().state === 'online', 10_000, 'A online again');
    await honestConsolesConverge();
  });
});
