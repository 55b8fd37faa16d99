import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../src/server/app';
import type { HealthReport } from '../../src/server/health';
import { POSTGRES_MIGRATIONS } from '../../src/server/storage/postgres';
import { SQLITE_MIGRATIONS } from '../../src/server/storage/sqlite';
import { MIN_CONSOLE_PROTOCOL, PROTOCOL } from '../../src/shared/version';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { http, startServer, type TestServer } from './server-helpers';

/** GET /v1/health as a load balancer uses it: 200 only when this instance can serve. */
let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
});
afterAll(() => cluster?.stop());
const open: TestServer[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.cleanup();
});
async function server(config: Parameters<typeof startServer>[0] = {}) {
  const t = await startServer(config);
  open.push(t);
  return t;
}
const health = (t: TestServer) => http<HealthReport>(t.server.url, 'GET', '/v1/health');
const sqliteLatest = SQLITE_MIGRATIONS.at(-1)!.version;
const pgLatest = POSTGRES_MIGRATIONS.at(-1)!.version;

async function sql(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

describe('health, SQLite', () => {
  it('is 200 with the schema current, and names no file', async () => {
    const t = await server();
    const res = await health(t);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: true,
      version: expect.any(String),
      protocol: PROTOCOL,
      minConsoleProtocol: MIN_CONSOLE_PROTOCOL,
      cursor: 0,
      database: { kind: 'sqlite', reachable: true, schema: sqliteLatest, latest: sqliteLatest },
    });
    expect(JSON.stringify(res.body)).not.toContain(t.dir);
  });

  it('is 503 once the database file says a newer schema (another server upgraded it)', async () => {
    const t = await server();
    const db = new Database(path.join(t.dir, DB_FILE_NAME));
    db.pragma('user_version = 99');
    db.close();
    const res = await health(t);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ ok: false, database: { reachable: true, schema: 99, latest: sqliteLatest } });
    expect(res.body.message).toMatch(/schema 99, newer than this server's/);
  });
});

describe('health, PostgreSQL', () => {
  it('is 200 with the schema current, and never shows the database URL', async () => {
    const url = (await cluster.createDatabase()).replace('tandem@', 'tandem:hunter2@');
    const t = await server({ databaseUrl: url });
    const res = await health(t);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, cursor: 0, database: { kind: 'postgres', reachable: true, schema: pgLatest, latest: pgLatest } });
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|127\.0\.0\.1:\d+\//);
  });

  it('is 503 within its timeout when the database does not answer (a lock held on the schema table)', async () => {
    const url = await cluster.createDatabase();
    const t = await server({ databaseUrl: url, healthTimeoutMs: 500 });
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN; LOCK TABLE tandem_schema IN ACCESS EXCLUSIVE MODE');
      const started = performance.now();
      const res = await health(t);
      expect(performance.now() - started).toBeLessThan(3000);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ ok: false, database: { kind: 'postgres', reachable: false }, message: 'The database did not answer within 500 ms' });
      await blocker.query('ROLLBACK');
      await expect.poll(async () => (await health(t)).status).toBe(200);
    } finally {
      await blocker.end();
    }
  });

  it('is 503 when another instance migrated the database further', async () => {
    const url = await cluster.createDatabase();
    const t = await server({ databaseUrl: url });
    await sql(url, 'UPDATE tandem_schema SET version = 42');
    const res = await health(t);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ ok: false, database: { reachable: true, schema: 42, latest: pgLatest } });
  });

  it('is 503 when the database is gone, and says only that', async () => {
    const own = await startPgCluster();
    try {
      const t = await server({ databaseUrl: await own.createDatabase(), healthTimeoutMs: 2000 });
      expect((await health(t)).status).toBe(200);
      await own.stop();
      const res = await health(t);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        ok: false,
        version: expect.any(String),
        protocol: PROTOCOL,
        minConsoleProtocol: MIN_CONSOLE_PROTOCOL,
        database: { kind: 'postgres', reachable: false },
        message: 'The database cannot be reached',
      });
    } finally {
      await own.stop();
    }
  });
});
