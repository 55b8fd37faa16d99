import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS, SqliteStorage } from '../../src/server/storage/sqlite';
import { describeStorageConformance } from './server-storage-conformance';
import { tempDir } from './server-helpers';

describeStorageConformance('sqlite', async () => {
  const dir = tempDir();
  const storage = new SqliteStorage(path.join(dir, 'server.db'));
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStorage', () => {
  it('creates a WAL database with STRICT tables at the latest schema version', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'server.db');
    const storage = new SqliteStorage(file);
    await storage.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version);
      const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string; sql: string }[];
      expect(tables.map((t) => t.name).sort()).toEqual(
        ['cad_keys', 'change_log', 'eido_rejected', 'enrollment_keys', 'enrollment_tokens', 'entity_state', 'refused_ops', 'replicas', 'row_author', 'sessions', 'signin_failures', 'users', 'user_mfa', 'workstations', 'audit_log', 'audit_heads'].sort(),
      );
      for (const t of tables) expect(t.sql).toMatch(/STRICT$/);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a database written by a newer server, and leaves it unchanged', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'server.db');
    await new SqliteStorage(file).close();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteStorage(file)).toThrow(/newer Tandem server \(schema 99/);
    const again = new Database(file, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(99);
    again.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rolls back a failed migration whole', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'server.db');
    const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;
    const broken = [...SQLITE_MIGRATIONS, { version: latest + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER) STRICT; SELECT * FROM no_such_table;' }];
    expect(() => new SqliteStorage(file, { migrations: broken })).toThrow(new RegExp(`Migration ${latest + 1} \\(broken\\) failed`));
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(latest);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades a database at schema 5 to take program managers, keeping its users, sessions and foreign keys', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'server.db');
    await new SqliteStorage(file, { migrations: SQLITE_MIGRATIONS.slice(0, 5) }).close();
    const old = new Database(file);
    old.exec(`
      INSERT INTO users VALUES ('u1', 'Ana', 'h', 'clinician', 'Ana Ruiz', '+1 555 0100', '2026-01-01T00:00:00Z', 0);
      INSERT INTO workstations (id, name, secret_hash, enrolled_at) VALUES ('w1', 'desk', 's', '2026-01-01T00:00:00Z');
      INSERT INTO sessions (token_hash, user_id, workstation_id, created_at, expires_at) VALUES ('t1', 'u1', 'w1', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z');
      INSERT INTO user_mfa (user_id, secret, required) VALUES ('u1', 'enc-secret', 1);
    `);
    expect(() => old.prepare("INSERT INTO users VALUES ('u2', 'pm', 'h', 'program_manager', 'P', NULL, '2026-01-01T00:00:00Z', 0)").run()).toThrow(/CHECK/);
    old.close();

    await new SqliteStorage(file).close();
    const db = new Database(file);
    try {
      db.pragma('foreign_keys = ON');
      expect(db.pragma('user_version', { simple: true })).toBe(6);
      // A two-step sign-in set up before the rebuild still belongs to its user.
      expect(db.prepare('SELECT user_id, secret FROM user_mfa').all()).toEqual([{ user_id: 'u1', secret: 'enc-secret' }]);
      expect(() => db.prepare("INSERT INTO user_mfa (user_id) VALUES ('nobody')").run()).toThrow(/FOREIGN KEY/);
      expect(db.prepare('SELECT id, username, role, name, direct_line FROM users').all()).toEqual([{ id: 'u1', username: 'Ana', role: 'clinician', name: 'Ana Ruiz', direct_line: '+1 555 0100' }]);
      expect(db.prepare('SELECT token_hash, user_id FROM sessions').all()).toEqual([{ token_hash: 't1', user_id: 'u1' }]);
      db.prepare("INSERT INTO users VALUES ('u2', 'pm', 'h', 'program_manager', 'P', NULL, '2026-01-01T00:00:00Z', 0)").run();
      expect(() => db.prepare("INSERT INTO users VALUES ('u3', 'x', 'h', 'mayor', 'X', NULL, '2026-01-01T00:00:00Z', 0)").run()).toThrow(/CHECK/);
      // Sessions still point at the users table, and it still holds them to it.
      expect(() => db.prepare("INSERT INTO sessions (token_hash, user_id, workstation_id, created_at, expires_at) VALUES ('t2', 'nobody', 'w1', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')").run()).toThrow(/FOREIGN KEY/);
      expect(() => db.prepare("INSERT INTO users VALUES ('u4', 'ana', 'h', 'clinician', 'Ana again', NULL, '2026-01-01T00:00:00Z', 0)").run()).toThrow(/UNIQUE/);
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a table rebuild that would leave rows pointing at nothing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'server.db');
    const storage = new SqliteStorage(file);
    await storage.close();
    const seed = new Database(file);
    seed.exec(`
      INSERT INTO users VALUES ('u1', 'ana', 'h', 'clinician', 'Ana Ruiz', NULL, '2026-01-01T00:00:00Z', 0);
      INSERT INTO workstations (id, name, secret_hash, enrolled_at) VALUES ('w1', 'desk', 's', '2026-01-01T00:00:00Z');
      INSERT INTO sessions (token_hash, user_id, workstation_id, created_at, expires_at) VALUES ('t1', 'u1', 'w1', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z');
    `);
    seed.close();
    const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;
    const losing = { version: latest + 1, name: 'loses a user', rebuildsTables: true, sql: "DELETE FROM users WHERE id = 'u1';" };
    expect(() => new SqliteStorage(file, { migrations: [...SQLITE_MIGRATIONS, losing] })).toThrow(/Migration \d+ \(loses a user\) failed: 1 rows of sessions no longer find their users/);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(latest);
    expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 1 });
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a nested transaction instead of deadlocking', async () => {
    const dir = tempDir();
    const storage = new SqliteStorage(path.join(dir, 'server.db'));
    await expect(storage.transaction(() => storage.transaction((tx) => tx.getCursor()))).rejects.toThrow(/inside another/);
    expect(await storage.transaction((tx) => tx.getCursor())).toBe(0);
    await storage.close();
    await storage.close();
    await expect(storage.transaction((tx) => tx.getCursor())).rejects.toThrow(/closed/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
