import type { WriteHandle } from './store/handles';
import { appendAudit } from './store/queries/audit';

/**
 * Who saw or changed which record, when (by the core's clock), from which workstation. Local,
 * append-only and hash-chained (store/queries/audit.ts); `written` is told after each entry so
 * that the sync client pushes the chain to the server.
 */
export function createAuditLog(writes: WriteHandle, workstation: string, now: () => Date, written: () => void = () => {}) {
  return (user: { id: string; username: string } | null, action: string, entity: string | null, entityId: string | null, detail?: unknown) => {
    appendAudit(writes, {
      at: now().toISOString(),
      userId: user?.id ?? null,
      actor: user?.username ?? null,
      workstation,
      action,
      entity,
      entityId,
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
    written();
  };
}
