import type { Migration } from '../../../node/migrate';

/**
 * PostgreSQL's counterpart of ../migrations/0004-access-control.ts (issue 14): failed sign-ins
 * counted per username for backoff and lockout; the append-only, hash-chained audit log
 * (src/server/audit.ts), its append-only rule kept by triggers as SQLite's is (and TRUNCATE,
 * which SQLite has not, refused too).
 */
const T = 'TEXT COLLATE "C"';

export const accessControl: Migration = {
  version: 4,
  name: 'sign-in failures and the audit log',
  sql: `
    -- Keyed by the lower-cased username as typed, whether or not such a user exists, so that
    -- a lockout says nothing about which usernames are real.
    CREATE TABLE signin_failures (
      username ${T} PRIMARY KEY,
      failures INTEGER NOT NULL,
      last_failed_at ${T} NOT NULL,
      locked_until ${T},
      locked BOOLEAN NOT NULL DEFAULT false
    );
    CREATE INDEX sessions_user ON sessions(user_id);

    -- One hash chain per source (the server itself, or a workstation's own chain).
    -- Append-only: the triggers refuse updates, deletes and truncation; whoever drops them is
    -- still caught by "audit verify".
    CREATE TABLE audit_log (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      source ${T} NOT NULL,
      seq BIGINT NOT NULL,
      at ${T} NOT NULL,
      actor ${T},
      workstation_id ${T},
      action ${T} NOT NULL,
      subject ${T},
      detail TEXT,
      ip ${T},
      prev_hash ${T} NOT NULL,
      hash ${T} NOT NULL,
      UNIQUE (source, seq)
    );
    CREATE INDEX audit_log_at ON audit_log(at);
    CREATE FUNCTION tandem_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
      END;
    $$;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION tandem_audit_log_append_only();
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION tandem_audit_log_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION tandem_audit_log_append_only();
    -- The last entry of each chain, kept apart from it: cutting entries off the end of a chain
    -- leaves the head pointing past it.
    CREATE TABLE audit_heads (
      source ${T} PRIMARY KEY,
      seq BIGINT NOT NULL,
      hash ${T} NOT NULL
    );
  `,
};
