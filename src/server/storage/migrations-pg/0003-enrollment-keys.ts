import type { Migration } from '../../../node/migrate';

/**
 * PostgreSQL's counterpart of ../migrations/0003-enrollment-keys.ts: site enrollment keys a
 * fleet's machine policy carries (many machines, one key, rotated and revoked by IT), and each
 * workstation's enrolling key and the machine it was enrolled on.
 */
export const enrollmentKeys: Migration = {
  version: 3,
  name: 'fleet enrollment keys and machine-bound workstations',
  sql: `
    CREATE TABLE enrollment_keys (
      id TEXT COLLATE "C" PRIMARY KEY,
      key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
      name TEXT COLLATE "C" NOT NULL,
      created_at TEXT COLLATE "C" NOT NULL,
      expires_at TEXT COLLATE "C",
      revoked_at TEXT COLLATE "C",
      uses BIGINT NOT NULL DEFAULT 0,
      last_used_at TEXT COLLATE "C"
    );
    CREATE INDEX enrollment_keys_name ON enrollment_keys(name);
    ALTER TABLE workstations ADD COLUMN enrollment_key_id TEXT COLLATE "C" REFERENCES enrollment_keys(id);
    ALTER TABLE workstations ADD COLUMN machine_id TEXT COLLATE "C";
    CREATE INDEX workstations_enrollment_key ON workstations(enrollment_key_id);
  `,
};
