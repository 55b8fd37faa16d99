import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditSearchResponse } from '../../src/shared/sync/wire';
import { Client, signedIn, startServer, type Session, type TestServer } from './server-helpers';

/**
 * Issue 14, the server side of the supervisor's audit screen: `audit.search` answers a
 * supervisor (or admin) with bounded pages, newest first, filtered by who, what, when and
 * workstation; anyone else is refused by the server; each search is itself recorded.
 */
describe('audit.search', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ pingIntervalMs: 0 });
  });
  afterAll(() => t.cleanup());

  it('pages a supervisor through the log, filtered, and refuses a dispatcher or clinician', async () => {
    // Sign-ins to look for: each is a "signin" entry with the user and the workstation.
    const sup = await signedIn(t.server, 'supervisor');
    const others: Session[] = [];
    for (let i = 0; i < 5; i++) others.push(await signedIn(t.server, 'clinician'));
    const dispatcher = await signedIn(t.server, 'dispatcher');
    const c = await Client.connect(t.server, sup.headers);

    const first = await c.ok<AuditSearchResponse>('audit.search', { action: 'signin', limit: 3 });
    expect(first.entries).toHaveLength(3);
    expect(first.entries.every((e) => e.action === 'signin')).toBe(true);
    // Newest first: the dispatcher signed in last.
    const dispatcherName = (await t.server.admin.listUsers()).find((u) => u.id === dispatcher.userId)!.username;
    expect(first.entries[0].actor).toBe(dispatcherName);
    expect(first.entries[0].workstationName).toBe(`${dispatcherName}-desk`);
    expect(first.next).not.toBeNull();
    const second = await c.ok<AuditSearchResponse>('audit.search', { action: 'signin', limit: 3, before: first.next });
    const third = await c.ok<AuditSearchResponse>('audit.search', { action: 'signin', limit: 3, before: second.next });
    const all = [...first.entries, ...second.entries, ...third.entries];
    expect(all).toHaveLength(7);
    expect(third.next).toBeNull();
    expect(new Set(all.map((e) => e.id)).size).toBe(7);

    // By user and by workstation.
    const one = (await t.server.admin.listUsers()).find((u) => u.id === others[2].userId)!.username;
    const byActor = await c.ok<AuditSearchResponse>('audit.search', { actor: one });
    expect(byActor.entries.map((e) => e.action)).toEqual(['signin']);
    const byWs = await c.ok<AuditSearchResponse>('audit.search', { workstationId: others[2].ws.workstationId, action: 'signin' });
    expect(byWs.entries.map((e) => e.actor)).toEqual([one]);
    // By time: nothing before the epoch, everything within a window around now.
    expect((await c.ok<AuditSearchResponse>('audit.search', { to: '2000-01-01T00:00:00Z' })).entries).toEqual([]);

    // Bad input is said clearly; a page is bounded.
    const bad = await c.call('audit.search', { limit: 5000 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.e.code).toBe('bad_request');
    const badTime = await c.call('audit.search', { from: 'yesterday' });
    expect(!badTime.ok && badTime.e.message).toMatch(/from/);

    // Each search is itself recorded, with who looked.
    const searches = await c.ok<AuditSearchResponse>('audit.search', { action: 'audit.search' });
    expect(searches.entries.length).toBeGreaterThanOrEqual(5);
    expect(searches.entries.every((e) => e.subject === null && e.detail !== null)).toBe(true);

    for (const who of [dispatcher, others[0]]) {
      const d = await Client.connect(t.server, who.headers);
      const refused = await d.call('audit.search', {});
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.e.code).toBe('forbidden');
        expect(refused.e.message).toMatch(/may not read the audit log/);
      }
      await d.close();
    }
    await c.close();
  });
});
