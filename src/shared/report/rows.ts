import type { CaseEvent, Handoff, Task } from '../entities';
import { CSSRS_RISKS, PHQ9_BANDS, type CaseFact, type EventFact, type FollowUpFact, type HandoffFact } from './measures';

/**
 * Synced rows as the facts the measures read: the one reading of a row, used by the sync
 * server's fold of its change log and by a console's own store, so both count the same way.
 */

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};

export type HandoffRow = Pick<Handoff, 'mode' | 'state' | 'requestedAt' | 'ringingAt' | 'acceptedAt' | 'acceptedBy' | 'declines' | 'outcome'>;

export function handoffFact(h: HandoffRow): HandoffFact | null {
  const requestedAt = ms(h.requestedAt);
  if (requestedAt === null) return null;
  return {
    mode: h.mode,
    state: h.state,
    requestedAt,
    ringingAt: ms(h.ringingAt),
    acceptedAt: ms(h.acceptedAt),
    acceptedBy: h.acceptedBy ?? null,
    declinedBy: (h.declines ?? []).map((d) => d.by),
    outcome: h.outcome ?? null,
  };
}

export type TaskRow = Pick<Task, 'assigneeId' | 'dueAt' | 'doneAt'>;

/** A task without a due time is not a follow-up the program can be late on. */
export function followUpFact(t: TaskRow): FollowUpFact | null {
  const dueAt = ms(t.dueAt);
  return dueAt === null ? null : { assigneeId: t.assigneeId ?? null, dueAt, doneAt: ms(t.doneAt) };
}

export type EventRow = Pick<CaseEvent, 'at' | 'kind' | 'authorId' | 'body'>;

/** Contacts, screenings, referral moves and crisis-line transfers count; every other kind of event does not. */
export function eventFact(e: EventRow): EventFact | null {
  const at = ms(e.at);
  if (at === null) return null;
  const b = e.body ?? {};
  switch (e.kind) {
    case 'contact':
      return { kind: 'contact', at, authorId: e.authorId, reached: b.outcome === 'reached' };
    case 'screening':
      if (b.instrument === 'phq9' && (PHQ9_BANDS as readonly unknown[]).includes(b.band)) return { kind: 'phq9', at, authorId: e.authorId, band: b.band as (typeof PHQ9_BANDS)[number] };
      if (b.instrument === 'cssrs' && (CSSRS_RISKS as readonly unknown[]).includes(b.risk)) return { kind: 'cssrs', at, authorId: e.authorId, risk: b.risk as (typeof CSSRS_RISKS)[number] };
      return null;
    case 'transfer': {
      // Counted at the time of the transfer, which may be logged after it.
      const t = typeof b.transferredAt === 'string' ? ms(b.transferredAt) : at;
      return t === null ? null : { kind: 'transfer', at: t, authorId: e.authorId, line: b.line === '988' ? '988' : 'other' };
    }
    case 'referral':
      return b.status === 'made' || b.status === 'connected' ? { kind: 'referral', at, authorId: e.authorId, status: b.status } : null;
    default:
      return null;
  }
}

export interface CaseRow {
  personId: string;
  ownerId: string | null;
  createdAt: string;
}

/**
 * Cases with `repeat` worked out among themselves: a case is a repeat when the same person
 * has a case opened earlier. Give every case there is, not only those in a range.
 */
export function caseFacts(rows: Iterable<CaseRow>): CaseFact[] {
  const first = new Map<string, number>();
  const parsed: { personId: string; ownerId: string | null; createdAt: number }[] = [];
  for (const c of rows) {
    const createdAt = ms(c.createdAt);
    if (createdAt === null) continue;
    parsed.push({ personId: c.personId, ownerId: c.ownerId ?? null, createdAt });
    const f = first.get(c.personId);
    if (f === undefined || createdAt < f) first.set(c.personId, createdAt);
  }
  return parsed.map((c) => ({ ownerId: c.ownerId, createdAt: c.createdAt, repeat: c.createdAt > first.get(c.personId)! }));
}
