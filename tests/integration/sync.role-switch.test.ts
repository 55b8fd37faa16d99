import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';

/**
 * Issue 13: what a workstation holds follows who is signed in. One console, two people, both
 * orders: a dispatcher never finds the clinical rows a clinician's session left, and a
 * clinician after a dispatcher gets her whole caseload, with no error.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

const count = (c: Core, table: string) => (c.store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const CLINICAL_TABLES = ['case_file', 'case_event', 'person', 'referral', 'task', 'case_search_doc'];
const signIn = (c: Core, username: string) => c.call('session.signIn', { username, password: `pw-${username}-123` });

async function setUp() {
  cluster = await startCluster();
  await cluster.addUser('chris', 'clinician', 'Chris');
  await cluster.addUser('sam', 'clinician', 'Sam');
  await cluster.addUser('dana', 'dispatcher', 'Dana');
  // Sam's caseload, made on another workstation.
  const other = await cluster.console('ws-other', 'sam');
  const theirs: string[] = [];
  for (let i = 0; i < 3; i++) {
    theirs.push(((await other.call('case.create', { person: { name: `Theirs ${i}` }, origin: 'manual', reason: 'made elsewhere' })) as { id: string }).id);
  }
  await until(() => other.syncStatus().state === 'online' && other.syncStatus().pending === 0, 10_000, 'the other console pushed');
  return { other, theirs };
}

describe('role switch on one workstation', () => {
  it('clinician then dispatcher: the dispatcher finds no clinical rows; the clinician again gets everything back', async () => {
    const { theirs } = await setUp();
    const ws = await cluster.console('ws-shared', 'chris');
    const mine = (await ws.call('case.create', { person: { name: 'Mine' }, origin: 'manual', reason: 'made here' })) as { id: string };
    await ws.call('case.addNote', { caseId: mine.id, text: 'a clinical note' });
    await until(() => theirs.every((id) => ws.store.read('case', id) !== null) && ws.syncStatus().pending === 0, 10_000, 'clinician synced');
    await ws.call('session.signOut', {});

    await signIn(ws, 'dana');
    for (const t of CLINICAL_TABLES) expect(count(ws, t), t).toBe(0);
    await until(() => ws.syncStatus().state === 'online', 10_000, 'dispatcher online');
    const inc = await ws.call('incident.create', { type: 'Welfare check', location: '3 Main St' });
    await until(() => ws.syncStatus().pending === 0, 10_000, 'dispatcher pushed');
    for (const t of CLINICAL_TABLES) expect(count(ws, t), t).toBe(0);
    expect(ws.syncStatus().refused).toBe(0);
    await ws.call('session.signOut', {});

    await signIn(ws, 'chris');
    await until(() => [mine.id, ...theirs].every((id) => ws.store.read('case', id) !== null), 10_000, 'the whole caseload is back');
    expect(count(ws, 'case_event')).toBeGreaterThan(0);
    expect(ws.store.read('incident', (inc as { id: string }).id)).not.toBeNull();
    expect(ws.syncStatus().state).toBe('online');
  });

  it('dispatcher then clinician: the clinician gets her whole caseload, with no error', async () => {
    const { theirs } = await setUp();
    const ws = await cluster.console('ws-shared', 'dana');
    await until(() => ws.syncStatus().state === 'online' && ws.syncStatus().lastSyncedAt !== null, 10_000, 'dispatcher synced');
    for (const t of CLINICAL_TABLES) expect(count(ws, t), t).toBe(0);
    await ws.call('session.signOut', {});

    await signIn(ws, 'chris');
    await until(() => theirs.every((id) => ws.store.read('case', id) !== null), 10_000, 'the caseload arrives');
    // What she sees on the queue, search index included.
    const queue = (await ws.call('case.queue', { scope: 'all', status: 'active', limit: 200 })) as { total: number };
    expect(queue.total).toBe(theirs.length);
    expect(ws.syncStatus().state).toBe('online');
    expect(ws.syncStatus().error).toBeNull();
  });

  it("a clinician's note written offline is never pushed under the dispatcher who signs in next; it reaches the server as hers when she is back", async () => {
    const { other } = await setUp();
    const ws = await cluster.console('ws-shared', 'chris');
    const mine = (await ws.call('case.create', { person: { name: 'Offline person' }, origin: 'manual', reason: 'made here' })) as { id: string };
    await until(() => ws.syncStatus().state === 'online' && ws.syncStatus().pending === 0, 10_000, 'the case pushed');
    await cluster.stopServer();
    await until(() => ws.syncStatus().state !== 'online', 10_000, 'the console offline');
    const note = (await ws.call('case.addNote', { caseId: mine.id, text: 'Written offline by Chris' })) as { id: string };
    expect(ws.syncStatus().pending).toBeGreaterThan(0);
    await ws.call('session.signOut', {});
    await cluster.restartServer();

    await signIn(ws, 'dana');
    for (const t of CLINICAL_TABLES) expect(count(ws, t), t).toBe(0);
    await until(() => ws.syncStatus().state === 'online', 10_000, 'dispatcher online');
    const inc = (await ws.call('incident.create', { type: 'Welfare check', location: '4 Main St' })) as { id: string };
    await until(() => ws.syncStatus().pending === 0, 10_000, "the dispatcher's own change pushed");
    await until(() => other.store.read('incident', inc.id) !== null, 10_000, "the dispatcher's incident reaches the other console");
    // Nothing of hers went under his session: nothing refused, the note nowhere else yet.
    expect(ws.syncStatus().refused).toBe(0);
    expect(await cluster.server.admin.refusedOps()).toEqual([]);
    for (const t of CLINICAL_TABLES) expect(count(ws, t), t).toBe(0);
    expect(other.store.read('case_event', note.id)).toBeNull();
    await ws.call('session.signOut', {});

    await signIn(ws, 'chris');
    // Hers again at once, offline or not.
    expect(ws.store.read('case_event', note.id)).not.toBeNull();
    await until(() => other.store.read('case_event', note.id) !== null, 10_000, 'the note reaches the other console');
    const there = other.store.read<{ authorName: string; body: { text?: string } }>('case_event', note.id)!;
    expect(there.authorName).toBe('Chris');
    expect(JSON.stringify(there.body)).toContain('Written offline by Chris');
    expect(await cluster.server.admin.refusedOps()).toEqual([]);
    expect(ws.syncStatus().refused).toBe(0);
    expect(ws.store.parkedCount()).toBe(0);
    // And the workstation goes on syncing both ways.
    const later = (await ws.call('case.addNote', { caseId: mine.id, text: 'Back online' })) as { id: string };
    await until(() => other.store.read('case_event', later.id) !== null, 10_000, 'a later note arrives too');
  });
});
