import type { Migration } from '../../../node/migrate';
import { SERVER_REPLICA } from '../types';

/**
 * The server database as it stood before its first release: migrations 1–2 of development
 * folded into one (tests/unit/store.baseline.test.ts proves it builds the same schema as that chain).
 */
export const baseline: Migration = {
  version: 1,
  name: 'baseline server schema',
  sql: `
    CREATE TABLE users (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('dispatcher', 'clinician', 'supervisor', 'admin')),
      name TEXT NOT NULL,
      direct_line TEXT,
      created_at TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE workstations (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      secret_hash TEXT NOT NULL,
      enrolled_at TEXT NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0,
      revoked_at TEXT
    ) STRICT;

    CREATE TABLE enrollment_tokens (
      token_hash TEXT PRIMARY KEY,
      name TEXT,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      used_at TEXT,
      workstation_id TEXT REFERENCES workstations(id)
    ) STRICT;

    CREATE TABLE sessions (
      token_hash TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id),
      workstation_id TEXT NOT NULL REFERENCES workstations(id),
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX sessions_expires_at ON sessions(expires_at);
    CREATE INDEX sessions_workstation ON sessions(workstation_id);

    CREATE TABLE replicas (
      replica TEXT PRIMARY KEY,
      workstation_id TEXT REFERENCES workstations(id),
      last_seq INTEGER NOT NULL DEFAULT 0,
      first_seen_at TEXT NOT NULL
    ) STRICT;
    -- The replica the server writes its own ops under (handoff arbitration, presence).
    INSERT INTO replicas(replica, workstation_id, last_seq, first_seen_at)
      VALUES ('${SERVER_REPLICA}', NULL, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

    CREATE TABLE change_log (
      cursor INTEGER PRIMARY KEY AUTOINCREMENT,
      replica TEXT NOT NULL,
      seq INTEGER NOT NULL,
      hlc TEXT NOT NULL,
      entity TEXT NOT NULL,
      id TEXT NOT NULL,
      fields TEXT NOT NULL,
      UNIQUE (replica, seq)
    ) STRICT;

    CREATE TABLE entity_state (
      entity TEXT NOT NULL,
      id TEXT NOT NULL,
      data TEXT NOT NULL,
      clocks TEXT NOT NULL,
      updated_cursor INTEGER NOT NULL,
      PRIMARY KEY (entity, id)
    ) STRICT;

    CREATE TABLE refused_ops (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      replica TEXT,
      seq INTEGER,
      workstation_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      reason TEXT NOT NULL,
      op TEXT NOT NULL,
      refused_at TEXT NOT NULL
    ) STRICT;

    -- CAD API keys for POST /eido: only their SHA-256 is kept; names are never reused.
    CREATE TABLE cad_keys (
      name TEXT PRIMARY KEY,
      key_hash TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0,
      revoked_at TEXT,
      last_used_at TEXT
    ) STRICT;

    -- EIDO documents refused at intake, kept byte for byte for review.
    CREATE TABLE eido_rejected (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      received_at TEXT NOT NULL,
      source TEXT NOT NULL,
      cad_key TEXT,
      code TEXT NOT NULL,
      path TEXT,
      message TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      raw BLOB NOT NULL,
      truncated INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX eido_rejected_received_at ON eido_rejected(received_at);
  `,
};
