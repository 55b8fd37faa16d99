import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/server/admin';
import { DB_FILE_NAME } from '../../src/server/app';
import { AUDIT_CSV_COLUMNS } from '../../src/server/audit';
import { keyPragmas } from '../../src/server/storage/key';
import { PostgresStorage } from '../../src/server/storage/postgres';
import { SqliteStorage } from '../../src/server/storage/sqlite';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { enroll, http, PASSWORD, startServer, tempDir } from './server-helpers';

/** Issue 14: the server's audit log records sign-in, sign-out, failures and admin actions, hash-chained; tampering is found. */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A server database with a few audited events in it, encrypted with `key`; the server stopped. */
async function withEvents(key: Buffer): Promise<string> {
  const d = tempDir();
  dirs.push(d);
  const t = await startServer({ dbKey: key, rateLimits: false }, d);
  try {
    await t.server.admin.addUser({ username: 'ines', password: PASSWORD, name: 'Ines', role: 'clinician' });
    const ws = await enroll(t.server);
    expect((await http(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'ines', password: 'wrong password' } })).status).toBe(401);
    const ok = await http<{ token: string }>(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'ines', password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect((await http(t.server.url, 'DELETE', '/v1/session', { headers: { ...ws.headers, authorization: `Bearer ${ok.body.token}` } })).status).toBe(200);
    await t.server.admin.disableUser('ines');
  } finally {
    await t.stop();
  }
  return path.join(d, DB_FILE_NAME);
}

/** The database as someone holding its key would open it, triggers dropped. */
function tamper(file: string, key: Buffer, sql: string): void {
  const db = new Database(file);
  for (const p of keyPragmas(key)) db.pragma(p);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  db.exec(sql);
  db.close();
}

async function verify(file: string, key: Buffer) {
  const s = new SqliteStorage(file, { key });
  try {
    return await createAdmin(s).auditVerify();
  } finally {
    await s.close();
  }
}

describe('server audit log', () => {
  it('records sign-in, a failed sign-in, sign-out and admin actions, in order, with who and from where; the chain verifies', async () => {
    const key = crypto.randomBytes(32);
    const file = await withEvents(key);
    const s = new SqliteStorage(file, { key });
    try {
      const admin = createAdmin(s, { actor: 'cli:ops' });
      const chunks: string[] = [];
      const n = await admin.auditExport('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z', (c) => chunks.push(c));
      const rows = parse(chunks.join(''), { columns: true }) as Record<string, string>[];
      expect(Object.keys(rows[0])).toEqual([...AUDIT_CSV_COLUMNS]);
      expect(rows).toHaveLength(n);
      expect(rows.map((r) => r.action)).toEqual([
        'user.add',
        'workstation.enrollment_token',
        'workstation.enroll',
        'signin.failed',
        'signin',
        'signout',
        'user.disable',
      ]);
      const failed = rows.find((r) => r.action === 'signin.failed')!;
      expect(failed.subject).toBe('ines');
      expect(failed.ip).toBe('127.0.0.1');
      expect(failed.workstation).toMatch(/^wst_/);
      expect(rows.find((r) => r.action === 'signin')!.actor).toBe('ines');
      expect(rows.find((r) => r.action === 'signout')!.actor).toBe('ines');
      expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7]);
      // The export was itself recorded.
      const again: string[] = [];
      await admin.auditExport('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z', (c) => again.push(c));
      const last = (parse(again.join(''), { columns: true }) as Record<string, string>[]).at(-1)!;
      expect(last).toMatchObject({ action: 'audit.export', actor: 'cli:ops' });
      // A window in the past holds nothing but the header.
      const none: string[] = [];
      expect(await admin.auditExport('2001-01-01T00:00:00.000Z', '2001-01-02T00:00:00.000Z', (c) => none.push(c))).toBe(0);
      expect(none.join('').trim()).toBe(AUDIT_CSV_COLUMNS.join(','));
      const report = await admin.auditVerify();
      // Seven events and three exports.
      expect(report).toEqual([{ source: 'server', entries: 10, ok: true }]);
    } finally {
      await s.close();
    }
  });

  it('refuses UPDATE and DELETE on the audit log even with the key', async () => {
    const key = crypto.randomBytes(32);
    const file = await withEvents(key);
    const db = new Database(file);
    for (const p of keyPragmas(key)) db.pragma(p);
    expect(() => db.exec('DELETE FROM audit_log')).toThrow(/append-only/);
    expect(() => db.exec("UPDATE audit_log SET actor = 'someone else'")).toThrow(/append-only/);
    db.close();
  });

  const cases: [string, string, RegExp][] = [
    ['a deleted entry', 'DELETE FROM audit_log WHERE seq = 4', /entry 4 is missing \(deleted\)/],
    ['an altered entry', "UPDATE audit_log SET actor = 'someone else' WHERE seq = 5", /entry 5 was altered/],
    [
      'two entries swapped',
      `UPDATE audit_log SET seq = -1 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -1;`,
      /entry 4 does not follow entry 3/,
    ],
    ['entries cut off the end', 'DELETE FROM audit_log WHERE seq >= 6', /entries 6–8 are missing from the end \(truncated\)/],
    ['the first entry deleted', 'DELETE FROM audit_log WHERE seq = 1', /entry 1 is missing/],
  ];
  for (const [what, sql, expected] of cases) {
    it(`verify finds ${what}`, async () => {
      const key = crypto.randomBytes(32);
      const file = await withEvents(key);
      // Intact first (this check is itself entry 8).
      expect((await verify(file, key)).every((r) => r.ok)).toBe(true);
      tamper(file, key, sql);
      const [report] = await verify(file, key);
      expect(report.ok).toBe(false);
      expect(report.problem?.message).toMatch(expected);
    });
  }
});

