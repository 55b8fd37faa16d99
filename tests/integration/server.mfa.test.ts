import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/server/admin';
import { DB_FILE_NAME } from '../../src/server/app';
import { SqliteStorage } from '../../src/server/storage/sqlite';
import { manualClock } from '../helpers/clock';
import { enroll, http as request, PASSWORD, startServer, type TestServer, type Workstation } from './server-helpers';

/**
 * Issue 14: two-step sign-in (TOTP). Setup at sign-in (QR and key shown once, confirmed by a
 * code), codes asked of whoever has it, a code good once, wrong codes throttled as passwords
 * are, recovery codes, and an administrator's reset.
 */

type Challenge = { code: string; message: string; details?: { mfa?: 'code' | 'setup'; secret?: string; uri?: string; qrSvg?: string; wrong?: boolean } };
type Ok = { token: string; recoveryCodes?: string[] };

const codeAt = (secret: string, at: number) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at });

describe('two-step sign-in', () => {
  let t: TestServer;
  const clock = manualClock(Date.parse('2026-03-02T10:00:05Z'));
  let n = 0;
  beforeAll(async () => {
    t = await startServer({ clock, mfa: { requiredRoles: ['clinician', 'supervisor', 'admin'] }, pingIntervalMs: 0 });
  });
  afterAll(() => t.cleanup());

  async function user(role: 'clinician' | 'dispatcher'): Promise<{ username: string; ws: Workstation }> {
    const username = `mfa-${role}-${++n}`;
    await t.server.admin.addUser({ username, password: PASSWORD, name: `MFA ${n}`, role });
    return { username, ws: await enroll(t.server, `${username}-desk`) };
  }
  const signIn = (ws: Workstation, body: Record<string, unknown>) => request<Challenge & Ok>(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body });

  /** Signs a user in through setup; returns the secret and the recovery codes. */
  async function setUp(username: string, ws: Workstation): Promise<{ secret: string; recovery: string[] }> {
    const first = await signIn(ws, { username, password: PASSWORD });
    const secret = first.body.details!.secret!;
    const done = await signIn(ws, { username, password: PASSWORD, code: codeAt(secret, clock.now()) });
    expect(done.status).toBe(200);
    return { secret, recovery: done.body.recoveryCodes! };
  }

  it('a role that must have it sets it up at sign-in: a QR code and key shown once, confirmed by a code, recovery codes given once', async () => {
    const { username, ws } = await user('clinician');
    const first = await signIn(ws, { username, password: PASSWORD });
    expect(first.status).toBe(401);
    expect(first.body.details?.mfa).toBe('setup');
    const { secret, uri, qrSvg } = first.body.details!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain('issuer=Tandem');
    expect(qrSvg).toMatch(/^<svg/);
    // Asking again shows a new key: the one shown before is never shown twice.
    const again = await signIn(ws, { username, password: PASSWORD });
    expect(again.body.details?.secret).not.toBe(secret);
    // The first key no longer confirms; the wrong code is said, with the current key still shown.
    const stale = await signIn(ws, { username, password: PASSWORD, code: codeAt(secret!, clock.now()) });
    expect(stale.status).toBe(401);
    expect(stale.body.message).toMatch(/wrong code/i);
    expect(stale.body.details?.secret).toBe(again.body.details!.secret);
    const ok = await signIn(ws, { username, password: PASSWORD, code: codeAt(again.body.details!.secret!, clock.now()) });
    expect(ok.status).toBe(200);
    expect(ok.body.token).toMatch(/^tnd-ses-/);
    expect(ok.body.recoveryCodes).toHaveLength(10);
    // From now on a code is asked, and no key is ever shown again.
    clock.advance(30_000);
    const next = await signIn(ws, { username, password: PASSWORD });
    expect(next.status).toBe(401);
    expect(next.body.details).toEqual({ mfa: 'code', wrong: false });
    expect(JSON.stringify(next.body)).not.toContain(again.body.details!.secret!);
  });

  it('a dispatcher (not required) signs in with the password alone', async () => {
    const { username, ws } = await user('dispatcher');
    const res = await signIn(ws, { username, password: PASSWORD });
    expect(res.status).toBe(200);
  });

  it('a wrong code is refused; a code is good once (a replay, or an earlier code, is refused)', async () => {
    const { username, ws } = await user('clinician');
    const { secret } = await setUp(username, ws);
    // The code that confirmed setup cannot sign in again.
    const replaySetup = await signIn(ws, { username, password: PASSWORD, code: codeAt(secret, clock.now()) });
    expect(replaySetup.status).toBe(401);
    expect(replaySetup.body.message).toMatch(/already used/);
    clock.advance(30_000);
    const code = codeAt(secret, clock.now());
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const bad = await signIn(ws, { username, password: PASSWORD, code: wrong });
    expect(bad.status).toBe(401);
    expect(bad.body.message).toMatch(/wrong code/i);
    expect(bad.body.details?.wrong).toBe(true);
    expect((await signIn(ws, { username, password: PASSWORD, code })).status).toBe(200);
    const replay = await signIn(ws, { username, password: PASSWORD, code });
    expect(replay.status).toBe(401);
    expect(replay.body.message).toMatch(/already used/);
    // The previous step's code is still inside the window, but older than the one used: refused.
    const earlier = await signIn(ws, { username, password: PASSWORD, code: codeAt(secret, clock.now() - 30_000) });
    expect(earlier.status).toBe(401);
    // The next step's code works.
    clock.advance(30_000);
    expect((await signIn(ws, { username, password: PASSWORD, code: codeAt(secret, clock.now()) })).status).toBe(200);
    // A wrong password with a right code: still only "wrong username or password".
    clock.advance(30_000);
    const pw = await signIn(ws, { username, password: 'not the password', code: codeAt(secret, clock.now()) });
    expect(pw.status).toBe(401);
    expect(pw.body.message).toBe('Wrong username or password');
  });

  it('wrong codes are throttled like passwords: 5 free, then a wait; asking for the code costs nothing', async () => {
    const { username, ws } = await user('clinician');
    const { secret } = await setUp(username, ws);
    clock.advance(30_000);
    // The right password with no code yet, many times: never throttled.
    for (let i = 0; i < 8; i++) expect((await signIn(ws, { username, password: PASSWORD })).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await signIn(ws, { username, password: PASSWORD, code: '000000' === codeAt(secret, clock.now()) ? '111111' : '000000' })).status).toBe(401);
    const throttled = await signIn(ws, { username, password: PASSWORD, code: codeAt(secret, clock.now()) });
    expect(throttled.status).toBe(429);
    expect(throttled.body.message).toMatch(/try again in 30 s/);
    clock.advance(31_000);
    expect((await signIn(ws, { username, password: PASSWORD, code: codeAt(secret, clock.now()) })).status).toBe(200);
  });

  it('a recovery code signs in once; an administrator resets a lost authenticator and the user sets up again', async () => {
    const { username, ws } = await user('clinician');
    const { recovery } = await setUp(username, ws);
    const rc = recovery[3];
    expect((await signIn(ws, { username, password: PASSWORD, code: rc.toUpperCase() })).status).toBe(200);
    const twice = await signIn(ws, { username, password: PASSWORD, code: rc });
    expect(twice.status).toBe(401);
    expect(twice.body.details?.mfa).toBe('code');
    // The CLI (another process: its own connection to the file) resets it.
    const storage = new SqliteStorage(path.join(t.dir, DB_FILE_NAME));
    try {
      const r = await createAdmin(storage).resetMfa(username);
      expect(r?.had).toBe(true);
    } finally {
      await storage.close();
    }
    const after = await signIn(ws, { username, password: PASSWORD });
    expect(after.body.details?.mfa).toBe('setup');
    // The recovery codes went with it.
    expect((await signIn(ws, { username, password: PASSWORD, code: recovery[5] })).body.message).toMatch(/wrong code/i);
  });

  it('user require-mfa makes a dispatcher set it up; the audit log records setup and wrong codes, never the key', async () => {
    const { username, ws } = await user('dispatcher');
    expect(await t.server.admin.setMfaRequired(username, true)).not.toBeNull();
    const first = await signIn(ws, { username, password: PASSWORD });
    expect(first.body.details?.mfa).toBe('setup');
    const secret = first.body.details!.secret!;
    expect((await signIn(ws, { username, password: PASSWORD, code: '12345' })).status).toBe(401);
    expect((await signIn(ws, { username, password: PASSWORD, code: codeAt(secret, clock.now()) })).status).toBe(200);
    const lines: string[] = [];
    await t.server.admin.auditExport('2000-01-01', '2100-01-01', (c) => lines.push(c));
    const csv = lines.join('');
    expect(csv).not.toContain(secret);
    const mine = csv.split('\n').filter((l) => l.includes(username));
    expect(mine.some((l) => l.includes('signin.mfa_setup'))).toBe(true);
    expect(mine.some((l) => l.includes('signin.mfa_failed'))).toBe(true);
    expect(mine.some((l) => /,signin,/.test(l) && l.includes('set up'))).toBe(true);
  });
});
