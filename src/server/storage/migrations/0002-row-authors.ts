import type { Migration } from '../../../node/migrate';

/**
 * Who wrote each row the server does not keep whole (clinical entities live on the server only
 * in the change log): its author and, for cases, its current owner. The push path reads it to
 * refuse a foreign id, another author's fields and ownership changes by someone else
 * (server/authorship.ts).
 */
export const rowAuthors: Migration = {
  version: 2,
  name: 'row authors and owners',
  sql: `
    CREATE TABLE row_author (
      entity TEXT NOT NULL,
      id TEXT NOT NULL,
      author_id TEXT NOT NULL,
      owner_id TEXT,
      PRIMARY KEY (entity, id)
    ) WITHOUT ROWID, STRICT;
  `,
};
