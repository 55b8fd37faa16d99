import type { Migration } from '../../../node/migrate';

/**
 * The program-manager role (issue 18): the ECC's program figures and nothing else. The users
 * table's CHECK lists the roles, and SQLite cannot change a CHECK in place: the table is rebuilt
 * (sessions keep referring to it by name; foreign keys are checked before this commits).
 */
export const programManager: Migration = {
  version: 6,
  name: 'the program-manager role',
  rebuildsTables: true,
  sql: `
    CREATE TABLE users_next (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('dispatcher', 'clinician', 'supervisor', 'admin', 'program_manager')),
      name TEXT NOT NULL,
      direct_line TEXT,
      created_at TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    INSERT INTO users_next (id, username, password_hash, role, name, direct_line, created_at, disabled)
      SELECT id, username, password_hash, role, name, direct_line, created_at, disabled FROM users;
    DROP TABLE users;
    ALTER TABLE users_next RENAME TO users;
  `,
};
