import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';
import type { QueueRow } from '../../src/shared/contract';

type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

async function queue(core: Core): Promise<QueueRow[]> {
  return ((await core.call('case.queue', { scope: 'all', limit: 500 })) as { rows: QueueRow[] }).rows;
}

const online = (c: Core) => c.syncStatus().state === 'online';

describe('server restarts', () => {
  it('consoles that edited while the server was down converge when it returns', async () => {
    cluster = await startCluster();
    await cluster.addUser('chris', 'clinician');
    await cluster.addUser('sam', 'clinician');
    await cluster.addUser('dana', 'dispatcher');
    const a = await cluster.console('ws-a', 'chris');
    const b = await cluster.console('ws-b', 'sam');
    const d = await cluster.console('ws-d', 'dana');
    await until(() => online(a) && online(b) && online(d), 5000, 'all online');

    const shared = (await a.call('case.create', { person: { name: 'Shared Person' }, origin: 'manual', reason: 'both edit this' })) as { id: string };
    await until(async () => (await queue(b)).some((r) => r.id === shared.id), 3000, 'b sees the case');

    await cluster.stopServer();
    await until(() => !online(a) && !online(b), 3000, 'both offline');
    // Offline work never blocks: both consoles keep editing.
    await a.call('case.addNote', { caseId: shared.id, text: 'note written on A while offline' });
    const onlyA = (await a.call('case.create', { person: { name: 'Offline A' }, origin: 'manual', reason: 'made offline' })) as { id: string };
    await b.call('case.addNote', { caseId: shared.id, text: 'note written on B while offline' });
    await d.call('incident.create', { type: 'Welfare check', location: '9 Elm St' });
    expect(a.syncStatus().pending).toBeGreaterThan(0);
    expect(a.syncStatus().offlineSince).not.toBeNull();

    await cluster.restartServer();
    await until(() => online(a) && online(b) && online(d), 10_000, 'reconnect');
    await until(() => a.syncStatus().pending === 0 && b.syncStatus().pending === 0 && d.syncStatus().pending === 0, 5000, 'outboxes drained');
    await until(async () => (await queue(b)).some((r) => r.id === onlyA.id), 5000, 'b receives A offline case');

    const notes = async (c: Core) =>
      ((await c.call('case.get', { id: shared.id })) as { timeline: { kind: string; body: { text?: string } }[] }).timeline
        .filter((e) => e.kind === 'note')
        .map((e) => e.body.text)
        .sort();
    await until(async () => (await notes(a)).length === 2 && (await notes(b)).length === 2, 5000, 'notes on both');
    expect(await notes(a)).toEqual(['note written on A while offline', 'note written on B while offline']);
    expect(await notes(b)).toEqual(await notes(a));
    // Each clinician's incident list shows the dispatcher's offline incident; the dispatcher has no clinical rows.
    await until(async () => ((await a.call('incident.list', {})) as unknown[]).length === 1, 5000, 'incident reaches A');
    const clinicalOnDispatcher = d.store.db.prepare('SELECT (SELECT count(*) FROM case_file) + (SELECT count(*) FROM case_event) + (SELECT count(*) FROM person) AS n').get();
    expect(clinicalOnDispatcher).toEqual({ n: 0 });
  });

  it('a console restarted after the server moved on resumes from its cursor', async () => {
    cluster = await startCluster();
    await cluster.addUser('chris', 'clinician');
    await cluster.addUser('sam', 'clinician');
    const a = await cluster.console('ws-a', 'chris');
    const b = await cluster.console('ws-b', 'sam');
    await until(() => online(a) && online(b));
    for (let i = 0; i < 5; i++) await a.call('case.create', { person: { name: `P${i}` }, origin: 'manual', reason: 'r' });
    await until(async () => (await queue(b)).length === 5, 5000, 'b has 5');
    const cursorBefore = Number(b.store.metaGet('cursor'));
    expect(cursorBefore).toBeGreaterThan(0);
    b.close();
    // The server moves on while B is closed and restarts once.
    for (let i = 5; i < 8; i++) await a.call('case.create', { person: { name: `P${i}` }, origin: 'manual', reason: 'r' });
    await until(() => a.syncStatus().pending === 0);
    await cluster.stopServer();
    await cluster.restartServer();
    const b2 = await cluster.console('ws-b', 'sam');
    expect(Number(b2.store.metaGet('cursor'))).toBe(cursorBefore);
    await until(async () => online(b2) && (await queue(b2)).length === 8, 10_000, 'fresh console catches up');
  });
});
