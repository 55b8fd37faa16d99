import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';

type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

const online = (c: Core) => c.syncStatus().state === 'online';
const cursorOf = (c: Core) => Number(c.store.metaGet('cursor') ?? 0);
const hasCase = (c: Core, id: string) => c.store.read('case', id) !== null;

describe('sync client', () => {
  it("does not pull its own pushes back, and still pulls everyone else's", async () => {
    cluster = await startCluster();
    await cluster.addUser('chris', 'clinician');
    await cluster.addUser('sam', 'clinician');
    const a = await cluster.console('ws-a', 'chris');
    const b = await cluster.console('ws-b', 'sam');
    await until(() => online(a) && online(b), 5000, 'both online');
    const first = (await b.call('case.create', { person: { name: 'Before' }, origin: 'manual', reason: 'settle the cursors' })) as { id: string };
    await until(() => hasCase(a, first.id), 5000, 'a has the first case');

    const asked = vi.spyOn(a.sync!, 'rpc');
    const pulls = () => asked.mock.calls.filter(([method]) => method === 'pull').length;
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) mine.push(((await a.call('case.create', { person: { name: `Mine ${i}` }, origin: 'manual', reason: 'made on A' })) as { id: string }).id);
    await until(() => a.syncStatus().pending === 0 && mine.every((id) => hasCase(b, id)), 5000, 'b has A cases');
    expect(pulls()).toBe(0);
    // A's cursor stands where B's does, past A's own ops, without having asked for them.
    expect(cursorOf(a)).toBe(cursorOf(b));

    const theirs = (await b.call('case.create', { person: { name: 'Theirs' }, origin: 'manual', reason: 'made on B' })) as { id: string };
    await until(() => hasCase(a, theirs.id), 5000, 'a has the case from B');
    // The server pokes A on one socket, in order: the poke for B's case came after every poke
    // for A's own ops, so any pull those caused has been asked by now. The one pull is B's.
    expect(pulls()).toBe(1);
    await until(() => cursorOf(a) === cursorOf(b), 5000, 'cursors meet');
  });
});
