import { z } from 'zod';
import { DateTime } from 'luxon';
import type { HandoffOutcome, HandoffMode } from '../entities';
import type { HandoffState } from '../handoff-machine';

/**
 * The program's measures, defined once. The sync server (for the whole ECC, from its change
 * log) and a console (from its own store, offline too) both turn what they hold into the plain
 * facts below and hand them to `computeReport`, so the two can only disagree about the data,
 * never about what a measure means. Times are epoch milliseconds; the adapters parse once.
 */

export interface HandoffFact {
  mode: HandoffMode;
  state: HandoffState;
  requestedAt: number;
  ringingAt: number | null;
  acceptedAt: number | null;
  acceptedBy: string | null;
  /** Clinicians who declined it (a handoff can be declined by one and taken by another). */
  declinedBy: readonly string[];
  outcome: HandoffOutcome | null;
}

export interface CaseFact {
  ownerId: string | null;
  createdAt: number;
  /** The same person had a case opened before this one. */
  repeat: boolean;
}

/** A follow-up with a due time (a case task). */
export interface FollowUpFact {
  assigneeId: string | null;
  dueAt: number;
  doneAt: number | null;
}

export const PHQ9_BANDS = ['minimal', 'mild', 'moderate', 'moderately severe', 'severe'] as const;
export const CSSRS_RISKS = ['none', 'low', 'moderate', 'high'] as const;

export type EventFact =
  | { kind: 'contact'; at: number; authorId: string; reached: boolean }
  | { kind: 'phq9'; at: number; authorId: string; band: (typeof PHQ9_BANDS)[number] }
  | { kind: 'cssrs'; at: number; authorId: string; risk: (typeof CSSRS_RISKS)[number] }
  | { kind: 'referral'; at: number; authorId: string; status: 'made' | 'connected' }
  | { kind: 'transfer'; at: number; authorId: string; line: '988' | 'other' };

/** Read once each, in one pass: a holder may hand its own collections' iterators over. */
export interface ReportFacts {
  handoffs: Iterable<HandoffFact>;
  cases: Iterable<CaseFact>;
  followUps: Iterable<FollowUpFact>;
  events: Iterable<EventFact>;
}

export const Grain = z.enum(['day', 'week', 'month']);
export type Grain = z.infer<typeof Grain>;

/** Three years: long enough for any council report, short enough to bound the buckets. */
export const MAX_RANGE_DAYS = 3 * 366;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Give a date as YYYY-MM-DD');
export const ReportQuery = z
  .object({
    /** First and last day of the range, inclusive, in `zone`. */
    from: day,
    to: day,
    grain: Grain,
    /** IANA time zone the days are counted in (the ECC's). */
    zone: z.string().min(1).max(64),
  })
  .refine((q) => q.from <= q.to, { message: 'The range ends before it starts', path: ['to'] })
  .refine((q) => DateTime.local().setZone(q.zone).isValid, { message: 'Unknown time zone', path: ['zone'] })
  .refine((q) => spanDays(q.from, q.to) <= MAX_RANGE_DAYS, { message: `A range is at most ${MAX_RANGE_DAYS} days`, path: ['to'] });
export type ReportQuery = z.infer<typeof ReportQuery>;

function spanDays(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
}

// ---------------------------------------------------------------------------------------
// The measures

export type MeasureKind = 'count' | 'seconds' | 'ratio';

interface MeasureDef {
  label: string;
  kind: MeasureKind;
  /** What is counted, in words a council member can read (exports print these). */
  definition: string;
}

