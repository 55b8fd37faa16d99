import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Handoff } from '../../src/shared/entities';
import type { ServerMessage } from '../../src/shared/sync/wire';
import type { SyncServerConfig } from '../../src/server/app';
import { forkBundled } from '../helpers/fork-ts';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { waitFor } from '../helpers/wait-for';
import { Client, signedIn, startServer, type Res, type Session, type TestServer } from './server-helpers';

/**
 * Two server instances on one PostgreSQL database, as a dispatcher and a clinician see them
 * (issue 17): a clinician connected to either instance counts on the dispatcher's chip and is
 * rung by a handoff made on the other; an instance that is killed takes its consoles out of the
 * count within the same three-heartbeat rule as a console that stops answering.
 */
const PING_MS = 400;
let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
});
afterAll(() => cluster?.stop());
const open: TestServer[] = [];
const clients: Client[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const t of open.splice(0)) await t.cleanup();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function instances(n: number, config: Partial<SyncServerConfig> = {}): Promise<{ url: string; servers: TestServer[] }> {
  const url = await cluster.createDatabase();
  const servers: TestServer[] = [];
  for (let i = 0; i < n; i++) servers.push(await startServer({ databaseUrl: url, pingIntervalMs: PING_MS, ...config }));
  open.push(...servers);
  return { url, servers };
}

