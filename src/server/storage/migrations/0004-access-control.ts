import type { Migration } from '../../../node/migrate';

/**
 * Access control (issue 14): failed sign-ins counted per username for backoff and lockout;
 * the append-only, hash-chained audit log (src/server/audit.ts).
 * Numbered 0003 for the merge (0002 is the sync branch's); its version is the next after
 * what this branch's main has, and the maintainer renumbers it at merge.
 */
export const accessControl: Migration = {
  version: 4,
  name: 'sign-in failures and the audit log',
  sql: `
    -- Keyed by the lower-cased username as typed, whether or not such a user exists, so that
    -- a lockout says nothing about which usernames are real.
    CREATE TABLE signin_failures (
      username TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      last_failed_at TEXT NOT NULL,
      locked_until TEXT,
      locked INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX sessions_user ON sessions(user_id);

    -- One hash chain per source (the server itself, or a workstation's own chain): each entry's
    -- hash covers its fields and the previous entry's hash (audit.ts). Append-only: the
    -- triggers refuse updates and deletes; whoever drops them is still caught by "audit verify".
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      source TEXT NOT NULL,
      seq INTEGER NOT NULL,
      at TEXT NOT NULL,
      actor TEXT,
      workstation_id TEXT,
      action TEXT NOT NULL,
      subject TEXT,
      detail TEXT,
      ip TEXT,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL,
      UNIQUE (source, seq)
    ) STRICT;
    CREATE INDEX audit_log_at ON audit_log(at);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    -- The last entry of each chain, kept apart from it: cutting entries off the end of a chain
    -- leaves the head pointing past it.
    CREATE TABLE audit_heads (
      source TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;
  `,
};
