import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import {
  CHARTS,
  ReportQuery,
  bucketsOf,
  chartTable,
  computeReport,
  factsOf,
  percentile,
  suppressSmallCells,
  type EventFact,
  type FollowUpFact,
  type HandoffFact,
  type ReportFacts,
} from '../../src/shared/report/measures';
import { tableCsv } from '../../src/shared/report/csv';

const ZONE = 'America/New_York';
/** A local wall-clock time in the ECC's zone, plus seconds. */
const t = (local: string, plusSeconds = 0) => DateTime.fromISO(local, { zone: ZONE }).toMillis() + plusSeconds * 1000;

function live(at: string, o: { ring?: number; accept?: number; by?: string; state: HandoffFact['state']; outcome?: HandoffFact['outcome']; declinedBy?: string[] }): HandoffFact {
  return {
    mode: 'live',
    state: o.state,
    requestedAt: t(at),
    ringingAt: o.ring === undefined ? null : t(at, o.ring),
    acceptedAt: o.accept === undefined ? null : t(at, o.accept),
    acceptedBy: o.by ?? null,
    declinedBy: o.declinedBy ?? [],
    outcome: o.outcome ?? null,
  };
}

/**
 * Two ISO weeks in March 2026 around the change to daylight time (Sunday 8 March, 02:00):
 * week 1 is Mon 2 – Sun 8 March, week 2 Mon 9 – Sun 15 March, New York time.
 */
const handoffs: HandoffFact[] = [
  live('2026-03-02T10:00', { ring: 2, accept: 20, by: 'c1', state: 'completed', outcome: 'resolved_by_phone' }),
  live('2026-03-03T11:00', { ring: 1, accept: 30, by: 'c2', state: 'completed', outcome: 'responders_needed' }),
  live('2026-03-04T12:00', { ring: 3, state: 'declined', declinedBy: ['c1'] }),
  live('2026-03-05T13:00', { ring: 2, state: 'timed_out' }),
  live('2026-03-06T14:00', { state: 'cancelled' }),
  { ...live('2026-03-06T15:00', { state: 'queued' }), mode: 'followup' },
  // Sunday night after the clocks went forward: still week 1.
  live('2026-03-08T23:30', { ring: 4, accept: 10, by: 'c1', state: 'completed', outcome: 'referral', declinedBy: ['c2'] }),
  // Monday midnight: week 2.
  live('2026-03-09T00:00', { ring: 1, accept: 40, by: 'c2', state: 'completed', outcome: 'transport' }),
  live('2026-03-10T09:00', { ring: 5, accept: 15, by: 'c1', state: 'accepted' }),
  // Outside the range on either side.
  live('2026-03-01T23:59', { ring: 1, accept: 2, by: 'c1', state: 'completed', outcome: 'resolved_by_phone' }),
  live('2026-03-16T00:00', { ring: 1, accept: 2, by: 'c1', state: 'completed', outcome: 'resolved_by_phone' }),
];

const cases = [
  { ownerId: 'c1', createdAt: t('2026-02-01T09:00'), repeat: false },
  { ownerId: 'c1', createdAt: t('2026-03-03T09:00'), repeat: true },
  { ownerId: 'c2', createdAt: t('2026-03-04T09:00'), repeat: false },
  { ownerId: 'c2', createdAt: t('2026-03-10T09:00'), repeat: true },
  { ownerId: 'c2', createdAt: t('2026-03-11T09:00'), repeat: false },
];

const followUps: FollowUpFact[] = [
  { assigneeId: 'c1', dueAt: t('2026-03-03T17:00'), doneAt: t('2026-03-03T16:00') },
  { assigneeId: 'c1', dueAt: t('2026-03-04T17:00'), doneAt: t('2026-03-05T09:00') },
  { assigneeId: 'c2', dueAt: t('2026-03-05T17:00'), doneAt: null },
  { assigneeId: 'c2', dueAt: t('2026-03-11T17:00'), doneAt: null },
  { assigneeId: 'c2', dueAt: t('2026-03-13T17:00'), doneAt: null },
  { assigneeId: 'c1', dueAt: t('2026-03-10T17:00'), doneAt: t('2026-03-10T17:00') },
];
const NOW = new Date(t('2026-03-12T12:00'));

