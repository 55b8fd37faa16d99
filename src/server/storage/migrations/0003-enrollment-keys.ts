import type { Migration } from '../../../node/migrate';

/**
 * Fleet enrollment: site enrollment keys a machine policy can carry (many machines, one key,
 * rotated and revoked by IT), and each workstation remembers which key enrolled it and the
 * machine it was enrolled on (its identity does not move with a copied or roaming profile).
 */
export const enrollmentKeys: Migration = {
  version: 3,
  name: 'fleet enrollment keys and machine-bound workstations',
  sql: `
    CREATE TABLE enrollment_keys (
      id TEXT PRIMARY KEY,
      key_hash TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT,
      revoked_at TEXT,
      uses INTEGER NOT NULL DEFAULT 0,
      last_used_at TEXT
    ) STRICT;
    CREATE INDEX enrollment_keys_name ON enrollment_keys(name);
    ALTER TABLE workstations ADD COLUMN enrollment_key_id TEXT REFERENCES enrollment_keys(id);
    ALTER TABLE workstations ADD COLUMN machine_id TEXT;
  `,
};
