import type { WriteHandle } from './store/handles';
import { appendAudit } from './store/queries/audit';

/** Who saw or changed which record, when (by the core's clock), from which workstation. Local and append-only. */
export function createAuditLog(writes: WriteHandle, workstation: string, now: () => Date) {
  return (userId: string | null, action: string, entity: string | null, entityId: string | null, detail?: unknown) => {
    appendAudit(writes, {
      at: now().toISOString(),
      userId,
      workstation,
      action,
      entity,
      entityId,
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
  };
}
