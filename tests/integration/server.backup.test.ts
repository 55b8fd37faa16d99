import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_BUNDLES } from '../helpers/cli-bundles';
import type { PullResponse, PushResponse } from '../../src/shared/sync/protocol';
import { DB_FILE_NAME } from '../../src/server/app';
import crypto from 'node:crypto';
import { backupSqliteDatabase, restoreSqliteDatabase, SqliteStorage } from '../../src/server/storage/sqlite';
import { http, incidentFields, newReplica, op, signedIn, startServer, tempDir, type Session, type TestServer } from './server-helpers';

/** `backup` and `restore` of the SQLite default: online, checked, never overwriting, never losing the current database. */
/** The server's CLI as the global setup bundled it (tests/helpers/cli-bundles.ts), run by this Node. */
const CLI = CLI_BUNDLES.server;
const NODE = process.execPath;

const dirs: string[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function server(dir?: string) {
  const t = await startServer({}, dir ?? tempDir());
  servers.push(t);
  dirs.push(t.dir);
  return t;
}
const push = (t: TestServer, s: Session, ops: unknown[]) => http<PushResponse>(t.server.url, 'POST', '/v1/push', { headers: s.headers, body: { ops } });
const pull = (t: TestServer, s: Session, cursor = 0) => http<PullResponse>(t.server.url, 'GET', `/v1/pull?cursor=${cursor}&limit=5000`, { headers: s.headers });
function incidents(replica: string, from: number, n: number) {
  return Array.from({ length: n }, (_, i) => op(replica, from + i, 'incident', `inc-${replica}-${from + i}`, incidentFields(from + i)));
}
function backupFile(): string {
  const d = tempDir();
  dirs.push(d);
  return path.join(d, 'nested', 'tandem-backup.db');
}

describe('SQLite backup and restore', () => {
  it('backs up a running server while it takes pushes: a whole, checked copy of what was committed', async () => {
    const t = await server();
    const dispatcher = await signedIn(t.server, 'dispatcher');
    const r = newReplica();
    expect((await push(t, dispatcher, incidents(r, 1, 50))).status).toBe(200);
    const file = backupFile();
    // Pushes go on during the backup; the copy is one consistent snapshot of some moment.
    const [report] = await Promise.all([backupSqliteDatabase(path.join(t.dir, DB_FILE_NAME), file), push(t, dispatcher, incidents(r, 51, 50))]);
    expect(report.cursor).toBeGreaterThanOrEqual(50);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['tandem-backup.db']); // no partial or journal files left beside it
    const db = new Database(file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const seqs = (db.prepare('SELECT seq FROM change_log ORDER BY cursor').all() as { seq: number }[]).map((x) => x.seq);
    db.close();
    expect(seqs).toEqual(Array.from({ length: report.cursor }, (_, i) => i + 1)); // a prefix, no holes
    await expect(backupSqliteDatabase(path.join(t.dir, DB_FILE_NAME), file)).rejects.toThrow(/already exists; a backup never overwrites/);
  });

  it('backs up an encrypted database encrypted with the same key: no plain copy of the data, and it restores with that key', async () => {
    const dbKey = crypto.randomBytes(32);
    const t = await server();
    await t.stop();
    servers.splice(servers.indexOf(t), 1);
    const enc = await startServer({ dbKey }, t.dir);
    servers.push(enc);
    const dispatcher = await signedIn(enc.server, 'dispatcher');
    const r = newReplica();
    expect((await push(enc, dispatcher, incidents(r, 1, 20))).status).toBe(200);
    const file = backupFile();
    await backupSqliteDatabase(path.join(enc.dir, DB_FILE_NAME), file, undefined, dbKey);
    // The copy holds none of the data in the clear, and cannot be read without the key.
    expect(fs.readFileSync(file).includes(Buffer.from(`inc-${r}-`))).toBe(false);
    expect(() => new Database(file, { readonly: true }).prepare('SELECT count(*) FROM change_log').get()).toThrow();
    // Without the key it is not taken for a server database; with it, it restores whole.
    await enc.stop();
    servers.splice(servers.indexOf(enc), 1);
    const live = path.join(enc.dir, DB_FILE_NAME);
    await expect(restoreSqliteDatabase(file, live)).rejects.toThrow();
    const restored = await restoreSqliteDatabase(file, live, undefined, undefined, dbKey);
    expect(restored.cursor).toBeGreaterThanOrEqual(20);
    const storage = new SqliteStorage(live, { key: dbKey });
    try {
      const changes = await storage.transaction((tx) => tx.getCursor(), { readOnly: true });
      expect(changes).toBeGreaterThanOrEqual(restored.cursor);
    } finally {
      await storage.close();
    }
  });

  it('refuses to restore under a running server, then restores after it stops; cursors never go back', async () => {
    const t = await server();
    const dispatcher = await signedIn(t.server, 'dispatcher');
    const r = newReplica();
    await push(t, dispatcher, incidents(r, 1, 10));
    const file = backupFile();
    await backupSqliteDatabase(path.join(t.dir, DB_FILE_NAME), file);
    await push(t, dispatcher, incidents(r, 11, 10)); // after the backup: lost by the restore
    const head = (await pull(t, dispatcher)).body.cursor;
    expect(head).toBe(20);

    const live = path.join(t.dir, DB_FILE_NAME);
    await expect(restoreSqliteDatabase(file, live)).rejects.toThrow(/is in use: stop the server before restoring/);
    expect((await pull(t, dispatcher)).body.cursor).toBe(20); // untouched

    await t.stop();
    const res = await restoreSqliteDatabase(file, live, () => new Date('2026-12-02T10:00:00.000Z'));
    expect(res).toMatchObject({ cursor: 10, nextCursorAfter: 20, keptAs: `${live}.before-restore-2026-12-02T10-00-00-000Z` });
    expect(fs.existsSync(res.keptAs!)).toBe(true);

    const again = await server(t.dir);
    const d2 = await signedIn(again.server, 'dispatcher', { name: 'dana' });
    const other = newReplica();
    const pushed = await push(again, d2, incidents(other, 1, 1));
    expect(pushed.body.cursor).toBe(21); // never 11: a console that pulled to 20 sees it
    const page = await pull(again, d2, 0);
    expect(page.body.ops.filter((o) => o.replica === r).map((o) => o.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('refuses a damaged or foreign file and leaves the current database as it was', async () => {
    const t = await server();
    await t.stop();
    const live = path.join(t.dir, DB_FILE_NAME);
    const before = fs.readFileSync(live);
    const junk = path.join(t.dir, 'junk.db');
    fs.writeFileSync(junk, 'this is not a database'.repeat(100));
    await expect(restoreSqliteDatabase(junk, live)).rejects.toThrow(/not a readable SQLite database|cannot be opened/);
    const foreign = path.join(t.dir, 'foreign.db');
    const f = new Database(foreign);
    f.exec('CREATE TABLE notes (x TEXT)');
    f.close();
    await expect(restoreSqliteDatabase(foreign, live)).rejects.toThrow(/not a Tandem server database/);
    const newer = backupFile();
    await backupSqliteDatabase(live, newer);
    const n = new Database(newer);
    n.pragma('user_version = 99');
    n.close();
    await expect(restoreSqliteDatabase(newer, live)).rejects.toThrow(/newer Tandem server \(schema 99/);
    await expect(restoreSqliteDatabase(path.join(t.dir, 'nope.db'), live)).rejects.toThrow(/No backup at/);
    expect(fs.readFileSync(live).equals(before)).toBe(true);
    expect(fs.readdirSync(t.dir).filter((x) => x.includes('before-restore') || x.includes('restoring'))).toEqual([]);
  });

  it('npm run server -- backup and restore', { timeout: 120_000 }, async () => {
    const t = await server();
    const dispatcher = await signedIn(t.server, 'dispatcher');
    await push(t, dispatcher, incidents(newReplica(), 1, 3));
    const file = backupFile();
    const run = (args: string[]) => spawnSync(NODE, [CLI, ...args, '--data', t.dir], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' } });
    const backup = run(['backup', file]);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(/Backed up .* change log up to cursor 3/);
    const busy = run(['restore', file]);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toMatch(/in use: stop the server before restoring \(nothing was changed\)/);
    await t.stop();
    const restore = run(['restore', file]);
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    expect(restore.stdout).toMatch(/Restored .* cursor 3; new ops continue after cursor 3\nThe database it replaced is kept as .*before-restore-/);
    const usage = run(['backup']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/Usage: backup <file>/);
  });
});
