import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import { tempDir } from '../helpers/tmp';
import { incidentFields } from './server-helpers';
import { SyncEngine } from '../../src/server/sync';
import { openSqliteStorage } from '../../src/server/storage/sqlite';
import type { Caller } from '../../src/server/auth';
import type { Core } from '../../src/main/core';
import type { Incident } from '../../src/shared/entities';
import type { Role } from '../../src/shared/roles';
import { eidoIncidentRowId } from '../../src/shared/eido';
import { mentalHealthIncident, type Json } from '../unit/eido.fixtures';

/**
 * Issue 13: bulky CAD payloads reach only the roles that use them. CAD's whole document
 * (`eidoRaw`, up to a MiB) travels with every incident to the dispatch side (the dispatcher
 * reviews what Tandem repaired in it); a clinician's pull leaves it out, her replica never holds
 * it (not even after a dispatcher's session on the same workstation), and her console fetches
 * one on demand when it sends a conference's outcome back to CAD.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const held = (c: Core) => (c.store.db.prepare('SELECT count(*) AS n FROM incident WHERE eidoRaw IS NOT NULL').get() as { n: number }).n;

async function postEido(c: Cluster, n: number): Promise<{ id: string; doc: Json }> {
  const key = await c.server.admin.addCadKey(`cad-${n}`);
  const doc: Json = mentalHealthIncident();
  doc.$id = `urn:emergency:uid:incidentid:withheld${n}:bcf.state.pa.us`;
  const res = await fetch(`${c.server.url}/eido`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(doc) });
  expect(res.status).toBe(201);
  return { id: eidoIncidentRowId(doc.$id), doc };
}

describe("CAD's incident documents", () => {
  it("reach the dispatcher's replica, not the clinician's; hers fetches one on demand", async () => {
    cluster = await startCluster();
    await cluster.addUser('dana', 'dispatcher', 'Dana');
    await cluster.addUser('chris', 'clinician', 'Chris');
    const dispatcher = await cluster.console('ws-d', 'dana');
    const clinician = await cluster.console('ws-c', 'chris');
    const { id } = await postEido(cluster, 1);
    await until(() => dispatcher.store.read('incident', id) !== null && clinician.store.read('incident', id) !== null, 10_000, 'the incident everywhere');

    const theirs = dispatcher.store.read<Incident>('incident', id)!;
    const hers = clinician.store.read<Incident>('incident', id)!;
    expect(theirs.eidoRaw).toContain('withheld1');
    expect(hers.eidoRaw).toBeNull();
    // Everything else of the incident is on her screen as on his.
    expect({ ...hers, eidoRaw: undefined }).toEqual({ ...theirs, eidoRaw: undefined });
    expect(held(clinician)).toBe(0);

    const fetched = (await clinician.sync!.rpc('incident.document', { id })) as { eidoRaw: string };
    expect(fetched.eidoRaw).toBe(theirs.eidoRaw);
    await expect(clinician.sync!.rpc('incident.document', { id: 'inc_nothing-here' })).rejects.toThrow(/No incident inc_nothing-here/);
    // Fetched, not kept.
    expect(held(clinician)).toBe(0);
  });

  it('a clinician after a dispatcher on one workstation holds none; the dispatcher after her has them again', async () => {
    cluster = await startCluster();
    await cluster.addUser('dana', 'dispatcher', 'Dana');
    await cluster.addUser('chris', 'clinician', 'Chris');
    const ws = await cluster.console('ws-shared', 'dana');
    const { id } = await postEido(cluster, 2);
    await until(() => !!ws.store.read<Incident>('incident', id)?.eidoRaw, 10_000, "the dispatcher's replica has the document");
    await ws.call('session.signOut', {});

    await ws.call('session.signIn', { username: 'chris', password: 'pw-chris-123' });
    // At once, before any pull: cleared at sign-in.
    expect(held(ws)).toBe(0);
    expect(ws.store.read<Incident>('incident', id)?.type).toBeTruthy();
    await until(() => ws.syncStatus().state === 'online' && ws.syncStatus().lastSyncedAt !== null, 10_000, 'clinician synced');
    await postEido(cluster, 3);
    await until(() => ws.store.read('incident', eidoIncidentRowId('urn:emergency:uid:incidentid:withheld3:bcf.state.pa.us')) !== null, 10_000, 'a new CAD incident arrives');
    expect(held(ws)).toBe(0);
    await ws.call('session.signOut', {});

    await ws.call('session.signIn', { username: 'dana', password: 'pw-dana-123' });
    await until(() => held(ws) === 2, 10_000, "the dispatcher's replica has both documents again");
  });
});

describe('pull pages of 110 incidents with a 1 MB CAD document each', () => {
  it('are several for the dispatch side, one small page for a clinician (sizes measured)', async () => {
    const tmp = tempDir('tandem-withheld-');
    const storage = openSqliteStorage(path.join(tmp.dir, 'server.db'));
    try {
      const sync = new SyncEngine(storage, { maxDriftMs: 300_000, now: Date.now, logger: pino({ level: 'silent' }) });
      await sync.init();
      const doc = JSON.stringify({ $id: 'x', blob: 'e'.repeat(1_000_000) });
      for (let i = 0; i < 110; i++) {
        await storage.transaction(async (tx) => {
          await sync.writeServerOp(tx, 'incident', `inc_big-${i}`, { ...incidentFields(i), source: 'eido', eidoRaw: doc, eidoUpdatedAt: new Date().toISOString() });
        });
      }
      const caller = (role: Role) => ({ user: { id: `u-${role}`, username: role, name: role, role, directLine: null }, workstation: { id: `ws-${role}` } }) as unknown as Caller;
      async function pullAll(role: Role): Promise<{ pages: number[]; incidents: number; withDocument: number }> {
        const pages: number[] = [];
        let cursor = 0;
        let incidents = 0;
        let withDocument = 0;
        for (let more = true; more && pages.length < 50; ) {
          const bytes = (await sync.pullJson(caller(role), { cursor, limit: 5000 })).bytes();
          pages.push(bytes.length);
          const page = JSON.parse(Buffer.from(bytes).toString('utf8')) as { ops: { fields: Partial<Incident> }[]; cursor: number; more: boolean };
          incidents += page.ops.length;
          withDocument += page.ops.filter((o) => typeof o.fields.eidoRaw === 'string').length;
          ({ cursor, more } = page);
        }
        return { pages, incidents, withDocument };
      }
      const dispatcher = await pullAll('dispatcher');
      const clinician = await pullAll('clinician');
      const mb = (n: number) => (n / 1e6).toFixed(2);
      console.log(
        `110 incidents x 1 MB eidoRaw: dispatcher ${dispatcher.pages.length} pages, ${dispatcher.pages.map(mb).join(' + ')} MB; ` +
          `clinician ${clinician.pages.length} page(s), ${clinician.pages.map((b) => (b / 1e3).toFixed(1)).join(' + ')} kB`,
      );
      expect(dispatcher.incidents).toBe(110);
      expect(dispatcher.withDocument).toBe(110);
      expect(dispatcher.pages.length).toBeGreaterThan(5);
      expect(clinician.incidents).toBe(110);
      expect(clinician.withDocument).toBe(0);
      expect(clinician.pages).toHaveLength(1);
      expect(clinician.pages[0]).toBeLessThan(200_000);
    } finally {
      await storage.close();
      tmp.cleanup();
    }
  }, 120_000);
});
