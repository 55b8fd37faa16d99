import { stringify } from 'csv-stringify/sync';
import { consoleEntryHash } from '../node/audit-chain';
import { sha256 } from './secrets';
import type { AuditRecord, ServerStorage, StorageTx } from './storage/types';

/**
 * The audit log an inspector can trust: append-only (triggers refuse UPDATE and DELETE), and
 * hash-chained per source, each entry's hash covering its fields and the hash of the entry
 * before it, with each chain's last entry kept apart (audit_heads). `verify` walks every chain
 * and names the first entry deleted, altered or out of order, and a chain cut short.
 *
 * The server's own chain (`server`) records sign-in, failed and refused sign-ins, sign-out
 * and every administrative action (the CLI's included).
 */
export const SERVER_SOURCE = 'server';
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  action: string;
  actor?: string | null;
  workstationId?: string | null;
  subject?: string | null;
  detail?: Record<string, unknown> | null;
  ip?: string | null;
}

/**
 * The hash of an entry: its fields in a fixed order, and the previous entry's hash. A console's
 * chain (`ws:<id>`, pushed by the workstation: console-audit.ts) is hashed as the console hashed it.
 */
export function auditHash(e: Omit<AuditRecord, 'hash'>): string {
  if (e.source.startsWith('ws:')) {
    return consoleEntryHash({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, subject: e.subject, detail: e.detail, prevHash: e.prevHash });
  }
  return sha256(JSON.stringify([e.source, e.seq, e.at, e.actor, e.workstationId, e.action, e.subject, e.detail, e.ip, e.prevHash]));
}

/**
 * Text as an entry keeps it: U+0000 (which a typed username may carry, and PostgreSQL text
 * cannot hold) shown as U+FFFD, before the hash is taken, so that every engine stores, and
 * verifies, the same entry.
 */
function entryText(s: string | null | undefined): string | null {
  return s == null ? null : s.replaceAll('\u0000', '\uFFFD');
}

/** Appends an event to a chain inside the caller's transaction. */
export async function appendAuditIn(tx: StorageTx, source: string, at: string, e: AuditEvent): Promise<AuditRecord> {
  const head = await tx.auditHead(source);
  const base = {
    source,
    seq: (head?.seq ?? 0) + 1,
    at,
    actor: entryText(e.actor),
    workstationId: entryText(e.workstationId),
    action: e.action,
    subject: entryText(e.subject),
    detail: e.detail ? JSON.stringify(e.detail) : null,
    ip: entryText(e.ip),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  const rec = { ...base, hash: auditHash(base) };
  await tx.appendAudit(rec);
  return rec;
}

export interface ChainReport {
  source: string;
  entries: number;
  ok: boolean;
  /** The first problem found, in words, with the entry it concerns. */
  problem?: { seq: number; kind: 'missing' | 'altered' | 'out_of_order' | 'truncated'; message: string };
}

const PAGE = 5000;

async function verifyChain(storage: ServerStorage, source: string, head: { seq: number; hash: string } | null): Promise<ChainReport> {
  let expected = 1;
  let prev = GENESIS_HASH;
  let entries = 0;
  for (;;) {
    const page = await storage.transaction((tx) => tx.readAuditChain(source, expected - 1, PAGE), { readOnly: true });
    for (const e of page) {
      entries++;
      if (e.seq !== expected) {
        const gone = e.seq - expected === 1 ? `entry ${expected} is` : `entries ${expected}–${e.seq - 1} are`;
        return { source, entries, ok: false, problem: { seq: expected, kind: 'missing', message: `${gone} missing (deleted)` } };
      }
      if (e.prevHash !== prev) {
        return { source, entries, ok: false, problem: { seq: e.seq, kind: 'out_of_order', message: `entry ${e.seq} does not follow entry ${e.seq - 1} (reordered, or moved from elsewhere)` } };
      }
      if (auditHash(e) !== e.hash) {
        return { source, entries, ok: false, problem: { seq: e.seq, kind: 'altered', message: `entry ${e.seq} was altered after it was written` } };
      }
      prev = e.hash;
      expected++;
    }
    if (page.length < PAGE) break;
  }
  const last = expected - 1;
  if (head && (head.seq !== last || head.hash !== prev)) {
    const message =
      head.seq > last ? `entries ${last + 1}–${head.seq} are missing from the end (truncated)` : `the chain's last entry ${last} is not the one recorded as its end (${head.seq})`;
    return { source, entries, ok: false, problem: { seq: last + 1, kind: 'truncated', message } };
  }
  return { source, entries, ok: true };
}

export interface AuditLog {
  /** Appends an event to the server's chain (its own transaction). */
  record(e: AuditEvent): Promise<void>;
  verify(): Promise<ChainReport[]>;
  /** CSV (header row first) of the entries with from <= at < to, written page by page. */
  exportCsv(from: string, to: string, write: (chunk: string) => void): Promise<number>;
}

export const AUDIT_CSV_COLUMNS = ['at', 'source', 'seq', 'actor', 'workstation', 'action', 'subject', 'detail', 'ip', 'hash'] as const;

export function createAuditLog(storage: ServerStorage, now: () => number): AuditLog {
  return {
    record: (e) => storage.transaction(async (tx) => void (await appendAuditIn(tx, SERVER_SOURCE, new Date(now()).toISOString(), e))),
    verify: async () => {
      const heads = await storage.transaction((tx) => tx.auditHeads(), { readOnly: true });
      const out: ChainReport[] = [];
      for (const h of heads) out.push(await verifyChain(storage, h.source, h));
      return out;
    },
    exportCsv: async (from, to, write) => {
      write(stringify([[...AUDIT_CSV_COLUMNS]]));
      let after = 0;
      let n = 0;
      for (;;) {
        const page = await storage.transaction((tx) => tx.readAuditBetween(from, to, after, PAGE), { readOnly: true });
        if (!page.length) break;
        write(stringify(page.map((e) => [e.at, e.source, e.seq, e.actor, e.workstationId, e.action, e.subject, e.detail, e.ip, e.hash])));
        n += page.length;
        after = page[page.length - 1].id;
      }
      return n;
    },
  };
}