const ev = (at: string, authorId: string, rest: Record<string, unknown>) => ({ at: t(at), authorId, ...rest }) as EventFact;
const events: EventFact[] = [
  ev('2026-03-02T12:00', 'c1', { kind: 'contact', reached: false }),
  ev('2026-03-03T12:00', 'c1', { kind: 'contact', reached: false }),
  ev('2026-03-04T12:00', 'c1', { kind: 'contact', reached: true }),
  ev('2026-03-09T12:00', 'c2', { kind: 'contact', reached: true }),
  ev('2026-03-10T12:00', 'c2', { kind: 'contact', reached: false }),
  ev('2026-03-11T12:00', 'c2', { kind: 'contact', reached: true }),
  ev('2026-03-12T12:00', 'c2', { kind: 'contact', reached: false }),
  ev('2026-03-02T13:00', 'c1', { kind: 'phq9', band: 'moderate' }),
  ev('2026-03-03T13:00', 'c1', { kind: 'phq9', band: 'moderate' }),
  ev('2026-03-04T13:00', 'c2', { kind: 'phq9', band: 'severe' }),
  ev('2026-03-09T13:00', 'c2', { kind: 'phq9', band: 'mild' }),
  ev('2026-03-04T14:00', 'c2', { kind: 'cssrs', risk: 'high' }),
  ev('2026-03-10T14:00', 'c1', { kind: 'cssrs', risk: 'none' }),
  ev('2026-03-11T14:00', 'c1', { kind: 'cssrs', risk: 'low' }),
  ev('2026-03-05T15:00', 'c1', { kind: 'referral', status: 'made' }),
  ev('2026-03-06T15:00', 'c2', { kind: 'referral', status: 'made' }),
  ev('2026-03-12T15:00', 'c1', { kind: 'referral', status: 'connected' }),
  ev('2026-03-08T22:00', 'c1', { kind: 'transfer', line: '988' }),
  ev('2026-03-09T01:00', 'c2', { kind: 'transfer', line: '988' }),
  ev('2026-03-10T01:00', 'c2', { kind: 'transfer', line: 'other' }),
];

const facts: ReportFacts = { handoffs, cases, followUps, events };
const weeks = ReportQuery.parse({ from: '2026-03-02', to: '2026-03-15', grain: 'week', zone: ZONE });

