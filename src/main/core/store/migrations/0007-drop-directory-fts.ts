import type { Migration } from '../../../../node/migrate';

/**
 * Issue 16: the directory is searched in memory (shared/directory/search-index.ts, built from
 * the resource_service rows), never through SQLite. The full-text index the baseline kept in
 * step by triggers was read by nothing, yet every service written paid for it: the JSON
 * pulled apart by the view, the FTS5 terms written and merged — about 40 % of writing a large
 * directory import (8,000 services: 2.0–2.4 s with the triggers, 1.2–1.5 s without). The
 * rows themselves are untouched; a search finds exactly what it found before.
 */
export const dropDirectoryFts: Migration = {
  version: 7,
  name: 'directory full-text index dropped (searched in memory)',
  sql: `
    DROP TRIGGER IF EXISTS resource_search_insert;
    DROP TRIGGER IF EXISTS resource_search_update;
    DROP TRIGGER IF EXISTS resource_search_delete;
    DROP VIEW IF EXISTS resource_search_source;
    DROP TABLE IF EXISTS resource_search;
    DROP TABLE IF EXISTS resource_search_doc;
  `,
};
