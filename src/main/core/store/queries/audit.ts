import type { WriteHandle } from '../handles';

/** One line of the local, append-only audit log: who saw or changed which record, when, from which workstation. */
export interface AuditEntry {
  at: string;
  userId: string | null;
  workstation: string;
  action: string;
  entity: string | null;
  entityId: string | null;
  /** JSON text, or null. */
  detail: string | null;
}

export function appendAudit(w: WriteHandle, e: AuditEntry): void {
  w.writer<[string, string | null, string, string, string | null, string | null, string | null]>(
    'INSERT INTO audit(at, userId, workstation, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(e.at, e.userId, e.workstation, e.action, e.entity, e.entityId, e.detail);
}
