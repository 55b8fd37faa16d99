import { auditSubject, CHAIN_GENESIS, consoleEntryHash, type ChainedEntry } from '../../../../node/audit-chain';
import type { ReadHandle, WriteHandle } from '../handles';
import { metaValue, setMetaValue } from './meta';

/** One line of the local, append-only audit log: who saw or changed which record, when, from which workstation. */
export interface AuditEntry {
  at: string;
  userId: string | null;
  /** The username signed in, or null. */
  actor: string | null;
  workstation: string;
  action: string;
  entity: string | null;
  entityId: string | null;
  /** JSON text, or null. */
  detail: string | null;
}

/** The chain's last entry, kept apart from the entries (meta), so that entries cut off its end are found too. */
const HEAD = 'auditHead';

/**
 * Appends an entry at the end of this workstation's chain (src/node/audit-chain.ts), in the
 * caller's transaction or its own: its seq follows the head's, its hash covers the head's.
 */
export function appendAudit(w: WriteHandle, e: AuditEntry): void {
  w.transaction(() => {
    const head = JSON.parse(metaValue(w, HEAD) ?? 'null') as { seq: number; hash: string } | null;
    const chained: ChainedEntry = {
      seq: (head?.seq ?? 0) + 1,
      at: e.at,
      actor: e.actor,
      action: e.action,
      subject: auditSubject(e.entity, e.entityId),
      detail: e.detail,
      prevHash: head?.hash ?? CHAIN_GENESIS,
    };
    const hash = consoleEntryHash(chained);
    w.writer<[string, string | null, string, string, string | null, string | null, string | null, number, string | null, string, string]>(
      'INSERT INTO audit(at, userId, workstation, action, entity, entityId, detail, seq, actor, prevHash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(e.at, e.userId, e.workstation, e.action, e.entity, e.entityId, e.detail, chained.seq, e.actor, chained.prevHash, hash);
    setMetaValue(w, HEAD, JSON.stringify({ seq: chained.seq, hash }));
  });
}

export type PushableEntry = ChainedEntry & { hash: string };

/** Chained entries after `afterSeq`, in order, at most `limit`: what the server has not got yet. */
export function auditAfter(r: ReadHandle, afterSeq: number, limit: number): PushableEntry[] {
  const rows = r
    .statement<[number, number], { seq: number; at: string; actor: string | null; action: string; entity: string | null; entityId: string | null; detail: string | null; prevHash: string; hash: string }>(
      'SELECT seq, at, actor, action, entity, entityId, detail, prevHash, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?',
    )
    .all(afterSeq, limit);
  return rows.map((x) => ({ seq: x.seq, at: x.at, actor: x.actor, action: x.action, subject: auditSubject(x.entity, x.entityId), detail: x.detail, prevHash: x.prevHash, hash: x.hash }));
}
