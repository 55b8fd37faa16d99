import type { Migration } from '../../../node/migrate';

/** PostgreSQL's counterpart of ../migrations/0005-program-manager.ts: the program-manager role (issue 18). */
export const programManager: Migration = {
  version: 6,
  name: 'the program-manager role',
  sql: `
    ALTER TABLE users DROP CONSTRAINT users_role_check;
    ALTER TABLE users ADD CONSTRAINT users_role_check
      CHECK (role IN ('dispatcher', 'clinician', 'supervisor', 'admin', 'program_manager'));
  `,
};
