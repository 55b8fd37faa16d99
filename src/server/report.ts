import type { EntityName } from '../shared/entities';
import { mergeOp, type RowState } from '../shared/sync/merge';
import { bucketsOf, computeReport, ReportQuery, type CaseFact, type EventFact, type FollowUpFact, type HandoffFact, type Report, type ReportFacts } from '../shared/report/measures';
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

const DAY = 86_400_000;

/**
 * Facts by id, and the ids of each UTC day by the time a measure buckets them on: a month view
 * reads its month's days (and one either side, for zones), not the whole year.
 */
class ByDay<F> {
  private readonly byId = new Map<string, { day: number; fact: F }>();
  private readonly days = new Map<number, Map<string, F>>();

  set(id: string, at: number, fact: F): void {
    const day = Math.floor(at / DAY);
    const before = this.byId.get(id);
    if (before && before.day !== day) this.days.get(before.day)?.delete(id);
    this.byId.set(id, { day, fact });
    let bin = this.days.get(day);
    if (!bin) this.days.set(day, (bin = new Map()));
    bin.set(id, fact);
  }

  delete(id: string): void {
    const before = this.byId.get(id);
    if (!before) return;
    this.byId.delete(id);
    this.days.get(before.day)?.delete(id);
  }

  *between(from: number, to: number): Generator<F> {
    for (let d = Math.floor(from / DAY) - 1; d <= Math.floor(to / DAY) + 1; d++) {
      const bin = this.days.get(d);
      if (bin) yield* bin.values();
    }
  }
}

export class ReportFold {
  private cursor = 0;
  /** Merged rows of the mutable entities (their kept fields only), and each one's fact. */
  private readonly rows = { handoff: new Map<string, RowState>(), case: new Map<string, RowState>(), task: new Map<string, RowState>() };
  private readonly handoffs = new ByDay<HandoffFact>();
  private readonly followUps = new ByDay<FollowUpFact>();
  private readonly cases = new Map<string, { personId: string; ownerId: string | null; createdAt: number }>();
  private readonly caseDays = new ByDay<string>();
  private readonly eventDays = new ByDay<EventFact>();
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
      const fact = eventFact(fields as unknown as EventRow);
      this.events.set(id, { hlc, fact });
      if (fact) this.eventDays.set(id, fact.at, fact);
      else this.eventDays.delete(id);
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
      if (f) this.handoffs.set(id, f.requestedAt, f);
      else this.handoffs.delete(id);
    } else if (entity === 'task') {
      const f = followUpFact(data as unknown as TaskRow);
      if (f) this.followUps.set(id, f.dueAt, f);
      else this.followUps.delete(id);
    } else {
      const createdAt = typeof data.createdAt === 'string' ? Date.parse(data.createdAt) : NaN;
      const before = this.cases.get(id);
      if (typeof data.personId !== 'string' || Number.isNaN(createdAt)) {
        this.cases.delete(id);
        this.caseDays.delete(id);
        if (before) this.firstCase = null;
        return;
      }
      const now = { personId: data.personId, ownerId: (data.ownerId as string | null) ?? null, createdAt };
      this.cases.set(id, now);
      this.caseDays.set(id, createdAt, id);
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

  private *caseFacts(from: number, to: number): Generator<CaseFact> {
    const first = this.firstCases();
    for (const id of this.caseDays.between(from, to)) {
      const c = this.cases.get(id)!;
      yield { ownerId: c.ownerId, createdAt: c.createdAt, repeat: c.createdAt > first.get(c.personId)! };
    }
  }

  /** The report for a query: the fold brought up to date first. */
  async report(params: unknown, now: Date): Promise<Report> {
    const parsed = ReportQuery.safeParse(params);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid report query: ${describeZodIssues(parsed.error.issues)}`);
    await this.refresh();
    const b = bucketsOf(parsed.data);
    const from = b.starts[0];
    const to = b.starts[b.starts.length - 1];
    const facts: ReportFacts = {
      handoffs: this.handoffs.between(from, to),
      cases: this.caseFacts(from, to),
      followUps: this.followUps.between(from, to),
      events: this.eventDays.between(from, to),
    };
    return computeReport(facts, parsed.data, now, 'ecc');
  }
}
