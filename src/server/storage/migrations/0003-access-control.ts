import type { Migration } from '../../../node/migrate';

/**
 * Access control (issue 14): failed sign-ins counted per username for backoff and lockout.
 * Numbered 0003 for the merge (0002 is the sync branch's); its version is the next after
 * what this branch's main has, and the maintainer renumbers it at merge.
 */
export const accessControl: Migration = {
  version: 2,
  name: 'sign-in failures',
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
  `,
};
