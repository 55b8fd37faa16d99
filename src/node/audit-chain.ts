import crypto from 'node:crypto';

/**
 * A console's audit chain (issue 14): each entry the workstation writes carries its place in
 * the chain (seq, from 1) and a SHA-256 over its fields and the previous entry's hash. The
 * console computes it when it writes the entry; the sync server computes it again when the
 * entry arrives and whenever `audit verify` runs, so the function is one, here, for both.
 */
export interface ChainedEntry {
  seq: number;
  at: string;
  /** The username signed in when it was written, or null. */
  actor: string | null;
  action: string;
  /** `entity` or `entity:id`, or null. */
  subject: string | null;
  /** JSON text, or null. */
  detail: string | null;
  prevHash: string;
}

export const CHAIN_GENESIS = '0'.repeat(64);

export function consoleEntryHash(e: ChainedEntry): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(['tandem-console-audit-1', e.seq, e.at, e.actor, e.action, e.subject, e.detail, e.prevHash]), 'utf8')
    .digest('hex');
}

export function auditSubject(entity: string | null, entityId: string | null): string | null {
  if (entity === null) return entityId === null ? null : `?:${entityId}`;
  return entityId === null ? entity : `${entity}:${entityId}`;
}
