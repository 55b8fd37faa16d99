import type { Migration } from '../../../node/migrate';

/**
 * Two-step sign-in (issue 14): a user's TOTP secret, the one being set up, whether it is
 * required of this user, the last time step a code was accepted for (a code is good once),
 * and the SHA-256 of each unused recovery code. Kept apart from `users` so that nothing
 * that lists or copies users carries a secret. Never sent to a console.
 */
export const mfa: Migration = {
  version: 5,
  name: 'two-step sign-in (TOTP)',
  sql: `
    CREATE TABLE user_mfa (
      user_id TEXT PRIMARY KEY REFERENCES users(id),
      secret TEXT,
      pending_secret TEXT,
      required INTEGER NOT NULL DEFAULT 0,
      last_step INTEGER,
      recovery TEXT NOT NULL DEFAULT '[]',
      enrolled_at TEXT
    ) STRICT;
  `,
};
