import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';

/**
 * Issue 14: each console's audit entries are hash-chained where they are written and pushed to
 * the sync server, which verifies the chain per workstation on arrival and in `audit verify`;
 * entries deleted, altered or reordered on the console before they reached the server are
 * reported (and the server's copy of what it already holds cannot be touched from the console).
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

type Core = Awaited<ReturnType<Cluster['console']>>;

async function chainOf(c: Cluster, workstationId: string) {
  return (await c.server.admin.auditVerify()).find((r) => r.source === `ws:${workstationId}`);
}

async function exported(c: Cluster): Promise<string> {
  const parts: string[] = [];
  await c.server.admin.auditExport('2000-01-01', '2100-01-01', (s) => parts.push(s));
  return parts.join('');
}

/** Entries this console has written to its chain. */
const localHead = (core: Core) => (JSON.parse(core.store.metaGet('auditHead') ?? 'null') as { seq: number } | null)?.seq ?? 0;
const pushed = (core: Core) => Number(core.store.metaGet('auditPushed') ?? 0);

async function lockUnlock(core: Core, password: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await core.call('session.lock', {});
    await core.call('session.unlock', { password });
  }
}

describe("the consoles' audit chains", () => {
  it('are pushed to the server, verified there per workstation, and exported with who, what and where', async () => {
    cluster = await startCluster();
    await cluster.addUser('chris', 'clinician');
    const a = await cluster.console('ws-a', 'chris');
    await until(() => a.syncStatus().state === 'online', 10_000, 'online');
    await a.call('case.queue', {});
    await lockUnlock(a, 'pw-chris-123', 2);
    const wsId = a.store.metaGet('workstationId')!;
    await until(() => pushed(a) === localHead(a) && localHead(a) >= 5, 10_000, 'the chain to reach the server');
    const chain = await chainOf(cluster, wsId);
    expect(chain).toMatchObject({ ok: true });
    expect(chain!.entries).toBe(localHead(a));
    const csv = await exported(cluster);
    const rows = csv.split('\n').filter((l) => l.includes(`ws:${wsId}`));
    expect(rows.some((l) => l.includes('case.queue') && l.includes('chris') && l.includes(wsId))).toBe(true);
    expect(rows.filter((l) => l.includes('session.unlock'))).toHaveLength(2);
  });

  it('an entry deleted and another altered on the console before they were pushed are reported on arrival and by audit verify', async () => {
    cluster = await startCluster();
    await cluster.addUser('sam', 'clinician');
    const a = await cluster.console('ws-b', 'sam');
    await until(() => a.syncStatus().state === 'online', 10_000, 'online');
    await lockUnlock(a, 'pw-sam-123', 1);
    const wsId = a.store.metaGet('workstationId')!;
    await until(() => pushed(a) === localHead(a) && localHead(a) >= 2, 10_000, 'the first entries to reach the server');
    const before = pushed(a);

    // Offline, more entries; then someone with the store key edits the local log.
    await cluster.stopServer();
    await until(() => a.syncStatus().state !== 'online', 10_000, 'offline');
    await lockUnlock(a, 'pw-sam-123', 3);
    expect(localHead(a)).toBe(before + 6);
    a.store.writes.writer<[number]>('DELETE FROM audit WHERE seq = ?').run(before + 2);
    a.store.writes.writer<[string, number]>('UPDATE audit SET action = ? WHERE seq = ?').run('session.lock.by_hand', before + 4);
    // What the server already held cannot be rewritten from here: its copy is append-only.
    a.store.writes.writer<[number]>('DELETE FROM audit WHERE seq = ?').run(1);

    await cluster.restartServer();
    await until(() => pushed(a) === localHead(a), 20_000, 'the rest of the chain to reach the server');
    const chain = await chainOf(cluster, wsId);
    expect(chain?.ok).toBe(false);
    expect(chain?.problem).toMatchObject({ seq: before + 2, kind: 'missing' });
    const server = (await cluster.server.admin.auditVerify()).find((r) => r.source === 'server');
    expect(server?.ok).toBe(true);
    const csv = await exported(cluster);
    const reports = csv.split('\n').filter((l) => l.includes('audit.console_chain'));
    expect(reports.some((l) => l.includes('missing') && l.includes(`entry ${before + 2} is missing`))).toBe(true);
    expect(reports.some((l) => l.includes('altered') && l.includes(`entry ${before + 4}`))).toBe(true);
    // Entry 1, deleted on the console after it was pushed, is still on the server, untouched.
    expect(csv.split('\n').some((l) => l.includes(`ws:${wsId},1,`))).toBe(true);
  });

  it('entries swapped on the console before they were pushed are reported as out of order', async () => {
    cluster = await startCluster();
    await cluster.addUser('kim', 'clinician');
    const a = await cluster.console('ws-c', 'kim');
    await until(() => a.syncStatus().state === 'online', 10_000, 'online');
    const wsId = a.store.metaGet('workstationId')!;
    await until(() => pushed(a) === localHead(a), 10_000, 'the first entries to reach the server');
    const before = pushed(a);
    await cluster.stopServer();
    await until(() => a.syncStatus().state !== 'online', 10_000, 'offline');
    await lockUnlock(a, 'pw-kim-123', 2);
    // Swap two entries' places (seq), each keeping its own hash.
    const w = a.store.writes;
    w.writer<[number]>('UPDATE audit SET seq = -1 WHERE seq = ?').run(before + 1);
    w.writer<[number, number]>('UPDATE audit SET seq = ? WHERE seq = ?').run(before + 1, before + 3);
    w.writer<[number]>('UPDATE audit SET seq = ? WHERE seq = -1').run(before + 3);
    await cluster.restartServer();
    await until(() => pushed(a) === localHead(a), 20_000, 'the chain to reach the server');
    const chain = await chainOf(cluster, wsId);
    expect(chain?.ok).toBe(false);
    expect(['out_of_order', 'altered']).toContain(chain?.problem?.kind);
    expect(chain?.problem?.seq).toBe(before + 1);
  });
});
