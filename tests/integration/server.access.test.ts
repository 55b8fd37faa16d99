import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/server/admin';
import { DB_FILE_NAME } from '../../src/server/app';
import { SqliteStorage } from '../../src/server/storage/sqlite';
import { manualClock } from '../helpers/clock';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { Client, enroll, http as request, newReplica, op, incidentFields, PASSWORD, signedIn, startServer, type TestServer } from './server-helpers';

/**
 * Issue 14: revocation reaches open sockets, sign-in is throttled, bodies are read only after
 * the credential is checked and within each route's limit.
 */

/** The close code and the time it took, once the socket closes. */
function closed(client: Client): Promise<{ code: number; reason: string; at: number }> {
  return new Promise((resolve) => {
    if (client.socket.readyState === client.socket.CLOSED) return resolve({ code: -1, reason: 'already closed', at: performance.now() });
    client.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() }));
  });
}

/** The CLI's view: its own connection to the database file, no link to the running server. */
async function asCli<T>(t: TestServer, fn: (admin: ReturnType<typeof createAdmin>) => Promise<T>): Promise<T> {
  const storage = new SqliteStorage(path.join(t.dir, DB_FILE_NAME));
  try {
    return await fn(createAdmin(storage));
  } finally {
    await storage.close();
  }
}

describe('revocation reaches open sockets', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.cleanup());

  it('a session revoked from the CLI closes its socket within a second, and it pushes nothing more', async () => {
    const s = await signedIn(t.server, 'clinician');
    const other = await signedIn(t.server, 'clinician');
    const c = await Client.connect(t.server, s.headers);
    const bystander = await Client.connect(t.server, other.headers);
    const sessions = await asCli(t, (a) => a.listSessions());
    const mine = sessions.find((x) => x.userId === s.userId);
    expect(mine).toBeDefined();
    const gone = closed(c);
    const start = performance.now();
    expect(await asCli(t, (a) => a.revokeSession(mine!.id))).toBe(1);
    const { code, reason, at } = await gone;
    expect(code).toBe(4401);
    expect(reason).toMatch(/session/i);
    expect(at - start).toBeLessThan(1000);
    // The other console is untouched, and the ended session is refused on HTTP too.
    await bystander.ok('pull', { cursor: 0 });
    expect((await request(t.server.url, 'GET', '/v1/pull?cursor=0', { headers: s.headers })).status).toBe(401);
    await bystander.close();
  });

  it('a user disabled from the CLI is cut off on every socket within a second, and cannot sign in until enabled', async () => {
    const s = await signedIn(t.server, 'supervisor');
    const second = await request<{ token: string }>(t.server.url, 'POST', '/v1/session', {
      headers: (await enroll(t.server)).headers,
      body: { username: (await t.server.admin.listUsers()).find((u) => u.id === s.userId)!.username, password: PASSWORD },
    });
    expect(second.status).toBe(200);
    const username = (await t.server.admin.listUsers()).find((u) => u.id === s.userId)!.username;
    const c1 = await Client.connect(t.server, s.headers);
    const gone = closed(c1);
    const start = performance.now();
    expect((await asCli(t, (a) => a.disableUser(username)))?.username).toBe(username);
    const { code, at } = await gone;
    expect(code).toBe(4401);
    expect(at - start).toBeLessThan(1000);
    const again = await request<{ code: string }>(t.server.url, 'POST', '/v1/session', { headers: s.ws.headers, body: { username, password: PASSWORD } });
    expect(again.status).toBe(401);
    await asCli(t, (a) => a.enableUser(username));
    const back = await request(t.server.url, 'POST', '/v1/session', { headers: s.ws.headers, body: { username, password: PASSWORD } });
    expect(back.status).toBe(200);
  });

  it('a workstation revoked from the CLI is cut off within a second', async () => {
    const s = await signedIn(t.server, 'dispatcher');
    const c = await Client.connect(t.server, s.headers);
    const gone = closed(c);
    const start = performance.now();
    expect(await asCli(t, (a) => a.revokeWorkstation(s.ws.workstationId))).toBe(true);
    const { code, reason, at } = await gone;
    expect(code).toBe(4401);
    expect(reason).toMatch(/revoked/);
    expect(at - start).toBeLessThan(1000);
    await expect(Client.connect(t.server, s.headers)).rejects.toMatchObject({ status: 401 });
  });

  it('a password reset ends the user’s sessions and sockets', async () => {
    const s = await signedIn(t.server, 'clinician');
    const username = (await t.server.admin.listUsers()).find((u) => u.id === s.userId)!.username;
    const c = await Client.connect(t.server, s.headers);
    const gone = closed(c);
    await t.server.admin.resetPassword(username, 'a brand new passphrase');
    expect((await gone).code).toBe(4401);
    expect((await request(t.server.url, 'POST', '/v1/session', { headers: s.ws.headers, body: { username, password: PASSWORD } })).status).toBe(401);
    expect(
      (await request(t.server.url, 'POST', '/v1/session', { headers: s.ws.headers, body: { username, password: 'a brand new passphrase' } })).status,
    ).toBe(200);
    await expect(t.server.admin.resetPassword(username, 'short')).rejects.toThrow(/at least 8 characters/);
  });

  it('signing out closes that session’s sockets at once', async () => {
    const s = await signedIn(t.server, 'clinician');
    const c = await Client.connect(t.server, s.headers);
    const gone = closed(c);
    expect((await request(t.server.url, 'DELETE', '/v1/session', { headers: s.headers })).status).toBe(200);
    expect((await gone).code).toBe(4401);
  });

  it('session revoke refuses an id that is not one', async () => {
    await expect(t.server.admin.revokeSession('xyz')).rejects.toThrow(/8 to 64 lower-case hex digits/);
    expect(await t.server.admin.revokeSession('00000000')).toBe(0);
  });
});