/** An instance in its own process, so that it can be killed outright (SIGKILL: no goodbye, no close). */
async function instanceProcess(databaseUrl: string): Promise<{ child: ChildProcess; wsUrl: string }> {
  const config: SyncServerConfig = { databaseUrl, host: '127.0.0.1', port: 0, pingIntervalMs: PING_MS };
  const child = await forkBundled(new URL('../helpers/server-child.ts', import.meta.url), { TANDEM_SERVER_CHILD_CONFIG: JSON.stringify(config) });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code} before it was ready`)));
    child.on('message', (m: { t?: string; url?: string }) => m.t === 'ready' && resolve(m.url!));
  });
  return { child, wsUrl: `${url.replace(/^http/, 'ws')}/v1/ws` };
}

const names = (m: ServerMessage) => (m.t === 'answerers' ? m.users.map((u) => u.name) : null);
/** The answerers the console was last told (waiting until it has been told `want`). */
async function answerersBecome(c: Client, want: string[], timeoutMs = 5000): Promise<void> {
  const last = () => [...c.messages].reverse().find((m) => m.t === 'answerers');
  const key = JSON.stringify(want);
  await waitFor(() => JSON.stringify(names(last() ?? { t: 'answerers', users: [] })) === key, {
    what: `answerers ${key} (last told ${JSON.stringify(names(last() ?? { t: 'answerers', users: [] }))})`,
    timeout: timeoutMs,
    every: 20,
  });
}

const handoff = (res: Res) => {
  if (!res.ok) throw new Error(`${res.e.code}: ${res.e.message}`);
  return Handoff.parse(res.r);
};

describe('answerers and rings across two instances', () => {
  it("a clinician on one instance is on the dispatcher's chip on the other, is rung by its handoffs within 2 s, and leaves the chip when she goes", async () => {
    const { servers: [a, b] } = await instances(2, { clinicianDirectLine: '555-0199' });
    const dispatcher = await signedIn(a.server, 'dispatcher', { name: 'Dana Dispatch' });
    const clinician = await signedIn(b.server, 'clinician', { name: 'Casey Clinician' });
    const d = await Client.connect(a.server, dispatcher.headers);
    clients.push(d);
    await answerersBecome(d, []);
    // Nobody anywhere: the dispatcher is told at once, with the direct line.
    const none = await d.call('handoff.request', { id: 'h-none', incidentId: 'inc-1', mode: 'live', note: null });
    expect(none).toMatchObject({ ok: false, e: { code: 'unavailable', details: { directLine: '555-0199' } } });

    const c = await Client.connect(b.server, clinician.headers);
    clients.push(c);
    await answerersBecome(d, ['Casey Clinician']);
    // Her own console (on B) counts her too, once.
    await answerersBecome(c, ['Casey Clinician']);

    for (let k = 0; k < 3; k++) {
      const id = `h-${k}`;
      const rung = c.next((m) => m.t === 'ring' && m.handoff.id === id, 2000);
      const t0 = performance.now();
      const h = handoff(await d.call('handoff.request', { id, incidentId: `inc-${k}`, mode: 'live', note: 'caller is calm now' }));
      expect(h.state).toBe('ringing');
      const ring = await rung;
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(ring).toMatchObject({ t: 'ring', handoff: { id, incidentId: `inc-${k}`, note: 'caller is calm now', requestedByName: 'Dana Dispatch' } });
      // She accepts on B: one transaction in the database decides, and A's dispatcher sees it.
      expect(handoff(await c.call('handoff.accept', { id })).acceptedByName).toBe('Casey Clinician');
      expect(handoff(await c.call('handoff.complete', { id, outcome: 'resolved_by_phone', caseId: `case-${k}` })).state).toBe('completed');
    }

    // She says she is away from the console: off the chip on A.
    await c.ok('presence.attend', { attended: false });
    await answerersBecome(d, []);
    await c.ok('presence.attend', { attended: true });
    await answerersBecome(d, ['Casey Clinician']);
    // She closes her console: off the chip on A, and a live request is refused with the line again.
    await c.close();
    await answerersBecome(d, []);
    const after = await d.call('handoff.request', { id: 'h-after', incidentId: 'inc-9', mode: 'live', note: null });
    expect(after).toMatchObject({ ok: false, e: { code: 'unavailable', details: { directLine: '555-0199' } } });
  });

  it('a handoff every clinician on both instances declined is declined, and one nobody takes times out even when the instance that rang it is stopped', async () => {
    const { servers: [a, b] } = await instances(2, { handoffTimeoutMs: 1500 });
    const dispatcher = await signedIn(a.server, 'dispatcher');
    const onA = await signedIn(a.server, 'clinician', { name: 'Ana' });
    const onB = await signedIn(b.server, 'clinician', { name: 'Ben' });
    const d = await Client.connect(a.server, dispatcher.headers);
    const ca = await Client.connect(a.server, onA.headers);
    const cb = await Client.connect(b.server, onB.headers);
    clients.push(d, ca, cb);
    await answerersBecome(d, ['Ana', 'Ben']);
    await answerersBecome(cb, ['Ana', 'Ben']);

    handoff(await d.call('handoff.request', { id: 'h-dec', incidentId: 'inc-1', mode: 'live', note: null }));
    expect(handoff(await ca.call('handoff.decline', { id: 'h-dec', reason: 'on another call' })).state).toBe('ringing');
    expect(handoff(await cb.call('handoff.decline', { id: 'h-dec', reason: 'on another call' })).state).toBe('declined');

    // Rung by A, which then stops: B, which heard the ring, times it out.
    const rung = cb.next((m) => m.t === 'ring' && m.handoff.id === 'h-out', 2000);
    handoff(await d.call('handoff.request', { id: 'h-out', incidentId: 'inc-2', mode: 'live', note: null }));
    await rung;
    await a.stop();
    const ended = await cb.next((m) => m.t === 'poke', 5000).then(async () => {
      let state = '';
      await waitFor(
        async () => {
          const res = await cb.ok<{ ops: { entity: string; id: string; fields: { state?: string } }[] }>('pull', { cursor: 0, limit: 1000 });
          state = res.ops.filter((o) => o.entity === 'handoff' && o.id === 'h-out' && o.fields.state).at(-1)?.fields.state ?? '';
          return state === 'timed_out';
        },
        { what: `h-out to time out (is ${state})`, timeout: 8000, every: 100 },
      );
      return state;
    });
    expect(ended).toBe('timed_out');
  });

  it("a killed instance's clinicians leave the chip within three heartbeats or so; a restarted one's come back", async () => {
    const { url, servers: [a] } = await instances(1, { clinicianDirectLine: '555-0199' });
    const dispatcher = await signedIn(a.server, 'dispatcher');
    const clinician = await signedIn(a.server, 'clinician', { name: 'Kim' });
    const d = await Client.connect(a.server, dispatcher.headers);
    clients.push(d);
    const connectTo = async (wsUrl: string, s: Session) => {
      const c = await Client.connect({ wsUrl } as Parameters<typeof Client.connect>[0], s.headers);
      clients.push(c);
      return c;
    };
    const first = await instanceProcess(url);
    await connectTo(first.wsUrl, clinician);
    await answerersBecome(d, ['Kim']);

    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    await answerersBecome(d, [], 3 * PING_MS + 3000);
    const gone = performance.now() - killedAt;
    // Not a goodbye (there was none): the three-heartbeat rule, checked every half heartbeat.
    expect(gone).toBeGreaterThanOrEqual(3 * PING_MS - 2 * PING_MS);
    expect(gone).toBeLessThan(3 * PING_MS + 3000);
    const refused = await d.call('handoff.request', { id: 'h-k', incidentId: 'inc-k', mode: 'live', note: null });
    expect(refused).toMatchObject({ ok: false, e: { code: 'unavailable', details: { directLine: '555-0199' } } });

    // Restarted (a new process): her console reconnects to it and she is back, and rung.
    const second = await instanceProcess(url);
    const again = await connectTo(second.wsUrl, clinician);
    await answerersBecome(d, ['Kim']);
    const rung = again.next((m) => m.t === 'ring' && m.handoff.id === 'h-back', 2000);
    handoff(await d.call('handoff.request', { id: 'h-back', incidentId: 'inc-b', mode: 'live', note: null }));
    await rung;
  });
});

describe('a database connection ended under a transaction', () => {
  it('fails that transaction, not the process; the next one works', async () => {
    const { PostgresStorage } = await import('../../src/server/storage/postgres');
    const pg = (await import('pg')).default;
    const url = await cluster.createDatabase();
    const errors: Error[] = [];
    const storage = await PostgresStorage.open(url, { poolSize: 2, onConnectionError: (err) => errors.push(err) });
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    try {
      // Between two statements (no query in flight), as a transaction awaits something else.
      const doomed = storage.transaction(async (tx) => {
        await tx.getCursor();
        const pid = (await admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'tandem-server' AND state = 'idle in transaction'")).rows[0]?.pid;
        expect(pid).toBeDefined();
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await waitFor(() => errors.length > 0, { what: 'the connection to end', timeout: 5000 });
        return tx.getCursor();
      });
      await expect(doomed).rejects.toThrow();
      expect(errors[0].message).toMatch(/terminating connection/);
      expect(await storage.transaction((tx) => tx.getCursor())).toBe(0);
    } finally {
      await admin.end();
      await storage.close();
    }
  });
});
