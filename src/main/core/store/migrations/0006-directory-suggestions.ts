import type { Migration } from '../../../../node/migrate';

/** Issue 13: directory corrections suggested by clinicians, for a directory manager to accept or decline (entities.ts). */
export const directorySuggestions: Migration = {
  version: 6,
  name: 'directory suggestions',
  sql: `
    CREATE TABLE directory_suggestion (
      id TEXT PRIMARY KEY, serviceId TEXT, serviceName TEXT, field TEXT, current TEXT, proposed TEXT,
      reason TEXT, suggestedBy TEXT, suggestedByName TEXT, suggestedAt TEXT, status TEXT,
      decidedBy TEXT, decidedByName TEXT, decidedAt TEXT, declineReason TEXT,
      _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    CREATE INDEX directory_suggestion_status ON directory_suggestion(status, suggestedAt);
  `,
};
