import type { Logger } from 'pino';
import { consoleEntryHash } from '../node/audit-chain';
import { AuditPushParams, AuditSearchParams, type AuditSearchResponse } from '../shared/sync/wire';
import { appendAuditIn, GENESIS_HASH, SERVER_SOURCE } from './audit';
import type { Caller } from './auth';
import { describeZodIssues, ServerError } from './errors';
import type { ServerStorage } from './storage/types';

/**
 * The consoles' audit chains (issue 14). Each workstation chains its own entries (reads and
 * writes of clinical data, locks, imports…: src/main/core/store/queries/audit.ts) and pushes
 * them with `audit.push`. Here each arriving entry is checked against the chain this server
 * already holds for that workstation (`ws:<workstation id>` in audit_log): the next seq, the
 * previous entry's hash, its own hash over its fields. Whatever does not hold — entries deleted
 * on the console (a gap), an entry altered there, or entries out of order — is recorded in the
 * server's own chain (`audit.console_chain`) and logged, and the entries are kept as received:
 * evidence is never dropped, and `audit verify` reports the same break for as long as it exists.
 * An entry already held (a push retried) is skipped.
 */
export const consoleSource = (workstationId: string) => `ws:${workstationId}`;
export const isConsoleSource = (source: string) => source.startsWith('ws:');

export interface ChainProblem {
  seq: number;
  kind: 'missing' | 'out_of_order' | 'altered';
  message: string;
}

export async function receiveConsoleAudit(storage: ServerStorage, caller: Caller, params: unknown, now: () => number, logger: Logger): Promise<{ seq: number; problems: ChainProblem[] }> {
  const parsed = AuditPushParams.safeParse(params);
  if (!parsed.success) throw new ServerError('bad_request', `Invalid audit push: ${describeZodIssues(parsed.error.issues)}`);
  const source = consoleSource(caller.workstation.id);
  const wsName = caller.workstation.name;
  return storage.transaction(async (tx) => {
    const head = await tx.auditHead(source);
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const problems: ChainProblem[] = [];
    for (const e of parsed.data.entries) {
      if (e.seq <= seq) continue; // already held
      if (e.seq !== seq + 1) {
        const gone = e.seq - seq === 2 ? `entry ${seq + 1} is` : `entries ${seq + 1}–${e.seq - 1} are`;
        problems.push({ seq: seq + 1, kind: 'missing', message: `${gone} missing from the chain of workstation ${wsName} (deleted on the console)` });
      } else if (e.prevHash !== prev) {
        problems.push({ seq: e.seq, kind: 'out_of_order', message: `entry ${e.seq} of workstation ${wsName} does not follow entry ${seq} (reordered, or changed on the console)` });
      }
      if (consoleEntryHash(e) !== e.hash) {
        problems.push({ seq: e.seq, kind: 'altered', message: `entry ${e.seq} of workstation ${wsName} was altered after it was written` });
      }
      await tx.appendAudit({
        source,
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        workstationId: caller.workstation.id,
        action: e.action,
        subject: e.subject,
        detail: e.detail,
        ip: null,
        prevHash: e.prevHash,
        hash: e.hash,
      });
      seq = e.seq;
      prev = e.hash;
    }
    const at = new Date(now()).toISOString();
    for (const p of problems) {
      logger.warn({ workstation: caller.workstation.id, seq: p.seq, kind: p.kind }, p.message);
      await appendAuditIn(tx, SERVER_SOURCE, at, {
        action: 'audit.console_chain',
        actor: caller.user.username,
        workstationId: caller.workstation.id,
        subject: source,
        detail: { ...p },
      });
    }
    return { seq, problems };
  });
}

/**
 * The supervisor's audit screen (capability `audit.read`): one page, newest first, of the
 * entries matching the filters; the search itself is recorded (who looked, for what).
 */
export async function searchAudit(storage: ServerStorage, caller: Caller, params: unknown, now: () => number): Promise<AuditSearchResponse> {
  const parsed = AuditSearchParams.safeParse(params);
  if (!parsed.success) throw new ServerError('bad_request', `Invalid audit search: ${describeZodIssues(parsed.error.issues)}`);
  const { before, limit, ...filter } = parsed.data;
  const norm = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  return storage.transaction(async (tx) => {
    const rows = await tx.searchAudit({ ...filter, from: norm(filter.from), to: norm(filter.to) }, before ?? null, limit + 1);
    const page = rows.slice(0, limit);
    const names = new Map<string, string | null>();
    for (const r of page) {
      if (r.workstationId && !names.has(r.workstationId)) names.set(r.workstationId, (await tx.getWorkstation(r.workstationId))?.name ?? null);
    }
    await appendAuditIn(tx, SERVER_SOURCE, new Date(now()).toISOString(), {
      action: 'audit.search',
      actor: caller.user.username,
      workstationId: caller.workstation.id,
      detail: { ...filter, before: before ?? null, returned: page.length },
    });
    return {
      entries: page.map((r) => ({
        id: r.id,
        at: r.at,
        source: r.source,
        seq: r.seq,
        actor: r.actor,
        workstationId: r.workstationId,
        workstationName: r.workstationId ? (names.get(r.workstationId) ?? null) : null,
        action: r.action,
        subject: r.subject,
        detail: r.detail,
        ip: r.ip,
      })),
      next: rows.length > limit ? page[page.length - 1].id : null,
    };
  });
}
