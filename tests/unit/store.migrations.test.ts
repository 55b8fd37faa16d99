import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, StoreError, SCHEMA_VERSION } from '../../src/main/core/store/open';
import { MIGRATIONS } from '../../src/main/core/store/migrations';
import { tempDir, randomKey, sha256File } from '../helpers/tmp';
import { WriteHandle } from '../../src/main/core/store/handles';
import { reportCases, reportEvents, reportTasks } from '../../src/main/core/store/queries/report';

let cleanup = () => {};
afterEach(() => cleanup());

function fresh() {
  const t = tempDir();
  cleanup = t.cleanup;
  return path.join(t.dir, 'tandem.db');
}

describe('case store migrations', () => {
  it('creates a fresh store at the latest schema with WAL, foreign keys and STRICT tables', () => {
    const file = fresh();
    const db = openStore(file, { key: randomKey() });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const caseSql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'case_file'").get() as { sql: string }).sql;
    expect(caseSql).toMatch(/STRICT$/);
    // STRICT means a wrongly typed value is refused, not silently stored.
    expect(() => db.prepare("INSERT INTO outbox(seq, hlc, entity, id, fields) VALUES ('x', 'h', 'e', 'i', '{}')").run()).toThrow();
    db.close();
  });

  it('upgrades a baseline store through a later migration and keeps its rows', () => {
    const file = fresh();
    const key = randomKey();
    const v1 = openStore(file, { key, migrations: MIGRATIONS.slice(0, 1) });
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.prepare("INSERT INTO person(id, name) VALUES ('p1', 'Ada Upgrade')").run();
    v1.prepare("INSERT INTO case_file(id, personId, status, dueAt) VALUES ('c1', 'p1', 'open', '2026-01-01T00:00:00Z')").run();
    v1.close();

    // A test-only next migration, as a real one would come: a column, an index, a backfill.
    const next = {
      version: SCHEMA_VERSION + 1,
      name: 'case pronouns',
      sql: `ALTER TABLE person ADD COLUMN pronouns TEXT;
            CREATE INDEX person_pronouns ON person(pronouns);
            UPDATE person SET pronouns = 'she/her' WHERE id = 'p1';`,
    };
    const db = openStore(file, { key, migrations: [...MIGRATIONS, next] });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(db.prepare("SELECT name, pronouns FROM person WHERE id = 'p1'").get()).toEqual({ name: 'Ada Upgrade', pronouns: 'she/her' });
    // The baseline's triggers still index the case it already held.
    expect(db.prepare("SELECT caseId, status FROM case_search_doc WHERE caseId = 'c1'").get()).toEqual({ caseId: 'c1', status: 'open' });
    db.close();

    // Opened again by the same code: nothing left to run.
    const again = openStore(file, { key, migrations: [...MIGRATIONS, next] });
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    again.close();
  });

  it('refuses a store written by a newer version and leaves the file untouched', () => {
    const file = fresh();
    const key = randomKey();
    const db = openStore(file, { key });
    db.pragma('user_version = 99');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = sha256File(file);
    let error: unknown;
    try {
      openStore(file, { key });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('newer_schema');
    expect((error as Error).message).toMatch(/newer Tandem \(schema 99; this version knows up to \d+\)/);
    expect(sha256File(file)).toBe(before);
  });

  it('rolls back a failing migration whole and names it', () => {
    const file = fresh();
    const key = randomKey();
    openStore(file, { key }).close();
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'half broken', sql: 'CREATE TABLE half_made (x TEXT) STRICT; CREATE TABLE nope (;' }];
    let error: unknown;
    try {
      openStore(file, { key, migrations: broken });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('migration_failed');
    expect((error as Error).message).toMatch(new RegExp(`^Migration ${SCHEMA_VERSION + 1} \\(half broken\\) failed: .*syntax error.*left at schema ${SCHEMA_VERSION}\\.$`));
    const db = openStore(file, { key });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_made'").get()).toEqual({ n: 0 });
    db.close();
    expect(fs.existsSync(file)).toBe(true);
  });

  it('refuses a list of migrations with a gap before touching the store', () => {
    const file = fresh();
    const key = randomKey();
    openStore(file, { key }).close();
    const gap = [...MIGRATIONS, { version: SCHEMA_VERSION + 2, name: 'skipped a number', sql: 'CREATE TABLE t (x TEXT) STRICT' }];
    expect(() => openStore(file, { key, migrations: gap })).toThrow(
      new RegExp(`numbered 1, 2, 3… in order: found ${SCHEMA_VERSION + 2} \\(skipped a number\\) at position ${MIGRATIONS.length + 1}`),
    );
    const db = openStore(file, { key });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('drops the unused directory full-text index (migration 7) and keeps every directory row', () => {
    const file = fresh();
    const key = randomKey();
    const v3 = openStore(file, { key, migrations: MIGRATIONS.slice(0, 3) });
    v3.prepare(`INSERT INTO resource_service(id, name, record, contentHash) VALUES ('svc-1', 'Harbor Counseling', '{"name":"Harbor Counseling"}', 'h1')`).run();
    // The trigger wrote its text: the index was live before the migration.
    expect(v3.prepare("SELECT count(*) AS n FROM resource_search WHERE resource_search MATCH 'harbor'").get()).toEqual({ n: 1 });
    v3.close();

    const db = openStore(file, { key });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const left = db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'resource_search%'").all();
    expect(left).toEqual([]);
    expect(db.prepare('SELECT id, name, contentHash FROM resource_service').all()).toEqual([{ id: 'svc-1', name: 'Harbor Counseling', contentHash: 'h1' }]);
    // Writing, changing and deleting a service needs nothing of what was dropped.
    db.prepare("INSERT INTO resource_service(id, name, record) VALUES ('svc-2', 'Food Pantry', '{}')").run();
    db.prepare("UPDATE resource_service SET name = 'Harbor Counselling', record = '{}' WHERE id = 'svc-1'").run();
    db.prepare("DELETE FROM resource_service WHERE id = 'svc-2'").run();
    expect(db.prepare('SELECT id, name FROM resource_service').all()).toEqual([{ id: 'svc-1', name: 'Harbor Counselling' }]);
    db.close();
  });

  it("reads a clinician's own figures from indexes alone (migration 8), and a body that is not JSON never fails a write", () => {
    const db = openStore(fresh(), { key: randomKey() });
    const r = new WriteHandle(db);
    const w = { from: '2025-05-31T04:00:00.000Z', to: '2025-07-01T04:00:00.000Z', userId: 'u-chris' };
    db.prepare(`INSERT INTO case_event(id, caseId, at, kind, authorId, body) VALUES ('e1', 'c1', '2025-06-10T10:00:00.000Z', 'contact', 'u-chris', '{"outcome":"reached"}')`).run();
    db.prepare("INSERT INTO case_event(id, caseId, at, kind, authorId, body) VALUES ('e2', 'c1', '2025-06-11T10:00:00.000Z', 'contact', 'u-chris', 'not json')").run();
    db.prepare(`INSERT INTO case_event(id, caseId, at, kind, authorId, body) VALUES ('e3', 'c1', '2025-06-12T10:00:00.000Z', 'contact', 'u-sam', '{"outcome":"reached"}')`).run();
    expect(reportEvents(r, w).map((e) => [e.at, e.body.outcome])).toEqual([
      ['2025-06-10T10:00:00.000Z', 'reached'],
      ['2025-06-11T10:00:00.000Z', null],
    ]);
    // The plans of the statements the queries prepare: her rows through an index leading with her id, holding every column read.
    const prepare = db.prepare.bind(db);
    const explain = (sql: string) => (prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ from: w.from, to: w.to, user: w.userId }) as { detail: string }[]).map((x) => x.detail).join(' | ');
    const seen = new Map<string, string>();
    const original = db.prepare;
    db.prepare = ((sql: string) => {
      seen.set(sql, explain(sql));
      return prepare(sql);
    }) as typeof db.prepare;
    const handle = new WriteHandle(db);
    reportEvents(handle, w);
    reportCases(handle, w);
    reportTasks(handle, w);
    db.prepare = original;
    expect([...seen.values()]).toEqual([
      expect.stringContaining('USING COVERING INDEX case_event_author_report (authorId=? AND at>? AND at<?)'),
      expect.stringContaining('USING COVERING INDEX case_owner_created (ownerId=? AND createdAt>? AND createdAt<?)'),
      expect.stringContaining('USING COVERING INDEX task_assignee_due (assigneeId=? AND dueAt>? AND dueAt<?)'),
    ]);
    db.close();
  });
});