export const MEASURES = {
  conferenced: { label: 'Calls conferenced', kind: 'count', definition: 'Live handoffs a dispatcher requested (F9 or the button), by the time of the request.' },
  rang: { label: 'Rang a clinician', kind: 'count', definition: 'Conferenced calls that rang at least one clinician console.' },
  accepted: { label: 'Accepted', kind: 'count', definition: 'Conferenced calls a clinician accepted.' },
  declined: { label: 'Declined', kind: 'count', definition: 'Conferenced calls that ended declined (no clinician took them after a decline).' },
  no_answer: { label: 'No answer', kind: 'count', definition: 'Conferenced calls that rang and timed out unanswered.' },
  cancelled: { label: 'Cancelled', kind: 'count', definition: 'Conferenced calls the dispatcher cancelled before a clinician accepted.' },
  ring_median: { label: 'F9 to ringing, median (s)', kind: 'seconds', definition: 'Seconds from the request to the clinician console ringing: the median (nearest rank) over conferenced calls that rang.' },
  ring_p90: { label: 'F9 to ringing, p90 (s)', kind: 'seconds', definition: 'The same, 90th percentile (nearest rank): nine calls in ten rang at least this fast.' },
  accept_median: { label: 'F9 to accept, median (s)', kind: 'seconds', definition: 'Seconds from the request to a clinician accepting: the median (nearest rank) over accepted calls.' },
  accept_p90: { label: 'F9 to accept, p90 (s)', kind: 'seconds', definition: 'The same, 90th percentile (nearest rank).' },
  resolved_by_phone: { label: 'Resolved by phone', kind: 'count', definition: 'Completed conferences whose outcome was resolved by phone.' },
  responders_needed: { label: 'Responders needed', kind: 'count', definition: 'Completed conferences after which police, fire or EMS were still needed.' },
  transport: { label: 'Transport', kind: 'count', definition: 'Completed conferences ending in a transport.' },
  referral: { label: 'Referral', kind: 'count', definition: 'Completed conferences ending in a referral to a service.' },
  follow_up_needed: { label: 'Follow-up', kind: 'count', definition: 'Completed conferences handed to the follow-up caseload.' },
  without_police_ems: {
    label: 'Resolved without police or EMS',
    kind: 'count',
    definition: 'Completed conferences whose outcome was resolved by phone, a referral or a follow-up: no responders and no transport were needed.',
  },
  followups_on_time: { label: 'Follow-ups on time', kind: 'count', definition: 'Follow-up tasks due in the period and done by their due time.' },
  followups_late: { label: 'Follow-ups done late', kind: 'count', definition: 'Follow-up tasks due in the period and done after their due time.' },
  followups_overdue: { label: 'Follow-ups overdue', kind: 'count', definition: 'Follow-up tasks due in the period, past due when the report was made, and not done.' },
  contacts: { label: 'Contact attempts', kind: 'count', definition: 'Contact attempts logged (phone, text, in person, email), by the time logged.' },
  reached: { label: 'Reached', kind: 'count', definition: 'Contact attempts that reached the person.' },
  attempts_per_reach: { label: 'Attempts per person reached', kind: 'ratio', definition: 'Contact attempts divided by attempts that reached someone.' },
  referrals_made: { label: 'Referrals made', kind: 'count', definition: 'Referrals to a service made by a clinician.' },
  referrals_connected: { label: 'Referrals connected', kind: 'count', definition: 'Referrals marked connected (the person reached the service), by the time marked.' },
  phq9_minimal: { label: 'PHQ-9 minimal', kind: 'count', definition: 'PHQ-9 screenings scoring 0-4.' },
  phq9_mild: { label: 'PHQ-9 mild', kind: 'count', definition: 'PHQ-9 screenings scoring 5-9.' },
  phq9_moderate: { label: 'PHQ-9 moderate', kind: 'count', definition: 'PHQ-9 screenings scoring 10-14.' },
  phq9_moderately_severe: { label: 'PHQ-9 moderately severe', kind: 'count', definition: 'PHQ-9 screenings scoring 15-19.' },
  phq9_severe: { label: 'PHQ-9 severe', kind: 'count', definition: 'PHQ-9 screenings scoring 20-27.' },
  cssrs_none: { label: 'C-SSRS no risk', kind: 'count', definition: 'C-SSRS screeners with every answer no.' },
  cssrs_low: { label: 'C-SSRS low risk', kind: 'count', definition: 'C-SSRS screeners at low risk.' },
  cssrs_moderate: { label: 'C-SSRS moderate risk', kind: 'count', definition: 'C-SSRS screeners at moderate risk.' },
  cssrs_high: { label: 'C-SSRS high risk', kind: 'count', definition: 'C-SSRS screeners at high risk.' },
  transfers_988: { label: 'Transfers to 988', kind: 'count', definition: 'People transferred to the 988 Suicide & Crisis Lifeline, by the time of the transfer.' },
  transfers_other: { label: 'Transfers to other crisis lines', kind: 'count', definition: 'People transferred to another crisis line (named on the case), by the time of the transfer.' },
  cases_opened: { label: 'Cases opened', kind: 'count', definition: 'Follow-up cases opened.' },
  repeat_callers: { label: 'Repeat callers', kind: 'count', definition: 'Cases opened for a person who already had an earlier case.' },
} as const satisfies Record<string, MeasureDef>;
export type MeasureId = keyof typeof MEASURES;
export const MEASURE_IDS = Object.keys(MEASURES) as MeasureId[];

