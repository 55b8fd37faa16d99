import type { Migration } from '../../../node/migrate';

/**
 * PostgreSQL's counterpart of ../migrations/0002-row-authors.ts: who wrote each row the server
 * does not keep whole (clinical entities live on the server only in the change log), its author
 * and, for cases, its current owner (server/authorship.ts).
 */
export const rowAuthors: Migration = {
  version: 2,
  name: 'row authors and owners',
  sql: `
    CREATE TABLE row_author (
      entity TEXT COLLATE "C" NOT NULL,
      id TEXT COLLATE "C" NOT NULL,
      author_id TEXT COLLATE "C" NOT NULL,
      owner_id TEXT COLLATE "C",
      PRIMARY KEY (entity, id)
    );
  `,
};