describe('program measures, worked by hand', () => {
  const r = computeReport(facts, weeks, NOW);

  it('buckets ISO weeks in the ECC zone across the change to daylight time', () => {
    expect(r.buckets).toEqual(['2026-03-02', '2026-03-09']);
    const b = bucketsOf(weeks);
    // Week 1 is 7 days less the hour the clocks skipped.
    expect(b.starts[1] - b.starts[0]).toBe(7 * 86_400_000 - 3_600_000);
  });

  it('counts conferenced calls by answer', () => {
    // Week 1: the 2nd, 3rd, 4th, 5th, 6th and the Sunday-night call (the follow-up request is not a call).
    expect(r.series.conferenced).toEqual([6, 2]);
    expect(r.series.accepted).toEqual([3, 2]);
    expect(r.series.declined).toEqual([1, 0]);
    expect(r.series.no_answer).toEqual([1, 0]);
    expect(r.series.cancelled).toEqual([1, 0]);
    expect(r.series.rang).toEqual([5, 2]);
    expect(r.totals.conferenced).toBe(8);
  });

  it('times from F9 to ringing and to accept: median and p90 by nearest rank', () => {
    // Week 1 ring seconds 2,1,3,2,4 → sorted 1,2,2,3,4: median rank 3 → 2, p90 rank 5 → 4.
    expect(r.series.ring_median).toEqual([2, 1]);
    expect(r.series.ring_p90).toEqual([4, 5]);
    // Week 1 accept seconds 20,30,10 → 10,20,30: median rank 2 → 20, p90 rank 3 → 30. Week 2: 15,40.
    expect(r.series.accept_median).toEqual([20, 15]);
    expect(r.series.accept_p90).toEqual([30, 40]);
    // The range: ring 1,1,2,2,3,4,5 → rank 4 → 2 and rank 7 → 5; accept 10,15,20,30,40 → 20 and 40.
    expect(r.totals.ring_median).toBe(2);
    expect(r.totals.ring_p90).toBe(5);
    expect(r.totals.accept_median).toBe(20);
    expect(r.totals.accept_p90).toBe(40);
  });

  it('counts outcomes of completed conferences and those resolved without police or EMS', () => {
    expect(r.series.resolved_by_phone).toEqual([1, 0]);
    expect(r.series.responders_needed).toEqual([1, 0]);
    expect(r.series.referral).toEqual([1, 0]);
    expect(r.series.transport).toEqual([0, 1]);
    // The accepted call of the 10th is not completed yet: no outcome.
    expect(r.series.follow_up_needed).toEqual([0, 0]);
    expect(r.series.without_police_ems).toEqual([2, 0]);
  });

  it('follow-ups by due date: on time (done at the due minute counts), late, overdue at `now`', () => {
    expect(r.series.followups_on_time).toEqual([1, 1]);
    expect(r.series.followups_late).toEqual([1, 0]);
    // The one due on the 13th is not due yet at noon on the 12th.
    expect(r.series.followups_overdue).toEqual([1, 1]);
  });

  it('contact attempts, reaches and attempts per person reached', () => {
    expect(r.series.contacts).toEqual([3, 4]);
    expect(r.series.reached).toEqual([1, 2]);
    expect(r.series.attempts_per_reach).toEqual([3, 2]);
    expect(r.totals.attempts_per_reach).toBe(2.33);
  });

  it('referrals, screenings by band, cases and repeat callers', () => {
    expect(r.series.referrals_made).toEqual([2, 0]);
    expect(r.series.referrals_connected).toEqual([0, 1]);
    expect(r.series.phq9_moderate).toEqual([2, 0]);
    expect(r.series.phq9_severe).toEqual([1, 0]);
    expect(r.series.phq9_mild).toEqual([0, 1]);
    expect(r.series.phq9_minimal).toEqual([0, 0]);
    expect(r.series.cssrs_high).toEqual([1, 0]);
    expect(r.series.cssrs_none).toEqual([0, 1]);
    expect(r.series.cssrs_low).toEqual([0, 1]);
    expect(r.series.transfers_988).toEqual([1, 1]);
    expect(r.series.transfers_other).toEqual([0, 1]);
    // The case of 1 February is outside the range.
    expect(r.series.cases_opened).toEqual([2, 2]);
    expect(r.series.repeat_callers).toEqual([1, 1]);
  });

  it("a clinician's own figures: calls she took or declined, her cases, tasks and events", () => {
    const own = computeReport(factsOf(facts, 'c1'), weeks, NOW, 'own');
    // c1 took the 2nd, declined the 4th, took the Sunday-night call; took the 10th's.
    expect(own.series.conferenced).toEqual([3, 1]);
    expect(own.series.accepted).toEqual([2, 1]);
    expect(own.series.declined).toEqual([1, 0]);
    expect(own.series.cases_opened).toEqual([1, 0]);
    expect(own.series.followups_on_time).toEqual([1, 1]);
    expect(own.series.followups_late).toEqual([1, 0]);
    expect(own.series.followups_overdue).toEqual([0, 0]);
    expect(own.series.contacts).toEqual([3, 0]);
    expect(own.scope).toBe('own');
  });

  it('a week cut by the range is labelled by its first day in the range', () => {
    const cut = computeReport(facts, ReportQuery.parse({ from: '2026-03-04', to: '2026-03-10', grain: 'week', zone: ZONE }), NOW);
    expect(cut.buckets).toEqual(['2026-03-04', '2026-03-09']);
    // From the 4th: the declined call, the unanswered, the cancelled and the Sunday-night one.
    expect(cut.series.conferenced).toEqual([4, 2]);
  });

  it('days and months', () => {
    const days = computeReport(facts, ReportQuery.parse({ ...weeks, grain: 'day' }), NOW);
    expect(days.buckets).toHaveLength(14);
    expect(days.buckets[6]).toBe('2026-03-08');
    expect(days.series.conferenced.slice(0, 9)).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1]);
    const months = computeReport(facts, ReportQuery.parse({ from: '2026-02-01', to: '2026-03-31', grain: 'month', zone: ZONE }), NOW);
    expect(months.buckets).toEqual(['2026-02', '2026-03']);
    expect(months.series.cases_opened).toEqual([1, 4]);
    // The call at 23:59 on 1 March is in March; the one on the 16th too.
    expect(months.series.conferenced).toEqual([0, 10]);
  });

  it('refuses a range that ends before it starts, an unknown zone and a range over three years, saying which', () => {
    expect(ReportQuery.safeParse({ from: '2026-03-02', to: '2026-03-01', grain: 'day', zone: ZONE }).error?.issues[0].message).toBe('The range ends before it starts');
    expect(ReportQuery.safeParse({ from: '2026-03-02', to: '2026-03-03', grain: 'day', zone: 'Mars/Olympus' }).error?.issues[0].message).toBe('Unknown time zone');
    expect(ReportQuery.safeParse({ from: '2020-01-01', to: '2026-03-03', grain: 'day', zone: ZONE }).error?.issues[0].message).toMatch(/at most/);
    expect(ReportQuery.safeParse({ from: '2026-3-2', to: '2026-03-03', grain: 'day', zone: ZONE }).error?.issues[0].message).toBe('Give a date as YYYY-MM-DD');
  });

  it('percentile by nearest rank', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9)).toBe(10);
  });
});