/** The count a derived figure stands on: suppressed with it when it is small. */
const BASE_OF: Partial<Record<MeasureId, MeasureId>> = {
  ring_median: 'rang',
  ring_p90: 'rang',
  accept_median: 'accepted',
  accept_p90: 'accepted',
  attempts_per_reach: 'reached',
};

export type ChartKind = 'line' | 'bar' | 'stacked';
export interface ChartDef {
  id: string;
  title: string;
  kind: ChartKind;
  measures: readonly MeasureId[];
  /** Stacked parts that add up to this measure (for complementary suppression). */
  partsOf?: MeasureId;
  /** Shown in the chart's table, not drawn: the counts a drawn figure stands on. */
  tableOnly?: readonly MeasureId[];
}

/** The dashboard's charts, in order; every export carries the same tables. */
export const CHARTS: readonly ChartDef[] = [
  { id: 'answers', title: 'Conferenced calls by answer', kind: 'stacked', measures: ['accepted', 'declined', 'no_answer', 'cancelled'], partsOf: 'conferenced' },
  { id: 'speed', title: 'Time to the clinician (seconds)', kind: 'line', measures: ['ring_median', 'ring_p90', 'accept_median', 'accept_p90'], tableOnly: ['rang', 'accepted'] },
  { id: 'outcomes', title: 'Conference outcomes', kind: 'stacked', measures: ['resolved_by_phone', 'responders_needed', 'transport', 'referral', 'follow_up_needed'] },
  { id: 'diversion', title: 'Calls conferenced and resolved without police or EMS', kind: 'bar', measures: ['conferenced', 'without_police_ems'] },
  { id: 'followups', title: 'Follow-ups by due date', kind: 'stacked', measures: ['followups_on_time', 'followups_late', 'followups_overdue'] },
  { id: 'contacts', title: 'Contact attempts', kind: 'bar', measures: ['contacts', 'reached'] },
  { id: 'reach', title: 'Attempts per person reached', kind: 'line', measures: ['attempts_per_reach'], tableOnly: ['contacts', 'reached'] },
  { id: 'referrals', title: 'Referrals', kind: 'bar', measures: ['referrals_made', 'referrals_connected'] },
  { id: 'phq9', title: 'PHQ-9 screenings by severity', kind: 'stacked', measures: ['phq9_minimal', 'phq9_mild', 'phq9_moderate', 'phq9_moderately_severe', 'phq9_severe'] },
  { id: 'cssrs', title: 'C-SSRS screeners by risk', kind: 'stacked', measures: ['cssrs_none', 'cssrs_low', 'cssrs_moderate', 'cssrs_high'] },
  { id: 'transfers', title: 'Crisis-line transfers', kind: 'stacked', measures: ['transfers_988', 'transfers_other'] },
  { id: 'repeat', title: 'Cases opened and repeat callers', kind: 'bar', measures: ['cases_opened', 'repeat_callers'] },
];

/** A figure is null when it has no value (no call rang) or was suppressed. */
export type Cell = number | null;

