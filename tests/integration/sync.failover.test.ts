import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { createSyncServer, type SyncServer, type SyncServerConfig } from '../../src/server/app';
import { RpcError } from '../../src/shared/contract';
import type { Handoff, Incident } from '../../src/shared/entities';
import { forkBundled } from '../helpers/fork-ts';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { randomKey, tempDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait-for';

/**
 * Consoles that know two instances of the sync server (issue 17): when the one they use is
 * killed, they move to the other within a few seconds and go on from their cursor; a live
 * handoff asked for as it dies either rings or tells the dispatcher, with the direct line,
 * within 2 s.
 */
const PING_MS = 500;
let pgc: PgCluster;
beforeAll(async () => {
  pgc = await startPgCluster();
});
afterAll(() => pgc?.stop());
const tmp = tempDir('tandem-failover-');
const cores: Core[] = [];
const servers: SyncServer[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => tmp.cleanup());

/** An instance in its own process, so that it can be killed outright. */
async function instanceProcess(config: SyncServerConfig): Promise<{ child: ChildProcess; url: string }> {
  const child = await forkBundled(new URL('../helpers/server-child.ts', import.meta.url), { TANDEM_SERVER_CHILD_CONFIG: JSON.stringify(config) });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code} before it was ready`)));
    child.on('message', (m: { t?: string; url?: string }) => m.t === 'ready' && resolve(m.url!));
  });
  return { child, url };
}

const online = (c: Core) => c.syncStatus().state === 'online';
const cursorOf = (c: Core) => Number(c.store.metaGet('cursor') ?? 0);

async function setup() {
  const databaseUrl = await pgc.createDatabase();
  const config: SyncServerConfig = { databaseUrl, host: '127.0.0.1', port: 0, pingIntervalMs: PING_MS, clinicianDirectLine: '+1 555 0100' };
  const a = await instanceProcess(config);
  const b = await createSyncServer(config);
  servers.push(b);
  const passwords = new Map<string, string>();
  for (const [username, role, name] of [
    ['dana', 'dispatcher', 'Dana Reyes'],
    ['chris', 'clinician', 'Chris Okafor'],
  ] as const) {
    passwords.set(username, `pw-${username}-123`);
    await b.admin.addUser({ username, password: passwords.get(username)!, name, role, directLine: role === 'clinician' ? '+1 555 0100' : undefined });
  }
  const consoleOn = async (name: string, username: string) => {
    const core = await createCore({
      profileDir: path.join(tmp.dir, `${name}-${databaseUrl.split('/').pop()}`),
      key: randomKey(),
      workstationName: name,
      // A first, then B: as a policy lists them.
      sync: { serverUrl: a.url, serverUrls: [a.url, b.url], enrollmentToken: await b.admin.createEnrollmentToken(name) },
      clinicianDirectLine: '+1 555 0100',
    });
    cores.push(core);
    await core.call('session.signIn', { username, password: passwords.get(username)! });
    return core;
  };
  const dispatcher = await consoleOn('dispatch-1', 'dana');
  const chris = await consoleOn('clin-1', 'chris');
  await waitFor(() => online(dispatcher) && online(chris), { what: 'both consoles online', timeout: 10_000 });
  return { a, b, dispatcher, chris };
}

describe('consoles fail over between two instances on one PostgreSQL database', () => {
  it('a killed instance: its consoles are on the other within a few seconds, go on from their cursor, and nothing is lost or repeated', async () => {
    const { a, b, dispatcher, chris } = await setup();
    expect(dispatcher.syncStatus().serverUrl).toBe(a.url);
    const caseIds: string[] = [];
    const newCase = async (n: number) => caseIds.push(((await chris.call('case.create', { person: { name: `Person ${n}` }, origin: 'manual', reason: `before and after ${n}` })) as { id: string }).id);
    for (let n = 0; n < 5; n++) await newCase(n);
    const incident = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '1 Main St', callbackNumber: '617-555-0101', notes: '' })) as Incident;
    await waitFor(() => chris.store.read('incident', incident.id) !== null && chris.syncStatus().pending === 0, { what: 'the incident reaches the clinician', timeout: 10_000 });
    const before = cursorOf(chris);
    expect(before).toBeGreaterThan(0);
    const pulls = vi.spyOn(chris.sync!, 'rpc');

    const killedAt = performance.now();
    a.child.kill('SIGKILL');
    await waitFor(() => online(dispatcher) && online(chris) && dispatcher.syncStatus().serverUrl === b.url && chris.syncStatus().serverUrl === b.url, {
      what: 'both consoles online on B',
      timeout: 10_000,
      every: 20,
    });
    const failover = performance.now() - killedAt;
    expect(failover).toBeLessThan(3000);

    // Work goes on through B; the clinician's first pull there starts at her cursor, not at 0.
    for (let n = 5; n < 10; n++) await newCase(n);
    const incident2 = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '2 Main St', callbackNumber: '617-555-0102', notes: '' })) as Incident;
    await waitFor(() => chris.store.read('incident', incident2.id) !== null, { what: 'the second incident reaches the clinician through B', timeout: 10_000 });
    const asked = pulls.mock.calls.filter(([m]) => m === 'pull').map(([, p]) => (p as { cursor: number }).cursor);
    expect(asked.length).toBeGreaterThan(0);
    expect(Math.min(...asked)).toBeGreaterThanOrEqual(before);
    await waitFor(() => chris.syncStatus().pending === 0, { what: 'the clinician has pushed everything', timeout: 10_000 });
    // Every case once on the server: pulled by a fresh look at the log through B.
    const page = (await chris.sync!.rpc('pull', { cursor: 0, limit: 5000, excludeOwn: false })) as { ops: { entity: string; id: string; replica: string; seq: number }[] };
    const creates = page.ops.filter((o) => o.entity === 'case' && caseIds.includes(o.id));
    const keys = creates.map((o) => `${o.replica}:${o.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(creates.map((o) => o.id))).toEqual(new Set(caseIds));
    console.log(`failover to B in ${failover.toFixed(0)} ms`);
  });

  it('a live handoff asked for as its instance dies rings the clinician or tells the dispatcher, with the direct line, within 2 s', async () => {
    const { a, b, dispatcher, chris } = await setup();
    const rings: Handoff[] = [];
    chris.on('handoff.ringing', (h) => rings.push(h));
    const incident = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '3 Main St', callbackNumber: '617-555-0103', notes: '' })) as Incident;
    await waitFor(() => dispatcher.syncStatus().pending === 0, { what: 'the incident is on the server', timeout: 10_000 });
    // Killed at once, with the request on its way.
    const asked = performance.now();
    const request = dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' }).then(
      (h) => ({ ok: true as const, h: h as Handoff }),
      (err: unknown) => ({ ok: false as const, err: err as RpcError }),
    );
    a.child.kill('SIGKILL');
    const outcome = await request;
    const answeredIn = performance.now() - asked;
    expect(answeredIn).toBeLessThan(2000);
    if (outcome.ok) {
      await waitFor(() => rings.some((h) => h.id === outcome.h.id), { what: 'the clinician rings', timeout: 2000 - answeredIn + 200 });
    } else {
      expect(outcome.err.code).toBe('unavailable');
      expect(outcome.err.details).toMatchObject({ directLine: '+1 555 0100' });
    }
    // Then, on B, the next one rings within 2 s.
    await waitFor(() => online(dispatcher) && online(chris) && dispatcher.syncStatus().serverUrl === b.url, { what: 'consoles on B', timeout: 10_000 });
    await waitFor(async () => ((await dispatcher.call('presence.live', {}).catch(() => null)) as { answerers?: unknown[] } | null)?.answerers?.length, {
      what: 'the clinician on the chip again',
      timeout: 10_000,
    });
    const t0 = performance.now();
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    await waitFor(() => rings.some((r) => r.id === h.id), { what: 'the clinician rings through B', timeout: 2000 });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