describe('small-cell suppression', () => {
  const day = ReportQuery.parse({ from: '2026-03-02', to: '2026-03-02', grain: 'day', zone: ZONE });
  const calls = (n: number, o: Partial<HandoffFact> = {}) =>
    Array.from({ length: n }, (_, i) => ({ ...live('2026-03-02T10:00', { ring: 1 + (i % 3), accept: 10 + i, by: 'c1', state: 'completed', outcome: 'resolved_by_phone' }), ...o }));

  it('10 is suppressed, with the median standing on it; 11 is shown', () => {
    const ten = suppressSmallCells(computeReport({ handoffs: calls(10), cases: [], followUps: [], events: [] }, day, NOW));
    expect(ten.suppressed).toBe(true);
    expect(ten.series.conferenced).toEqual([null]);
    expect(ten.totals.conferenced).toBeNull();
    expect(ten.series.accept_median).toEqual([null]);
    expect(ten.series.ring_p90).toEqual([null]);
    const eleven = suppressSmallCells(computeReport({ handoffs: calls(11), cases: [], followUps: [], events: [] }, day, NOW));
    expect(eleven.series.conferenced).toEqual([11]);
    expect(eleven.series.resolved_by_phone).toEqual([11]);
    // 10..20 seconds: rank 6 → 15.
    expect(eleven.series.accept_median).toEqual([15]);
  });

  it('zero is shown: it reveals no one', () => {
    const r = suppressSmallCells(computeReport({ handoffs: calls(11), cases: [], followUps: [], events: [] }, day, NOW));
    expect(r.series.declined).toEqual([0]);
  });

  it('a lone suppressed part of a shown total takes the next smallest part with it', () => {
    const handoffs = [...calls(15), ...calls(5, { acceptedAt: null, acceptedBy: null, state: 'declined', outcome: null })];
    const exact = computeReport({ handoffs, cases: [], followUps: [], events: [] }, day, NOW);
    expect([exact.series.conferenced[0], exact.series.accepted[0], exact.series.declined[0]]).toEqual([20, 15, 5]);
    const r = suppressSmallCells(exact);
    expect(r.series.conferenced).toEqual([20]);
    expect(r.series.declined).toEqual([null]);
    // 20 − 15 would give the 5 away.
    expect(r.series.accepted).toEqual([null]);
    expect(r.series.no_answer).toEqual([0]);
  });

  it('the exported table prints "<11", and the CSV says why', () => {
    const r = suppressSmallCells(computeReport({ handoffs: calls(10), cases: [], followUps: [], events: [] }, day, NOW));
    const table = chartTable(r, CHARTS.find((c) => c.id === 'answers')!);
    expect(table.columns.slice(0, 3)).toEqual(['Day', 'Calls conferenced', 'Accepted']);
    expect(table.rows[0].slice(0, 3)).toEqual(['2026-03-02', '<11', '<11']);
    const csv = tableCsv(r, table);
    const rows = parse(csv, { relax_column_count: true }) as string[][];
    expect(rows[2][0]).toMatch(/^# Counts from 1 to 10 are suppressed/);
    expect(rows[3]).toEqual(table.columns);
    expect(rows[4].slice(0, 3)).toEqual(['2026-03-02', '<11', '<11']);
    expect(csv).toContain('\r\n');
  });

  it('an exact table leaves nothing out', () => {
    const r = computeReport({ handoffs: calls(10), cases: [], followUps: [], events: [] }, day, NOW);
    const table = chartTable(r, CHARTS.find((c) => c.id === 'answers')!);
    expect(table.rows[0].slice(0, 3)).toEqual(['2026-03-02', '10', '10']);
    expect(tableCsv(r, table)).not.toContain('suppressed');
  });
});