describe('server audit log on PostgreSQL', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => cluster?.stop());

  async function sql(url: string, text: string): Promise<void> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  }

  it('records the same events in one chain that verifies; the database refuses edits; a deletion is found', async () => {
    const url = await cluster.createDatabase();
    const t = await startServer({ databaseUrl: url, rateLimits: false });
    try {
      await t.server.admin.addUser({ username: 'ines', password: PASSWORD, name: 'Ines', role: 'clinician' });
      const ws = await enroll(t.server);
      expect((await http(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'ines', password: 'wrong password' } })).status).toBe(401);
      const ok = await http<{ token: string }>(t.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: 'ines', password: PASSWORD } });
      expect(ok.status).toBe(200);
      expect((await http(t.server.url, 'DELETE', '/v1/session', { headers: { ...ws.headers, authorization: `Bearer ${ok.body.token}` } })).status).toBe(200);
      await t.server.admin.disableUser('ines');
    } finally {
      await t.cleanup();
    }

    // The CLI's view: its own connection to the database.
    const verify = async () => {
      const s = await PostgresStorage.open(url);
      try {
        const admin = createAdmin(s, { actor: 'cli:ops' });
        const chunks: string[] = [];
        await admin.auditExport('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z', (c) => chunks.push(c));
        return { rows: parse(chunks.join(''), { columns: true }) as Record<string, string>[], report: await admin.auditVerify() };
      } finally {
        await s.close();
      }
    };
    const first = await verify();
    expect(first.rows.map((r) => r.action)).toEqual(['user.add', 'workstation.enrollment_token', 'workstation.enroll', 'signin.failed', 'signin', 'signout', 'user.disable']);
    expect(first.rows.find((r) => r.action === 'signin.failed')).toMatchObject({ subject: 'ines', ip: '127.0.0.1' });
    // Seven events and the export.
    expect(first.report).toEqual([{ source: 'server', entries: 8, ok: true }]);

    await expect(sql(url, 'DELETE FROM audit_log WHERE seq = 4')).rejects.toThrow(/append-only/);
    await expect(sql(url, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 5")).rejects.toThrow(/append-only/);
    await sql(url, 'DROP TRIGGER audit_log_no_delete ON audit_log; DELETE FROM audit_log WHERE seq = 4');
    const [report] = (await verify()).report;
    expect(report.ok).toBe(false);
    expect(report.problem?.message).toMatch(/entry 4 is missing \(deleted\)/);
  });
});
