import type { Migration } from '../../../node/migrate';
import { SERVER_REPLICA } from '../types';

/**
 * The PostgreSQL server schema, the same tables as the SQLite baseline (../migrations/0001-baseline.ts).
 * Every text column sorts and compares byte by byte (COLLATE "C"), as SQLite's do, whatever
 * locale the cluster was made with; usernames are unique case-insensitively (SQLite's NOCASE).
 * The change log's cursor is a sequence (an identity column) and exactly-once push is the
 * UNIQUE (replica, seq) constraint, so both hold across every server instance on the database.
 * Fields and materialized rows are kept as the JSON text written (json text, not jsonb: jsonb
 * refuses a \u0000 escape that SQLite and JSON.stringify accept).
 */
const T = 'TEXT COLLATE "C"';

export const baseline: Migration = {
  version: 1,
  name: 'baseline server schema',
  sql: `
    CREATE TABLE users (
      id ${T} PRIMARY KEY,
      username ${T} NOT NULL,
      password_hash ${T} NOT NULL,
      role ${T} NOT NULL CHECK (role IN ('dispatcher', 'clinician', 'supervisor', 'admin')),
      name ${T} NOT NULL,
      direct_line ${T},
      created_at ${T} NOT NULL,
      disabled BOOLEAN NOT NULL DEFAULT false
    );
    CREATE UNIQUE INDEX users_username_nocase ON users (lower(username));

    CREATE TABLE workstations (
      id ${T} PRIMARY KEY,
      name ${T} NOT NULL,
      secret_hash ${T} NOT NULL,
      enrolled_at ${T} NOT NULL,
      revoked BOOLEAN NOT NULL DEFAULT false,
      revoked_at ${T}
    );

    CREATE TABLE enrollment_tokens (
      token_hash ${T} PRIMARY KEY,
      name ${T},
      created_at ${T} NOT NULL,
      expires_at ${T} NOT NULL,
      used_at ${T},
      workstation_id ${T} REFERENCES workstations(id)
    );

    CREATE TABLE sessions (
      token_hash ${T} PRIMARY KEY,
      user_id ${T} NOT NULL REFERENCES users(id),
      workstation_id ${T} NOT NULL REFERENCES workstations(id),
      created_at ${T} NOT NULL,
      expires_at ${T} NOT NULL
    );
    CREATE INDEX sessions_expires_at ON sessions(expires_at);
    CREATE INDEX sessions_workstation ON sessions(workstation_id);

    CREATE TABLE replicas (
      replica ${T} PRIMARY KEY,
      workstation_id ${T} REFERENCES workstations(id),
      last_seq BIGINT NOT NULL DEFAULT 0,
      first_seen_at ${T} NOT NULL
    );
    CREATE INDEX replicas_workstation ON replicas(workstation_id);
    -- The replica the server writes its own ops under (handoff arbitration, presence).
    INSERT INTO replicas(replica, workstation_id, last_seq, first_seen_at)
      VALUES ('${SERVER_REPLICA}', NULL, 0, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

    CREATE TABLE change_log (
      cursor BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      replica ${T} NOT NULL,
      seq BIGINT NOT NULL,
      hlc ${T} NOT NULL,
      entity ${T} NOT NULL,
      id ${T} NOT NULL,
      fields TEXT NOT NULL,
      UNIQUE (replica, seq)
    );
    CREATE INDEX change_log_hlc ON change_log(hlc);

    CREATE TABLE entity_state (
      entity ${T} NOT NULL,
      id ${T} NOT NULL,
      data TEXT NOT NULL,
      clocks TEXT NOT NULL,
      updated_cursor BIGINT NOT NULL,
      PRIMARY KEY (entity, id)
    );

    CREATE TABLE refused_ops (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      replica ${T},
      seq BIGINT,
      workstation_id ${T} NOT NULL,
      user_id ${T} NOT NULL,
      reason ${T} NOT NULL,
      op TEXT NOT NULL,
      refused_at ${T} NOT NULL
    );

    -- CAD API keys for POST /eido: only their SHA-256 is kept; names are never reused.
    CREATE TABLE cad_keys (
      name ${T} PRIMARY KEY,
      key_hash ${T} NOT NULL UNIQUE,
      created_at ${T} NOT NULL,
      revoked BOOLEAN NOT NULL DEFAULT false,
      revoked_at ${T},
      last_used_at ${T}
    );

    -- EIDO documents refused at intake, kept byte for byte for review.
    CREATE TABLE eido_rejected (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      received_at ${T} NOT NULL,
      source ${T} NOT NULL,
      cad_key ${T},
      code ${T} NOT NULL,
      path ${T},
      message ${T} NOT NULL,
      bytes BIGINT NOT NULL,
      raw BYTEA NOT NULL,
      truncated BOOLEAN NOT NULL DEFAULT false
    );
    CREATE INDEX eido_rejected_received_at ON eido_rejected(received_at);
  `,
};
