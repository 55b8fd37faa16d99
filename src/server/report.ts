import type { EntityName } from '../shared/entities';
import { mergeOp, type RowState } from '../shared/sync/merge';
import { computeReport, ReportQuery, type EventFact, type Report, type ReportFacts } from '../shared/report/measures';
import { caseFacts, eventFact, followUpFact, handoffFact, type CaseRow, type EventRow, type HandoffRow, type TaskRow } from '../shared/report/rows';
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
  private readonly rows = { handoff: new Map<string, RowState>(), case: new Map<string, RowState>(), task: new Map<string, RowState>() };
  /** Timeline events are written once: the earliest HLC wins, as in mergeOp. */
  private readonly events = new Map<string, { hlc: string; fact: EventFact | null }>();
  private facts: ReportFacts | null = null;
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
        if (page.length > 0) this.facts = null;
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
    const map = this.rows[entity as keyof typeof this.rows];
    const kept = pick(fields, keep);
    if (Object.keys(kept).length === 0 && map.has(id)) return;
    map.set(id, mergeOp(entity, map.get(id) ?? null, hlc, kept).state);
  }

  private currentFacts(): ReportFacts {
    if (this.facts) return this.facts;
    const handoffs = [];
    for (const s of this.rows.handoff.values()) {
      const f = handoffFact(s.data as unknown as HandoffRow);
      if (f) handoffs.push(f);
    }
    const followUps = [];
    for (const s of this.rows.task.values()) {
      const f = followUpFact(s.data as unknown as TaskRow);
      if (f) followUps.push(f);
    }
    const caseRows: CaseRow[] = [];
    for (const s of this.rows.case.values()) if (typeof s.data.personId === 'string') caseRows.push(s.data as unknown as CaseRow);
    const events: EventFact[] = [];
    for (const e of this.events.values()) if (e.fact) events.push(e.fact);
    this.facts = { handoffs, cases: caseFacts(caseRows), followUps, events };
    return this.facts;
  }

  /** The report for a query: the fold brought up to date first. */
  async report(params: unknown, now: Date): Promise<Report> {
    const parsed = ReportQuery.safeParse(params);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid report query: ${describeZodIssues(parsed.error.issues)}`);
    await this.refresh();
    return computeReport(this.currentFacts(), parsed.data, now, 'ecc');
  }
}
