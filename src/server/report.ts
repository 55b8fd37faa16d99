import type { EntityName } from '../shared/entities';
import { mergeOp, type RowState } from '../shared/sync/merge';
import { computeReport, ReportQuery, type CaseFact, type EventFact, type FollowUpFact, type HandoffFact, type Report, type ReportFacts } from '../shared/report/measures';
import { eventFact, followUpFact, handoffFact, type EventRow, type HandoffRow, type TaskRow } from '../shared/report/rows';
import { describeZodIssues, ServerError } from './errors';
import type { ServerStorage } from './storage/types';

/**
 * The whole ECC's program figures. Clinical rows live on the server only in its change log
 * (shared/entities.ts: serverState), so the server folds the log into the few fields the
 * measures read, last-writer-wins by HLC exactly as the consoles merge, and keeps the fold in
 * memory: each refresh reads only the ops since the last one. What leaves is aggregates only:
 * no name, note, phone number or id is kept past the fold or sent.
 */

const ENTITIES: readonly EntityName[] = ['handoff', 'case', 'case_event', 'task'];
/** The fields each folded entity keeps; every other field of an op is dropped before merging. */
const KEEP: Record<string, readonly string[]> = {
  handoff: ['mode', 'state', 'requestedAt', 'ringingAt', 'acceptedAt', 'acceptedBy', 'declines', 'outcome'],
  case: ['personId', 'ownerId', 'createdAt'],
  task: ['assigneeId', 'dueAt', 'doneAt'],
};
const PAGE = 5000;

function pick(fields: Record<string, unknown>, keep: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keep) if (k in fields) out[k] = fields[k];
  return out;
}

export class ReportFold {
  private cursor = 0;
  /** Merged rows of the mutable entities (their kept fields only), and each one's fact. */
  private readonly rows = { handoff: new Map<string, RowState>(), case: new Map<string, RowState>(), task: new Map<string, RowState>() };
  private readonly handoffs = new Map<string, HandoffFact>();
  private readonly followUps = new Map<string, FollowUpFact>();
  private readonly cases = new Map<string, { personId: string; ownerId: string | null; createdAt: number }>();
  /** Each person's first case: a case opened after it is a repeat. Rebuilt when a case moves. */
  private firstCase: Map<string, number> | null = new Map();
  /** Timeline events are written once: the earliest HLC wins, as in mergeOp. */
  private readonly events = new Map<string, { hlc: string; fact: EventFact | null }>();
  private refreshing: Promise<void> | null = null;

  constructor(private readonly storage: ServerStorage) {}

  /** Reads the ops committed since the last refresh into the fold. */
  refresh(): Promise<void> {
    // One refresh at a time; a caller arriving during one waits for it and then reads again.
    const run = async (): Promise<void> => {
      for (;;) {
        const page = await this.storage.transaction((tx) => tx.readChanges(this.cursor, PAGE, ENTITIES), { readOnly: true });
        for (const [cursor, , , hlc, entity, id, json] of page) {
          this.apply(entity, id, hlc, JSON.parse(json) as Record<string, unknown>);
          this.cursor = cursor;
        }
        if (page.length < PAGE) return;
      }
    };
    const next = (this.refreshing ?? Promise.resolve()).then(run, run);
    this.refreshing = next.finally(() => {
      if (this.refreshing === next) this.refreshing = null;
    });
    return next;
  }

  private apply(entity: EntityName, id: string, hlc: string, fields: Record<string, unknown>): void {
    if (entity === 'case_event') {
      const seen = this.events.get(id);
      if (seen && seen.hlc <= hlc) return;
      this.events.set(id, { hlc, fact: eventFact(fields as unknown as EventRow) });
      return;
    }
    const keep = KEEP[entity];
    if (!keep) return;
    const kept = pick(fields, keep);
    if (Object.keys(kept).length === 0) return;
    const map = this.rows[entity as keyof typeof this.rows];
    const state = mergeOp(entity, map.get(id) ?? null, hlc, kept).state;
    map.set(id, state);
    const data = state.data;
    if (entity === 'handoff') {
      const f = handoffFact(data as unknown as HandoffRow);
      if (f) this.handoffs.set(id, f);
      else this.handoffs.delete(id);
    } else if (entity === 'task') {
      const f = followUpFact(data as unknown as TaskRow);
      if (f) this.followUps.set(id, f);
      else this.followUps.delete(id);
    } else {
      const createdAt = typeof data.createdAt === 'string' ? Date.parse(data.createdAt) : NaN;
      const before = this.cases.get(id);
      if (typeof data.personId !== 'string' || Number.isNaN(createdAt)) {
        this.cases.delete(id);
        if (before) this.firstCase = null;
        return;
      }
      const now = { personId: data.personId, ownerId: (data.ownerId as string | null) ?? null, createdAt };
      this.cases.set(id, now);
      if (before && (before.personId !== now.personId || before.createdAt !== now.createdAt)) this.firstCase = null;
      else if (this.firstCase) {
        const first = this.firstCase.get(now.personId);
        if (first === undefined || createdAt < first) this.firstCase.set(now.personId, createdAt);
      }
    }
  }

  private firstCases(): Map<string, number> {
    if (this.firstCase) return this.firstCase;
    const first = new Map<string, number>();
    for (const c of this.cases.values()) {
      const f = first.get(c.personId);
      if (f === undefined || c.createdAt < f) first.set(c.personId, c.createdAt);
    }
    return (this.firstCase = first);
  }

  private *caseFacts(): Generator<CaseFact> {
    const first = this.firstCases();
    for (const c of this.cases.values()) yield { ownerId: c.ownerId, createdAt: c.createdAt, repeat: c.createdAt > first.get(c.personId)! };
  }

  private *eventFacts(): Generator<EventFact> {
    for (const e of this.events.values()) if (e.fact) yield e.fact;
  }

  /** The report for a query: the fold brought up to date first. */
  async report(params: unknown, now: Date): Promise<Report> {
    const parsed = ReportQuery.safeParse(params);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid report query: ${describeZodIssues(parsed.error.issues)}`);
    await this.refresh();
    const facts: ReportFacts = { handoffs: this.handoffs.values(), cases: this.caseFacts(), followUps: this.followUps.values(), events: this.eventFacts() };
    return computeReport(facts, parsed.data, now, 'ecc');
  }
}
