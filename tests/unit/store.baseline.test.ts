import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate, type Migration } from '../../src/node/migrate';
import { MIGRATIONS } from '../../src/main/core/store/migrations';
import { SQLITE_MIGRATIONS } from '../../src/server/storage/migrations';
import { LEGACY_CONSOLE_MIGRATIONS, LEGACY_SERVER_MIGRATIONS } from '../fixtures/legacy-migrations';

/**
 * The schemas had not shipped when their development migrations were folded into one baseline
 * each: a database built by the baseline must be the one the old chain built, object for
 * object and column for column.
 */
interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** SQL text without the layout: runs of whitespace as one space, none around brackets and commas. */
function normalized(sql: string | null): string | null {
  return sql === null ? null : sql.replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1').trim();
}

function schemaBuiltBy(migrations: readonly Migration[]): { objects: SchemaObject[]; version: number; db: Database.Database } {
  const db = new Database(':memory:');
  migrate(db, migrations, { subject: 'The test database', app: 'test' });
  const objects = (db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name').all() as SchemaObject[]).map((o) => ({
    ...o,
    sql: normalized(o.sql),
  }));
  return { objects, version: db.pragma('user_version', { simple: true }) as number, db };
}

/** Every column as SQLite sees it, hidden (generated) ones included, per table. */
function columns(db: Database.Database): Record<string, unknown[]> {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  return Object.fromEntries(tables.map((t) => [t, db.prepare('SELECT * FROM pragma_table_xinfo(?)').all(t)]));
}

describe('baseline migrations', () => {
  it("build the console's case store exactly as migrations 1–7 did", () => {
    const legacy = schemaBuiltBy(LEGACY_CONSOLE_MIGRATIONS);
    // The baseline alone: later migrations add to it.
    const baseline = schemaBuiltBy(MIGRATIONS.slice(0, 1));
    expect(baseline.objects).toEqual(legacy.objects);
    expect(columns(baseline.db)).toEqual(columns(legacy.db));
    // The things the queue and the search stand on, named so that a mismatch reads plainly.
    const names = baseline.objects.map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['case_q_active', 'case_search', 'case_search_pending', 'case_search_source', 'case_search_insert']));
    expect(baseline.version).toBe(1);
    legacy.db.close();
    baseline.db.close();
  });

  it("build the server's database exactly as migrations 1–2 did, with the server's own replica", () => {
    const legacy = schemaBuiltBy(LEGACY_SERVER_MIGRATIONS);
    // The baseline alone (later migrations add to it).
    const baseline = schemaBuiltBy(SQLITE_MIGRATIONS.slice(0, 1));
    expect(baseline.objects).toEqual(legacy.objects);
    expect(columns(baseline.db)).toEqual(columns(legacy.db));
    const replicas = (db: Database.Database) => db.prepare('SELECT replica, workstation_id, last_seq FROM replicas').all();
    expect(replicas(baseline.db)).toEqual([{ replica: 'server', workstation_id: null, last_seq: 0 }]);
    expect(replicas(baseline.db)).toEqual(replicas(legacy.db));
    expect(baseline.version).toBe(1);
    legacy.db.close();
    baseline.db.close();
  });

  it('notices a difference (the comparison is not blind)', () => {
    const altered = [{ ...MIGRATIONS[0], sql: MIGRATIONS[0].sql.replace('CREATE INDEX case_closed ON case_file(status, closedAt);', '') }];
    expect(schemaBuiltBy(altered).objects).not.toEqual(schemaBuiltBy(LEGACY_CONSOLE_MIGRATIONS).objects);
  });
});
