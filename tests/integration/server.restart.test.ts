import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { PullResponse, PushResponse } from '../../src/shared/sync/protocol';
import { Client, http, incidentFields, newReplica, op, PASSWORD, signedIn, startServer, tempDir } from './server-helpers';
import { waitFor } from '../helpers/wait-for';

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('restart', () => {
  it('keeps users, workstations, sessions, replicas, the change log and ringing handoffs', async () => {
    const first = await startServer({ handoffTimeoutMs: 60_000 }, dir);
    const dispatcher = await signedIn(first.server, 'dispatcher', { name: 'Dana' });
    const clinician = await signedIn(first.server, 'clinician', { name: 'Cleo' });
    const r = newReplica();
    const batch = [op(r, 1, 'incident', 'inc-1', incidentFields(1)), op(r, 2, 'incident', 'inc-1', { notes: 'kept' })];
    const pushed = await http<PushResponse>(first.server.url, 'POST', '/v1/push', { headers: dispatcher.headers, body: { ops: batch } });
    expect(pushed.body.applied).toBe(2);
    const c = await Client.connect(first.server, clinician.headers);
    const d = await Client.connect(first.server, dispatcher.headers);
    expect((await d.call('handoff.request', { id: 'h-ring', incidentId: 'inc-1', mode: 'live', note: null })).ok).toBe(true);
    const before = await d.ok<PullResponse>('pull', { cursor: 0 });
    await Promise.all([c.close(), d.close()]);
    await first.stop();

    // Reopen the same data directory with a short timeout: the handoff left ringing times out on startup.
    const second = await startServer({ handoffTimeoutMs: 100 }, dir);
    try {
      const health = await http<{ cursor: number }>(second.server.url, 'GET', '/v1/health');
      expect(health.body.cursor).toBeGreaterThanOrEqual(before.cursor); // the timeout may already have been written
      // The old session token and workstation secret still work.
      const again = await http<PushResponse>(second.server.url, 'POST', '/v1/push', { headers: dispatcher.headers, body: { ops: batch } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ lastSeq: 2, applied: 0, skipped: 2 });
      // Users can sign in again.
      const signIn = await http(second.server.url, 'POST', '/v1/session', {
        headers: clinician.ws.headers,
        body: { username: (await second.server.admin.listUsers()).find((u) => u.name === 'Cleo')?.username, password: PASSWORD },
      });
      expect(signIn.status).toBe(200);

      // Read back as the dispatcher read it before (a clinician's pulls leave out CAD documents: issue 13).
      const c2 = await Client.connect(second.server, dispatcher.headers);
      const lastState = (p: PullResponse) => p.ops.filter((o) => o.id === 'h-ring' && 'state' in o.fields).at(-1)?.fields.state;
      const page = await waitFor(
        async () => {
          const p = await c2.ok<PullResponse>('pull', { cursor: 0 });
          return lastState(p) !== 'ringing' ? p : undefined;
        },
        { what: 'the ringing handoff to leave ringing after the restart', every: 30 },
      );
      expect(lastState(page)).toBe('timed_out');
      // The change log is intact and the server's replica carries on where it stopped, later in time.
      expect(page.ops.slice(0, before.ops.length)).toEqual(before.ops);
      const serverOps = page.ops.filter((o) => o.replica === 'server');
      expect(serverOps.map((o) => o.seq)).toEqual(serverOps.map((_, i) => i + 1));
      const hlcs = serverOps.map((o) => o.hlc);
      expect([...hlcs].sort()).toEqual(hlcs);
      await c2.close();

      const status = await second.server.admin.status();
      expect(status).toMatchObject({ users: 2, workstations: 2, replicas: 1, changes: page.ops.length, cursor: page.cursor });
    } finally {
      await second.stop();
    }
  });
});
