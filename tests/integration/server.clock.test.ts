import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Handoff } from '../../src/shared/entities';
import type { PullResponse } from '../../src/shared/sync/protocol';
import { DB_FILE_NAME } from '../../src/server/app';
import { manualClock, type ManualClock } from '../helpers/clock';
import { Client, http, signedIn, startServer, type TestServer } from './server-helpers';

/**
 * The server reads time only from its injected clock (createSyncServer's `clock`): sessions,
 * enrollment tokens, handoff timeouts and the timestamps it stores move when the test moves it,
 * with no waiting. And a caller whose user is gone is `unauthenticated`, on HTTP and on a socket
 * already open.
 */
let t: TestServer | null = null;
let clock: ManualClock;
afterEach(async () => {
  await t?.cleanup();
  t = null;
});

async function start(config: { sessionTtlMs?: number; enrollmentTtlMs?: number; handoffTimeoutMs?: number } = {}): Promise<TestServer> {
  clock = manualClock();
  // No revocation sweep: these tests check that each request reads its caller again; the sweep
  // that closes revoked sockets on its own is tested in server.access.test.ts.
  t = await startServer({ clock, revocationCheckMs: 0, ...config });
  return t;
}

const pushNothing = (headers: Record<string, string>) => http<{ code?: string; message?: string }>(t!.server.url, 'POST', '/v1/push', { headers, body: { ops: [] } });

/** Changes the server's database from outside, as an operator (or another server instance) might. */
function sql(statement: string, ...params: unknown[]): void {
  const db = new Database(path.join(t!.dir, DB_FILE_NAME));
  try {
    db.pragma('foreign_keys = OFF');
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

/** The socket's answer to one request, and the close code that follows it. */
async function callThenClosed(client: Client): Promise<{ code: string; message: string; closedWith: number }> {
  const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
  const res = await client.call('presence.set', { status: 'available' });
  if (res.ok) throw new Error('the request was answered');
  return { code: res.e.code, message: res.e.message, closedWith: await closed };
}

describe('sessions and tokens expire on the server clock', () => {
  it('ends a session when its time is up, on HTTP and on an open socket', async () => {
    await start({ sessionTtlMs: 60_000 });
    const s = await signedIn(t!.server, 'clinician');
    const client = await Client.connect(t!.server, s.headers);
    clock.advance(59_999);
    expect((await pushNothing(s.headers)).status).toBe(200);
    expect(await client.call('presence.set', { status: 'available' })).toMatchObject({ ok: true });
    clock.advance(1);
    expect(await pushNothing(s.headers)).toMatchObject({ status: 401, body: { message: 'Your session has expired; sign in again' } });
    expect(await callThenClosed(client)).toEqual({ code: 'unauthenticated', message: 'Your session has expired; sign in again', closedWith: 4401 });
  });

  it('refuses an enrollment token once its time is up', async () => {
    await start({ enrollmentTtlMs: 10 * 60_000 });
    const token = await t!.server.admin.createEnrollmentToken('late desk');
    clock.advance(10 * 60_000);
    const res = await http<{ message: string }>(t!.server.url, 'POST', '/v1/enroll', { body: { token, name: 'late' } });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe(`This enrollment token expired at ${new Date(clock.now()).toISOString()}; ask IT for a new one`);
  });
});

describe('handoffs time out on the server clock', () => {
  it('times out a ringing handoff nobody answers when its time is up, stamped with the clock’s time', async () => {
    await start({ handoffTimeoutMs: 30_000 });
    const dispatcher = await signedIn(t!.server, 'dispatcher');
    const d = await Client.connect(t!.server, dispatcher.headers);
    const clinician = await Client.connect(t!.server, (await signedIn(t!.server, 'clinician')).headers);
    const ask = (id: string) => d.call('handoff.request', { id, incidentId: `inc-${id}`, mode: 'live', note: null });
    const started = clock.now();
    expect(await ask('early')).toMatchObject({ ok: true, r: { state: 'ringing', requestedAt: new Date(started).toISOString() } });
    clock.advance(15_000);
    expect(await ask('late')).toMatchObject({ ok: true, r: { state: 'ringing' } });

    const poked = d.next((m) => m.t === 'poke');
    clock.advance(15_000);
    await poked;
    const page = await http<PullResponse>(t!.server.url, 'GET', '/v1/pull?cursor=0', { headers: dispatcher.headers });
    const early = page.body.ops.filter((op) => op.id === 'early').map((op) => op.fields);
    expect(early.at(-1)).toEqual({ state: 'timed_out', endedAt: new Date(started + 30_000).toISOString() });
    // The later one still has 15 s to go: it can still be answered.
    expect(Handoff.parse((await clinician.ok('handoff.accept', { id: 'late' })) as unknown).state).toBe('accepted');
    await Promise.all([d.close(), clinician.close()]);
  });
});

describe('a caller whose user is gone', () => {
  it('is unauthenticated on HTTP and on its open socket, which closes, when its user is removed', async () => {
    await start();
    const s = await signedIn(t!.server, 'clinician');
    const client = await Client.connect(t!.server, s.headers);
    sql('DELETE FROM users WHERE id = ?', s.userId);
    const expected = { code: 'unauthenticated', message: 'The user of this session no longer exists or is disabled; sign in again' };
    expect(await pushNothing(s.headers)).toEqual({ status: 401, body: expected });
    expect(await callThenClosed(client)).toEqual({ ...expected, closedWith: 4401 });
    await expect(Client.connect(t!.server, s.headers)).rejects.toMatchObject({ status: 401 });
  });

  it('is unauthenticated when its user is disabled', async () => {
    await start();
    const s = await signedIn(t!.server, 'dispatcher');
    const client = await Client.connect(t!.server, s.headers);
    sql('UPDATE users SET disabled = 1 WHERE id = ?', s.userId);
    expect((await pushNothing(s.headers)).status).toBe(401);
    expect(await callThenClosed(client)).toMatchObject({ code: 'unauthenticated', closedWith: 4401 });
  });

  it('is unauthenticated on its socket once it signs out', async () => {
    await start();
    const s = await signedIn(t!.server, 'clinician');
    const client = await Client.connect(t!.server, s.headers);
    // Signing out closes the session's sockets at once, saying why.
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    expect((await http(t!.server.url, 'DELETE', '/v1/session', { headers: s.headers })).status).toBe(200);
    expect(await closed).toEqual({ code: 4401, reason: 'Your session is unknown or has ended; sign in again' });
  });

  it('has the powers of its role as it is now, not as it was when its socket opened', async () => {
    await start();
    const s = await signedIn(t!.server, 'clinician');
    const client = await Client.connect(t!.server, s.headers);
    expect(await client.call('presence.set', { status: 'available' })).toMatchObject({ ok: true });
    sql("UPDATE users SET role = 'dispatcher' WHERE id = ?", s.userId);
    expect(await client.call('presence.set', { status: 'away' })).toEqual({
      ok: false,
      e: { code: 'forbidden', message: 'A dispatcher may not set clinician presence' },
    });
    await client.close();
  });
});