export interface Report {
  query: ReportQuery;
  /** Whose figures: the whole ECC, or one clinician's own. */
  scope: 'ecc' | 'own';
  generatedAt: string;
  /** Each bucket's first day in the range (YYYY-MM-DD; YYYY-MM for months). */
  buckets: string[];
  series: Record<MeasureId, Cell[]>;
  totals: Record<MeasureId, Cell>;
  /** Small cells were suppressed: this report may leave the ECC. */
  suppressed: boolean;
}

// ---------------------------------------------------------------------------------------
// Buckets

export interface Buckets {
  labels: string[];
  /** starts[i] is bucket i's first instant; starts[labels.length] is the end of the range. */
  starts: number[];
}

/** The buckets of a range: days, ISO weeks (Monday first) or calendar months, in the zone. */
export function bucketsOf(q: ReportQuery): Buckets {
  const first = DateTime.fromISO(q.from, { zone: q.zone }).startOf('day');
  const end = DateTime.fromISO(q.to, { zone: q.zone }).plus({ days: 1 }).startOf('day');
  const unit = q.grain;
  const labels: string[] = [];
  const starts: number[] = [];
  let t = first.startOf(unit === 'week' ? 'week' : unit);
  while (t < end) {
    // A week or month cut by the range is labelled by the first day it counts.
    const start = t < first ? first : t;
    labels.push(unit === 'month' ? start.toFormat('yyyy-MM') : start.toISODate()!);
    starts.push(start.toMillis());
    t = t.plus({ [`${unit}s`]: 1 });
  }
  starts.push(end.toMillis());
  return { labels, starts };
}

/** The bucket an instant falls in, or -1 outside the range. */
function bucketOf(b: Buckets, at: number): number {
  const s = b.starts;
  if (at < s[0] || at >= s[s.length - 1]) return -1;
  let lo = 0;
  let hi = s.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Nearest-rank percentile: the smallest value with at least p of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1];
}

// ---------------------------------------------------------------------------------------
// Computing

const RESOLVED_WITHOUT: ReadonlySet<HandoffOutcome> = new Set<HandoffOutcome>(['resolved_by_phone', 'referral', 'follow_up_needed']);
const PHQ9_MEASURE: Record<(typeof PHQ9_BANDS)[number], MeasureId> = {
  minimal: 'phq9_minimal',
  mild: 'phq9_mild',
  moderate: 'phq9_moderate',
  'moderately severe': 'phq9_moderately_severe',
  severe: 'phq9_severe',
};
const CSSRS_MEASURE: Record<(typeof CSSRS_RISKS)[number], MeasureId> = { none: 'cssrs_none', low: 'cssrs_low', moderate: 'cssrs_moderate', high: 'cssrs_high' };

/** Only one clinician's part of the facts: calls she took or declined, her cases, tasks and events. */
export function factsOf(facts: ReportFacts, userId: string): ReportFacts {
  return {
    handoffs: [...facts.handoffs].filter((h) => h.acceptedBy === userId || h.declinedBy.includes(userId)),
    cases: [...facts.cases].filter((c) => c.ownerId === userId),
    followUps: [...facts.followUps].filter((f) => f.assigneeId === userId),
    events: [...facts.events].filter((e) => e.authorId === userId),
  };
}

/**
 * Every measure, by bucket and for the whole range. `now` decides what is overdue. Exact:
 * `suppressSmallCells` makes the copy that may leave the ECC.
 */
