import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, StoreError, SCHEMA_VERSION } from '../../src/main/core/store/open';
import { tempDir, randomKey, sha256File } from '../helpers/tmp';

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

  it('upgrades a version-1 store to the latest and keeps its rows', () => {
    const file = fresh();
    const key = randomKey();
    const v1 = openStore(file, { key, targetVersion: 1 });
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.prepare("INSERT INTO person(id, name) VALUES ('p1', 'Ada Upgrade')").run();
    v1.prepare("INSERT INTO case_file(id, personId, status, dueAt) VALUES ('c1', 'p1', 'open', '2026-01-01T00:00:00Z')").run();
    v1.close();

    const db = openStore(file, { key });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM person WHERE id = 'p1'").get()).toEqual({ name: 'Ada Upgrade' });
    // Version 2 added the search tables, version 3 the queue-order indexes; version 6 dropped
    // the indexes they superseded.
    const names = (db.prepare("SELECT name FROM sqlite_master").all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['case_q_status', 'resource_search', 'case_search']));
    expect(names).not.toContain('case_queue');
    expect(names).not.toContain('case_owner');
    expect(names).not.toContain('case_q_cover');
    db.close();
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

  it('rolls back a failing migration whole', () => {
    const file = fresh();
    const key = randomKey();
    openStore(file, { key, targetVersion: 1 }).close();
    const broken = [
      { version: 1, name: 'initial', sql: 'SELECT 1' },
      { version: 2, name: 'half broken', sql: 'CREATE TABLE half_made (x TEXT) STRICT; CREATE TABLE nope (;' },
    ];
    expect(() => openStore(file, { key, migrations: broken })).toThrow(/Migration 2 \(half broken\) failed/);
    const db = openStore(file, { key, targetVersion: 1 });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_made'").get()).toEqual({ n: 0 });
    db.close();
    expect(fs.existsSync(file)).toBe(true);
  });
});
