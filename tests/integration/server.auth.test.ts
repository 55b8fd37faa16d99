import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionResponse } from '../../src/shared/sync/wire';
import { Client, enroll, http, PASSWORD, signedIn, startServer, type TestServer } from './server-helpers';
import { waitFor } from '../helpers/wait-for';

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.cleanup());

describe('health', () => {
  it('answers without credentials', async () => {
    const res = await http<{ ok: boolean; cursor: number; version: string }>(t.server.url, 'GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, cursor: expect.any(Number), version: expect.any(String) });
    expect(t.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.server.port).toBeGreaterThan(0);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await http<{ code: string }>(t.server.url, 'GET', '/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('enrollment', () => {
  it('turns a one-time token into a workstation id and secret, once', async () => {
    const token = await t.server.admin.createEnrollmentToken('Dispatch 4');
    const first = await http<{ workstationId: string; secret: string }>(t.server.url, 'POST', '/v1/enroll', { body: { token, name: 'DISP-4' } });
    expect(first.status).toBe(200);
    expect(first.body.workstationId).toMatch(/^wst_/);
    expect(first.body.secret.length).toBeGreaterThanOrEqual(32);
    const again = await http<{ code: string; message: string }>(t.server.url, 'POST', '/v1/enroll', { body: { token, name: 'DISP-5' } });
    expect(again.status).toBe(401);
    expect(again.body.message).toContain('already been used');
    const list = await t.server.admin.listWorkstations();
    expect(list.find((w) => w.id === first.body.workstationId)?.name).toBe('DISP-4');
  });

  it('refuses unknown tokens and malformed requests', async () => {
    const unknown = await http<{ message: string }>(t.server.url, 'POST', '/v1/enroll', { body: { token: 'tnd-enr-made-up', name: 'x' } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toContain('Unknown enrollment token');
    const malformed = await http<{ code: string }>(t.server.url, 'POST', '/v1/enroll', { body: { name: 'x' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('bad_request');
  });

  it('refuses an expired token', async () => {
    const short = await startServer({ enrollmentTtlMs: 1 });
    try {
      const token = await short.server.admin.createEnrollmentToken();
      // The token expires 1 ms after the server issued it, which was no later than now.
      const issuedBy = Date.now();
      await waitFor(() => Date.now() > issuedBy + 1, { what: "the token's 1 ms lifetime to pass" });
      const res = await http<{ message: string }>(short.server.url, 'POST', '/v1/enroll', { body: { token, name: 'late' } });
      expect(res.status).toBe(401);
      expect(res.body.message).toContain('expired');
    } finally {
      await short.cleanup();
    }
  });
});

describe('sessions', () => {
  it('signs a user in on an enrolled workstation', async () => {
    await t.server.admin.addUser({ username: 'maria', password: PASSWORD, name: 'Maria Lopez', role: 'clinician', directLine: '555-0100' });
    const ws = await enroll(t.server);
    const res = await http(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'MARIA', password: PASSWORD } });
    expect(res.status).toBe(200);
    const session = SessionResponse.parse(res.body);
    expect(session.user).toMatchObject({ username: 'maria', name: 'Maria Lopez', role: 'clinician', directLine: '555-0100' });
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('gives the same answer for a wrong password and an unknown user', async () => {
    await t.server.admin.addUser({ username: 'dan', password: PASSWORD, name: 'Dan', role: 'dispatcher' });
    const ws = await enroll(t.server);
    const wrong = await http<{ message: string }>(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'dan', password: 'not it at all' } });
    const unknown = await http<{ message: string }>(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'nobody', password: 'not it at all' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe('Wrong username or password');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('needs an enrolled workstation to sign in', async () => {
    await t.server.admin.addUser({ username: 'eve', password: PASSWORD, name: 'Eve', role: 'dispatcher' });
    const res = await http(t.server.url, 'POST', '/v1/session', { body: { username: 'eve', password: PASSWORD } });
    expect(res.status).toBe(401);
  });

  it('refuses duplicate usernames and weak passwords when adding users', async () => {
    await expect(t.server.admin.addUser({ username: 'maria', password: PASSWORD, name: 'Other', role: 'clinician' })).rejects.toThrow(/already exists/);
    await expect(t.server.admin.addUser({ username: 'short', password: 'abc', name: 'S', role: 'clinician' })).rejects.toThrow(/at least 8/);
  });

  it('ends sessions on sign-out and on workstation revocation', async () => {
    const s = await signedIn(t.server, 'dispatcher');
    const pull = () => http(t.server.url, 'GET', '/v1/pull?cursor=0&limit=1', { headers: s.headers });
    expect((await pull()).status).toBe(200);
    expect((await http(t.server.url, 'DELETE', '/v1/session', { headers: s.headers })).status).toBe(200);
    expect((await pull()).status).toBe(401);

    const s2 = await signedIn(t.server, 'clinician');
    const client = await Client.connect(t.server, s2.headers);
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    expect(await t.server.admin.revokeWorkstation(s2.ws.workstationId)).toBe(true);
    expect(await closed).toBe(4401);
    const res = await http<{ message: string }>(t.server.url, 'GET', '/v1/pull?cursor=0', { headers: s2.headers });
    expect(res.status).toBe(401);
    expect(res.body.message).toContain('revoked');
  });
});

describe('WebSocket authentication', () => {
  it('refuses the upgrade with 401 without credentials', async () => {
    await expect(Client.connect(t.server, {})).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a workstation without a session, and a made-up session', async () => {
    const ws = await enroll(t.server);
    await expect(Client.connect(t.server, ws.headers)).rejects.toMatchObject({ status: 401 });
    await expect(Client.connect(t.server, { ...ws.headers, authorization: 'Bearer tnd-ses-made-up' })).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a session presented by another workstation', async () => {
    const s = await signedIn(t.server, 'clinician');
    const other = await enroll(t.server);
    await expect(Client.connect(t.server, { ...other.headers, authorization: s.headers.authorization })).rejects.toMatchObject({ status: 401 });
  });

  it('says hello with the user, the cursor and the drift allowance', async () => {
    const s = await signedIn(t.server, 'supervisor', { name: 'Sue Visor' });
    const client = await Client.connect(t.server, s.headers);
    const hello = client.messages[0];
    expect(hello).toMatchObject({ t: 'hello', cursor: expect.any(Number), maxDriftMs: 300_000, user: { id: s.userId, name: 'Sue Visor', role: 'supervisor' } });
    if (hello.t !== 'hello') throw new Error('unreachable');
    expect(Math.abs(hello.serverTime - Date.now())).toBeLessThan(5000);
    await client.close();
  });
});