export function computeReport(facts: ReportFacts, q: ReportQuery, now: Date, scope: Report['scope'] = 'ecc'): Report {
  const b = bucketsOf(q);
  const n = b.labels.length;
  // Slot n is the whole range.
  const counts = {} as Record<MeasureId, Float64Array>;
  for (const id of MEASURE_IDS) counts[id] = new Float64Array(n + 1);
  const ringTimes: number[][] = Array.from({ length: n + 1 }, () => []);
  const acceptTimes: number[][] = Array.from({ length: n + 1 }, () => []);
  const add = (id: MeasureId, i: number) => {
    counts[id][i]++;
    counts[id][n]++;
  };

  for (const h of facts.handoffs) {
    if (h.mode !== 'live') continue;
    const i = bucketOf(b, h.requestedAt);
    if (i < 0) continue;
    add('conferenced', i);
    if (h.acceptedAt !== null) {
      add('accepted', i);
      const s = (h.acceptedAt - h.requestedAt) / 1000;
      acceptTimes[i].push(s);
      acceptTimes[n].push(s);
    } else if (h.state === 'declined') add('declined', i);
    else if (h.state === 'timed_out') add('no_answer', i);
    else if (h.state === 'cancelled') add('cancelled', i);
    if (h.ringingAt !== null) {
      add('rang', i);
      const s = (h.ringingAt - h.requestedAt) / 1000;
      ringTimes[i].push(s);
      ringTimes[n].push(s);
    }
    if (h.state === 'completed' && h.outcome) {
      add(h.outcome, i);
      if (RESOLVED_WITHOUT.has(h.outcome)) add('without_police_ems', i);
    }
  }

  for (const c of facts.cases) {
    const i = bucketOf(b, c.createdAt);
    if (i < 0) continue;
    add('cases_opened', i);
    if (c.repeat) add('repeat_callers', i);
  }

  const nowMs = now.getTime();
  for (const f of facts.followUps) {
    const i = bucketOf(b, f.dueAt);
    if (i < 0) continue;
    if (f.doneAt !== null) add(f.doneAt <= f.dueAt ? 'followups_on_time' : 'followups_late', i);
    else if (f.dueAt < nowMs) add('followups_overdue', i);
  }

  for (const e of facts.events) {
    const i = bucketOf(b, e.at);
    if (i < 0) continue;
    switch (e.kind) {
      case 'contact':
        add('contacts', i);
        if (e.reached) add('reached', i);
        break;
      case 'phq9':
        add(PHQ9_MEASURE[e.band], i);
        break;
      case 'cssrs':
        add(CSSRS_MEASURE[e.risk], i);
        break;
      case 'referral':
        add(e.status === 'made' ? 'referrals_made' : 'referrals_connected', i);
        break;
      case 'transfer':
        add(e.line === '988' ? 'transfers_988' : 'transfers_other', i);
        break;
    }
  }

  const series = {} as Record<MeasureId, Cell[]>;
  const totals = {} as Record<MeasureId, Cell>;
  const derived = (i: number): Partial<Record<MeasureId, Cell>> => {
    const ring = ringTimes[i].sort((x, y) => x - y);
    const acc = acceptTimes[i].sort((x, y) => x - y);
    const reached = counts.reached[i];
    return {
      ring_median: percentile(ring, 0.5),
      ring_p90: percentile(ring, 0.9),
      accept_median: percentile(acc, 0.5),
      accept_p90: percentile(acc, 0.9),
      attempts_per_reach: reached > 0 ? Math.round((counts.contacts[i] / reached) * 100) / 100 : null,
    };
  };
  for (const id of MEASURE_IDS) series[id] = [];
  for (let i = 0; i <= n; i++) {
    const d = derived(i);
    for (const id of MEASURE_IDS) {
      const v = MEASURES[id].kind === 'count' ? counts[id][i] : (d[id] ?? null);
      if (i < n) series[id].push(v);
      else totals[id] = v;
    }
  }
  return { query: q, scope, generatedAt: now.toISOString(), buckets: b.labels, series, totals, suppressed: false };
}

// ---------------------------------------------------------------------------------------
// Small cells

/** Counts from 1 to 10 are suppressed in anything that leaves the ECC; 0 and 11 upward are shown. */
export const SMALL_CELL = 11;

export function isSmall(v: Cell): boolean {
  return v !== null && v > 0 && v < SMALL_CELL;
}

export const SUPPRESSION_NOTE =
  `Counts from 1 to ${SMALL_CELL - 1} are suppressed (shown as "<${SMALL_CELL}") in this export, as are medians, percentiles and ratios that stand on fewer than ${SMALL_CELL} calls or contacts. ` +
  'Where one part of a total was suppressed, the next smallest part is suppressed too, so it cannot be worked out by subtraction.';

