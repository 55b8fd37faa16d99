import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS, PostgresStorage } from '../../src/server/storage/postgres';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { describeStorageConformance } from './server-storage-conformance';

/** The same conformance suite as SQLite's (server.storage.test.ts), on a throwaway PostgreSQL cluster. */
let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
});
afterAll(() => cluster?.stop());

describeStorageConformance('postgres', async () => {
  const storage = await PostgresStorage.open(await cluster.createDatabase());
  return { storage, cleanup: () => storage.close() };
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('PostgresStorage', () => {
  const latest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1].version;

  it('creates the schema at the latest version, and two instances opening it at once migrate it once', async () => {
    const url = await cluster.createDatabase();
    const [a, b] = await Promise.all([PostgresStorage.open(url), PostgresStorage.open(url)]);
    expect(await a.health()).toEqual({ schema: latest, latest });
    expect(await b.health()).toEqual({ schema: latest, latest });
    const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.map((t) => t.tablename)).toEqual(
      [
        'audit_heads',
        'audit_log',
        'cad_keys',
        'change_log',
        'eido_rejected',
        'enrollment_keys',
        'enrollment_tokens',
        'entity_state',
        'refused_ops',
        'replicas',
        'row_author',
        'sessions',
        'signin_failures',
        'tandem_schema',
        'user_mfa',
        'users',
        'workstations',
      ],
    );
    expect(a.location).toBe(url);
    await a.close();
    await b.close();
  });

  it('keeps the audit log append-only: updates, deletes and truncation are refused by the database itself', async () => {
    const url = await cluster.createDatabase();
    const storage = await PostgresStorage.open(url);
    const e = { source: 'server', seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'ann', workstationId: null, action: 'signin', subject: null, detail: null, ip: null, prevHash: '0'.repeat(64), hash: 'a'.repeat(64) };
    await storage.transaction((tx) => tx.appendAudit(e));
    await storage.close();
    await expect(query(url, "UPDATE audit_log SET actor = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(query(url, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(query(url, 'TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    expect(await query(url, 'SELECT source, seq, actor FROM audit_log')).toEqual([{ source: 'server', seq: '1', actor: 'ann' }]);
  });

  it('takes a program manager (migration 6), and still refuses a role nobody defined', async () => {
    const url = await cluster.createDatabase();
    const storage = await PostgresStorage.open(url);
    await storage.close();
    const insert = (id: string, role: string) =>
      query(url, `INSERT INTO users (id, username, password_hash, role, name, created_at) VALUES ('${id}', '${id}', 'h', '${role}', 'N', '2026-01-01T00:00:00Z')`);
    await insert('u-pm', 'program_manager');
    await expect(insert('u-mayor', 'mayor')).rejects.toThrow(/users_role_check/);
    expect(await query<{ role: string }>(url, 'SELECT role FROM users')).toEqual([{ role: 'program_manager' }]);
  });

  it('refuses a database written by a newer server, and leaves it unchanged', async () => {
    const url = await cluster.createDatabase();
    await (await PostgresStorage.open(url)).close();
    await query(url, 'UPDATE tandem_schema SET version = 99');
    await expect(PostgresStorage.open(url)).rejects.toThrow(/newer Tandem server \(schema 99/);
    expect(await query(url, 'SELECT version FROM tandem_schema')).toEqual([{ version: 99 }]);
  });

  it('rolls back a failed migration whole', async () => {
    const url = await cluster.createDatabase();
    const broken = [...POSTGRES_MIGRATIONS, { version: latest + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;' }];
    await expect(PostgresStorage.open(url, { migrations: broken })).rejects.toThrow(new RegExp(`Migration ${latest + 1} \\(broken\\) failed.*left at schema ${latest}`));
    expect(await query(url, 'SELECT version FROM tandem_schema')).toEqual([{ version: latest }]);
    expect(await query(url, "SELECT tablename FROM pg_tables WHERE tablename = 'half'")).toEqual([]);
  });

  it('refuses a nested transaction instead of deadlocking, and a closed storage', async () => {
    const storage = await PostgresStorage.open(await cluster.createDatabase());
    await expect(storage.transaction(() => storage.transaction((tx) => tx.getCursor()))).rejects.toThrow(/inside another/);
    expect(await storage.transaction((tx) => tx.getCursor())).toBe(0);
    await storage.close();
    await storage.close();
    await expect(storage.transaction((tx) => tx.getCursor())).rejects.toThrow(/closed/);
    await expect(storage.health()).rejects.toThrow(/closed/);
  });

  it('hides the password in its location', async () => {
    const url = (await cluster.createDatabase()).replace('tandem@', 'tandem:s3cret@');
    const storage = await PostgresStorage.open(url);
    expect(storage.location).not.toContain('s3cret');
    expect(storage.location).toContain('***');
    await storage.close();
  });

  it('says plainly when the database cannot be reached', async () => {
    await expect(PostgresStorage.open(`postgres://tandem@127.0.0.1:1/none`, { connectTimeoutMs: 2000 })).rejects.toThrow(/^Cannot open the server database postgres:\/\/tandem@127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
  });
});
