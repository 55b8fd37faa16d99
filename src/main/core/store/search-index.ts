import type { Db } from './open';

/**
 * Writes the search text of every case the store's triggers marked since (baseline migration: a
 * case written, pulled or re-linked, or its person renamed) in one statement. FTS5 flushes
 * its in-memory terms into a new segment at the end of every statement that writes the index,
 * and merges those segments as they pile up: written by a trigger row by row, that was 7.5 %
 * of the instructions of applying a first sync (valgrind, 22,000 ops).
 *
 * The store runs it before each of its write transactions commits, and the case search runs it
 * before it reads, so a search never misses a case whatever wrote it.
 */
export function caseSearchIndexer(db: Db): () => void {
  let s: ReturnType<typeof prepare> | null = null;
  return () => {
    s ??= prepare(db);
    if (!s.anyPending.get()) return;
    const run = () => {
      s!.addMissingDocs.run();
      s!.dropOldText.run();
      s!.writeText.run();
      s!.clear.run();
    };
    if (db.inTransaction) run();
    else db.transaction(run).immediate();
  };
}

function prepare(db: Db) {
  return {
    anyPending: db.prepare('SELECT 1 FROM case_search_pending LIMIT 1').pluck(),
    // Every case has its document (the insert trigger makes it); this only repairs a store
    // where one went missing, so that its case is found again.
    addMissingDocs: db.prepare(
      `INSERT INTO case_search_doc(caseId, status, ownerId, risk, origin, dueAt, closedAt)
       SELECT c.id, c.status, c.ownerId, c.risk, c.origin, c.dueAt, c.closedAt
       FROM case_search_pending p JOIN case_file c ON c.id = p.caseId
       WHERE NOT EXISTS (SELECT 1 FROM case_search_doc d WHERE d.caseId = p.caseId)`,
    ),
    dropOldText: db.prepare('DELETE FROM case_search WHERE rowid IN (SELECT d.docid FROM case_search_pending p JOIN case_search_doc d ON d.caseId = p.caseId)'),
    writeText: db.prepare(
      `INSERT INTO case_search(rowid, body)
       SELECT d.docid, s.body FROM case_search_pending p JOIN case_search_doc d ON d.caseId = p.caseId JOIN case_search_source s ON s.caseId = p.caseId`,
    ),
    clear: db.prepare('DELETE FROM case_search_pending'),
  };
}
