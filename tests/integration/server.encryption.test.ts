import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../src/server/app';
import { DbKeyError, resolveDbKey, writeNewKeyFile } from '../../src/server/storage/key';
import { SqliteStorage } from '../../src/server/storage/sqlite';
import { caseFields, newReplica, op, signedIn, startServer, tempDir } from './server-helpers';

/** Issue 14: the server's database encrypted at rest, owner-only files. */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const NOTE = 'Caller disclosed a plan; safety plan reviewed ZEBRA-MARKER-7731';

function filesOf(d: string): string[] {
  return fs.readdirSync(d).filter((f) => f.startsWith(DB_FILE_NAME)).map((f) => path.join(d, f));
}

function containsText(files: string[], text: string): boolean {
  return files.some((f) => fs.readFileSync(f).includes(Buffer.from(text)));
}

async function pushNote(d: string, key: Buffer | null): Promise<void> {
  const t = await startServer({ dbKey: key, rateLimits: false }, d);
  try {
    const s = await signedIn(t.server, 'clinician');
    const replica = newReplica();
    const res = await fetch(`${t.server.url}/v1/push`, {
      method: 'POST',
      headers: { ...s.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ ops: [op(replica, 1, 'case', 'case-enc-1', { ...caseFields('p-1'), reason: NOTE })] }),
    });
    expect(res.status).toBe(200);
    // While it runs: the database, its WAL and shared memory are the owner's alone.
    for (const f of filesOf(d)) expect((fs.statSync(f).mode & 0o777).toString(8), f).toBe('600');
    // Nothing readable in any of them, WAL included.
    expect(containsText(filesOf(d), NOTE)).toBe(key === null);
  } finally {
    await t.stop();
  }
}

describe('server database at rest', () => {
  it('with a key, no note is readable in the database files, which are mode 0600', async () => {
    const d = dir();
    const key = crypto.randomBytes(32);
    await pushNote(d, key);
    const file = path.join(d, DB_FILE_NAME);
    expect(fs.readFileSync(file).subarray(0, 15).toString('latin1')).not.toBe('SQLite format 3');
    expect(containsText(filesOf(d), NOTE)).toBe(false);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    // The same key opens it again with everything in it.
    const s = new SqliteStorage(file, { key });
    expect((await s.transaction((tx) => tx.counts(new Date().toISOString()), { readOnly: true })).changes).toBe(1);
    expect(s.encrypted).toBe(true);
    await s.close();
  });

  it('refuses a wrong key or no key, and leaves the file exactly as it was', async () => {
    const d = dir();
    const key = crypto.randomBytes(32);
    await pushNote(d, key);
    const file = path.join(d, DB_FILE_NAME);
    const before = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect(() => new SqliteStorage(file, { key: crypto.randomBytes(32) })).toThrow(/the key does not match\. Nothing was changed/);
    expect(() => new SqliteStorage(file)).toThrow(/is encrypted: give its key/);
    expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(before);
  });

  it('encrypts a plain database in place the first time it is opened with a key, keeping its data', async () => {
    const d = dir();
    await pushNote(d, null);
    expect(containsText(filesOf(d), NOTE)).toBe(true);
    const key = crypto.randomBytes(32);
    const s = new SqliteStorage(path.join(d, DB_FILE_NAME), { key });
    expect((await s.transaction((tx) => tx.counts(new Date().toISOString()), { readOnly: true })).changes).toBe(1);
    await s.close();
    expect(containsText(filesOf(d), NOTE)).toBe(false);
  });
});

describe('database key', () => {
  it('comes from a key file that only its owner can read, or the environment; never anything else', () => {
    const d = dir();
    const file = path.join(d, 'db.key');
    writeNewKeyFile(file, (n) => crypto.randomBytes(n));
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(resolveDbKey(file, {})?.length).toBe(32);
    expect(() => writeNewKeyFile(file, (n) => crypto.randomBytes(n))).toThrow(/EEXIST/);
    fs.chmodSync(file, 0o644);
    expect(() => resolveDbKey(file, {})).toThrow(/readable by others \(mode 644\); run chmod 600/);
    fs.chmodSync(file, 0o600);
    expect(resolveDbKey(undefined, { TANDEM_SERVER_DB_KEY_FILE: file })).toEqual(resolveDbKey(file, {}));
    expect(resolveDbKey(undefined, { TANDEM_SERVER_DB_KEY: 'ab'.repeat(32) })).toEqual(Buffer.alloc(32, 0xab));
    expect(() => resolveDbKey(undefined, { TANDEM_SERVER_DB_KEY: 'not hex' })).toThrow(DbKeyError);
    expect(() => resolveDbKey(undefined, { TANDEM_SERVER_DB_KEY: 'not hex' })).toThrow(/64 hex digits/);
    expect(resolveDbKey(undefined, {})).toBeNull();
  });
});

describe('retention of refusals', () => {
  it('keeps at most the newest N refused ops and EIDO documents, and none older than the retention days', async () => {
    const d = dir();
    const s = new SqliteStorage(path.join(d, DB_FILE_NAME));
    const day = 86_400_000;
    await s.transaction(async (tx) => {
      for (let i = 0; i < 6; i++) {
        await tx.insertRefused({ replica: 'r', seq: i, workstationId: 'w', userId: 'u', reason: `r${i}`, op: { i }, refusedAt: new Date().toISOString() });
      }
      for (const age of [40, 20, 1]) {
        await tx.insertEidoRejection({
          receivedAt: new Date(Date.now() - age * day).toISOString(),
          source: 'http',
          cadKey: null,
          code: 'not_json',
          path: null,
          message: `${age} days old`,
          bytes: 1,
          raw: Buffer.from('x'),
          truncated: false,
        });
      }
    });
    await s.close();
    const t = await startServer({ retention: { refusedOps: 4, days: 30 }, rateLimits: false }, d);
    try {
      expect((await t.server.admin.refusedOps()).map((r) => r.reason)).toEqual(['r5', 'r4', 'r3', 'r2']);
      expect((await t.server.admin.eidoRejections()).map((r) => r.message)).toEqual(['1 days old', '20 days old']);
    } finally {
      await t.stop();
    }
  });
});
