import type { Migration } from '../../../../node/migrate';

/**
 * Pulled ops that failed their check (shared/sync/op-check.ts) are set aside here with the
 * reason instead of stopping the pull: counted in the sync status, reported to the server.
 */
export const syncQuarantine: Migration = {
  version: 2,
  name: 'quarantine for malformed pulled ops',
  sql: `
    CREATE TABLE pull_quarantine (
      n INTEGER PRIMARY KEY, cursor INTEGER, reason TEXT NOT NULL, op TEXT NOT NULL,
      at TEXT NOT NULL, reported INTEGER NOT NULL DEFAULT 0) STRICT;
  `,
};
