import type { Db } from './store/open';

/** Who saw or changed which record, when, from which workstation. Local and append-only. */
export function createAuditLog(db: Db, workstation: string) {
  const insert = db.prepare('INSERT INTO audit(at, userId, workstation, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
  return (userId: string | null, action: string, entity: string | null, entityId: string | null, detail?: unknown) => {
    insert.run(new Date().toISOString(), userId, workstation, action, entity, entityId, detail === undefined ? null : JSON.stringify(detail));
  };
}