/** Where the server keeps its data: its own SQLite file (the default), or a fresh PostgreSQL database. */
type Engine = () => Promise<{ databaseUrl?: string }>;
const sqlite: Engine = async () => ({});

/** Ten wrong passwords lock the username out; even the right one is refused until an administrator unlocks it. */
async function lockedUntilUnlocked(engine: Engine): Promise<void> {
  const clock = manualClock();
  const t = await startServer({ clock, rateLimits: false, ...(await engine()) });
  try {
    await t.server.admin.addUser({ username: 'target', password: PASSWORD, name: 'Target', role: 'clinician' });
    const ws = await enroll(t.server);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push((await request(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'target', password: `guess ${i}` } })).status);
      clock.advance(16 * 60_000); // past any backoff: only the lockout stops it
    }
    // The first ten are checked (wrong: 401); then the username is locked out.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(30).fill(429));
    const right = await request<{ code: string; message: string }>(t.server.url, 'POST', '/v1/session', {
      headers: ws.headers,
      body: { username: 'target', password: PASSWORD },
    });
    expect(right.status).toBe(429);
    expect(right.body.code).toBe('rate_limited');
    expect(right.body.message).toContain('an administrator must unlock it');
    expect(await t.server.admin.unlockUser('TARGET')).toBe(true);
    expect((await request(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'target', password: PASSWORD } })).status).toBe(200);
  } finally {
    await t.cleanup();
  }
}

/** Twenty wrong passwords at once: five are checked, fifteen refused, whatever order they are served in. */
async function concurrentAttempts(engine: Engine): Promise<void> {
  const t = await startServer({ rateLimits: false, ...(await engine()) });
  try {
    await t.server.admin.addUser({ username: 'par', password: PASSWORD, name: 'Par', role: 'clinician' });
    const ws = await enroll(t.server);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => request(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'par', password: `p${i}-wrong` } })),
    );
    const counts = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    expect(counts).toEqual({ 401: 5, 429: 15 });
  } finally {
    await t.cleanup();
  }
}

/** A typed username with U+0000 in it (which PostgreSQL text cannot hold) is a wrong login like any other: counted, locked out, audited. */
async function nulUsername(engine: Engine): Promise<void> {
  const t = await startServer({ rateLimits: false, ...(await engine()) });
  try {
    const ws = await enroll(t.server);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'ad\u0000min', password: 'whatever1' } })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const csv: string[] = [];
    await t.server.admin.auditExport('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z', (c) => csv.push(c));
    const text = csv.join('');
    expect(text.match(/signin\.failed/g)).toHaveLength(5);
    expect(text.match(/signin\.refused/g)).toHaveLength(1);
    expect(text).toContain('ad\uFFFDmin');
    expect(await t.server.admin.auditVerify()).toEqual([expect.objectContaining({ source: 'server', ok: true })]);
  } finally {
    await t.cleanup();
  }
}