/**
 * The copy of a report that may leave the ECC: every count from 1 to 10 becomes null, every
 * derived figure whose base is under 11 too, and in a stacked chart whose parts add up to a
 * shown total, a lone suppressed part takes the next smallest part with it.
 */
export function suppressSmallCells(r: Report): Report {
  const n = r.buckets.length;
  const baseAt = (id: MeasureId, i: number): number | null => {
    const base = BASE_OF[id];
    if (!base) return null;
    return (i < n ? r.series[base][i] : r.totals[base]) ?? 0;
  };
  const cell = (id: MeasureId, i: number, v: Cell): Cell => {
    if (v === null) return null;
    if (MEASURES[id].kind === 'count') return isSmall(v) ? null : v;
    const base = baseAt(id, i);
    return base === null || base < SMALL_CELL ? null : v;
  };
  const series = {} as Record<MeasureId, Cell[]>;
  const totals = {} as Record<MeasureId, Cell>;
  for (const id of MEASURE_IDS) {
    series[id] = r.series[id].map((v, i) => cell(id, i, v));
    totals[id] = cell(id, n, r.totals[id]);
  }
  for (const chart of CHARTS) {
    if (!chart.partsOf) continue;
    for (let i = 0; i <= n; i++) {
      const get = (id: MeasureId) => (i < n ? series[id][i] : totals[id]);
      const set = (id: MeasureId) => (i < n ? (series[id][i] = null) : (totals[id] = null));
      if (get(chart.partsOf) === null) continue;
      const original = (id: MeasureId) => (i < n ? r.series[id][i] : r.totals[id]) ?? 0;
      const hiddenParts = chart.measures.filter((id) => get(id) === null && original(id) > 0);
      if (hiddenParts.length !== 1) continue;
      const next = chart.measures
        .filter((id) => get(id) !== null && original(id) > 0)
        .sort((a, c) => original(a) - original(c))[0];
      if (next) set(next);
      else set(chart.partsOf);
    }
  }
  return { ...r, series, totals, suppressed: true };
}

// ---------------------------------------------------------------------------------------
// Tables (for screen readers, CSV and the PDF)

export interface ReportTable {
  title: string;
  columns: string[];
  rows: string[][];
}

export function formatCell(v: Cell, suppressed: boolean, kind: MeasureKind): string {
  if (v === null) return suppressed ? `<${SMALL_CELL}` : '';
  return kind === 'count' ? String(v) : String(Math.round(v * 10) / 10);
}

/**
 * A chart's table: one row per bucket and a total row. In a suppressed report an empty
 * derived cell and a suppressed one both print "<11" unless the report had nothing there.
 */
export function chartTable(r: Report, chart: ChartDef): ReportTable {
  const label = r.query.grain === 'day' ? 'Day' : r.query.grain === 'week' ? 'Week of' : 'Month';
  const measures = [...(chart.partsOf ? [chart.partsOf] : []), ...chart.measures, ...(chart.tableOnly ?? [])];
  const columns = [label, ...measures.map((m) => MEASURES[m].label)];
  const show = (id: MeasureId, v: Cell) => formatCell(v, r.suppressed, MEASURES[id].kind);
  const rows = r.buckets.map((b, i) => [b, ...measures.map((m) => show(m, r.series[m][i]))]);
  rows.push([`${r.query.from} to ${r.query.to}`, ...measures.map((m) => show(m, r.totals[m]))]);
  return { title: chart.title, columns, rows };
}

export function reportTables(r: Report): ReportTable[] {
  return CHARTS.map((c) => chartTable(r, c));
}

/** A report as it crosses the wire (server → console → UI). */
export const ReportSchema = z.object({
  query: ReportQuery,
  scope: z.enum(['ecc', 'own']),
  generatedAt: z.string(),
  buckets: z.array(z.string()),
  series: z.record(z.enum(MEASURE_IDS as [MeasureId, ...MeasureId[]]), z.array(z.number().nullable())),
  totals: z.record(z.enum(MEASURE_IDS as [MeasureId, ...MeasureId[]]), z.number().nullable()),
  suppressed: z.boolean(),
});
