import type { Migration } from '../../../node/migrate';

/** PostgreSQL's counterpart of ../migrations/0005-mfa.ts (issue 14): two-step sign-in (TOTP). */
const T = 'TEXT COLLATE "C"';

export const mfa: Migration = {
  version: 5,
  name: 'two-step sign-in (TOTP)',
  sql: `
    CREATE TABLE user_mfa (
      user_id ${T} PRIMARY KEY REFERENCES users(id),
      secret ${T},
      pending_secret ${T},
      required BOOLEAN NOT NULL DEFAULT false,
      last_step BIGINT,
      recovery TEXT NOT NULL DEFAULT '[]',
      enrolled_at ${T}
    );
  `,
};