describe('sign-in throttling', () => {
  it('40 wrong passwords and then the right one: refused, until an administrator unlocks', () => lockedUntilUnlocked(sqlite));

  it('backs off after five failures, doubling, and says when to try again; a right password clears the count', async () => {
    const clock = manualClock();
    const t = await startServer({ clock, rateLimits: false });
    try {
      await t.server.admin.addUser({ username: 'nia', password: PASSWORD, name: 'Nia', role: 'dispatcher' });
      const ws = await enroll(t.server);
      const attempt = (password: string) =>
        request<{ code: string; details?: { retryAfterMs: number } }>(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'nia', password } });
      for (let i = 0; i < 5; i++) expect((await attempt('wrong one')).status).toBe(401);
      const waiting = await attempt(PASSWORD);
      expect(waiting.status).toBe(429);
      expect(waiting.body.details?.retryAfterMs).toBe(30_000);
      clock.advance(30_000);
      expect((await attempt('wrong again')).status).toBe(401); // sixth failure: 60 s now
      const longer = await attempt(PASSWORD);
      expect(longer.body.details?.retryAfterMs).toBe(60_000);
      clock.advance(60_000);
      expect((await attempt(PASSWORD)).status).toBe(200);
      // Cleared: five more free attempts.
      for (let i = 0; i < 5; i++) expect((await attempt('wrong one')).status).toBe(401);
    } finally {
      await t.cleanup();
    }
  });

  it('attempts sent all at once are counted before any password is checked', () => concurrentAttempts(sqlite));

  it('a username with U+0000 in it is a wrong login like any other: counted, locked out, audited', () => nulUsername(sqlite));

  it('a username that does not exist is locked out the same way (a lockout tells nothing)', async () => {
    const clock = manualClock();
    const t = await startServer({ clock, rateLimits: false });
    try {
      const ws = await enroll(t.server);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await request(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'nobody', password: 'whatever1' } })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    } finally {
      await t.cleanup();
    }
  });

  it('limits sign-in attempts per workstation, whatever the usernames', async () => {
    const t = await startServer({ rateLimits: { signInPerMinute: 8 } });
    try {
      const ws = await enroll(t.server);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await request(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: `user${i}`, password: 'wrong pw' } })).status);
      expect(statuses).toEqual([...Array(8).fill(401), 429, 429]);
      // Another workstation is not held back by this one.
      const other = await enroll(t.server);
      expect((await request(t.server.url, 'POST', '/v1/session', { headers: other.headers, body: { username: 'userx', password: 'wrong pw' } })).status).toBe(401);
    } finally {
      await t.cleanup();
    }
  });

  it('limits requests on every route per address, unauthenticated ones included', async () => {
    const t = await startServer({ rateLimits: { perMinute: 5 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await request(t.server.url, 'GET', '/v1/pull?cursor=0')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    } finally {
      await t.cleanup();
    }
  });
});

/** Streams `total` bytes to a route, and reports what came back and how much had been sent by then. */
function streamBody(url: string, route: string, headers: Record<string, string>, total: number): Promise<{ status: number; body: string; sentWhenAnswered: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let sent = 0;
    let answered = false;
    const req = http.request(url + route, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(total), ...headers } });
    req.on('response', (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sentWhenAnswered }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      // The server may cut the upload once it has answered.
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    req.write('[');
    pump();
  });
}

describe('bodies', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.cleanup());

  it('answers an unauthenticated 60 MiB push with 401 before reading its body, eight at once', async () => {
    const total = 60 * 1024 * 1024;
    const before = process.memoryUsage().rss;
    const results = await Promise.all(Array.from({ length: 8 }, () => streamBody(t.server.url, '/v1/push', {}, total)));
    for (const r of results) {
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body).code).toBe('unauthenticated');
      // Answered on the headers: far less than the body had been sent.
      expect(r.sentWhenAnswered).toBeLessThan(total / 4);
    }
    // The server (in this process) did not buffer 8 × 60 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('answers a sign-in from an unknown workstation before reading its body', async () => {
    const r = await streamBody(t.server.url, '/v1/session', { 'x-tandem-workstation': 'wst_fake', 'x-tandem-secret': 'nope' }, 8 * 1024 * 1024);
    expect(r.status).toBe(401);
    expect(r.sentWhenAnswered).toBeLessThan(8 * 1024 * 1024);
  });

  it('refuses a sign-in body over its 16 KiB limit with 413', async () => {
    const ws = await enroll(t.server);
    const r = await request<{ code: string }>(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'x', password: 'y'.repeat(20_000) } });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('bad_request');
  });

  it('answers deeply nested JSON with 400, not a crash, on sign-in and on push', async () => {
    const s = await signedIn(t.server, 'clinician');
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const [route, headers] of [
      ['/v1/push', s.headers],
      ['/v1/session', s.ws.headers],
    ] as const) {
      const res = await fetch(t.server.url + route, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: route === '/v1/push' ? `{"ops":${deep}}` : deep.slice(0, 8000) + deep.slice(-8000) });
      expect(res.status, route).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/nests deeper than 64 levels/);
    }
    // Ordinary ops, a few levels deep, still go through.
    const replica = newReplica();
    const ok = await request(t.server.url, 'POST', '/v1/push', { headers: s.headers, body: { ops: [op(replica, 1, 'incident', 'inc-deep-1', incidentFields(1))] } });
    expect(ok.status).toBe(200);
  });
});

describe('sign-in throttling on PostgreSQL (the counts live in the database)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => cluster?.stop());
  const postgres: Engine = async () => ({ databaseUrl: await cluster.createDatabase() });

  it('40 wrong passwords and then the right one: refused, until an administrator unlocks', () => lockedUntilUnlocked(postgres));
  it('attempts sent all at once are counted before any password is checked', () => concurrentAttempts(postgres));
  it('a username with U+0000 in it is a wrong login like any other: counted, locked out, audited', () => nulUsername(postgres));
});
