import { describe, expect, it } from 'vitest';
import type { QueueRow } from '../../src/shared/contract';
import type { CaseEvent } from '../../src/shared/entities';
import {
  cssrsAsked,
  cssrsNext,
  cssrsPrune,
  describeDue,
  describeEvent,
  filterQueue,
  formatSpan,
  matchesSearch,
  queueAction,
  recordAction,
  timelineView,
  triageOrder,
} from '../../src/renderer/caseload/logic';

function row(over: Partial<QueueRow>): QueueRow {
  return {
    id: 'c1',
    personName: 'Riley Thompson',
    personPhone: '(617) 555-0150',
    reason: 'Call-back',
    risk: 'moderate',
    status: 'open',
    origin: 'live_call',
    ownerName: 'Chris Okafor',
    dueAt: null,
    overdue: false,
    incidentNumber: 'M250310-ab12-0007',
    safetyAlert: null,
    ...over,
  };
}

describe('queue search in the renderer (same rule as the core)', () => {
  const r = row({});
  it.each([
    ['riley', true],
    ['THOM', true],
    ['thompson riley', true],
    ['Thömpson', true],
    ['riley x', false],
    ['6175550150', true],
    ['617-555-0150', true],
    ['555-0150', true],
    ['0150', true],
    ['5550', true],
    ['0151', false],
    ['M250310-ab12-0007', true],
    ['ab12', true],
    ['', true],
  ])('%s → %s', (q, expected) => {
    expect(matchesSearch(r, q)).toBe(expected);
  });

  it('filters by risk, origin and search, keeping the order', () => {
    const rows = [row({ id: 'a', risk: 'high' }), row({ id: 'b', risk: 'low', origin: 'walk_in', personName: 'Ana Diaz' }), row({ id: 'c', risk: 'high', personName: 'Ana Lee' })];
    expect(filterQueue(rows, { risk: 'any', origin: 'any', search: '' })).toBe(rows);
    expect(filterQueue(rows, { risk: 'high', origin: 'any', search: '' }).map((x) => x.id)).toEqual(['a', 'c']);
    expect(filterQueue(rows, { risk: 'any', origin: 'walk_in', search: '' }).map((x) => x.id)).toEqual(['b']);
    expect(filterQueue(rows, { risk: 'any', origin: 'any', search: 'ana' }).map((x) => x.id)).toEqual(['b', 'c']);
  });

  it('narrows 10,000 rows within a few milliseconds', () => {
    const rows = Array.from({ length: 10000 }, (_, i) => row({ id: `c${i}`, personName: `Person ${i} Name${i % 97}`, personPhone: `617-555-${String(i).padStart(4, '0')}` }));
    filterQueue(rows, { risk: 'any', origin: 'any', search: 'x' }); // builds the index once
    // CPU time, not wall time: what one keystroke's filter costs, whatever else the machine runs.
    const before = process.cpuUsage();
    const out = filterQueue(rows, { risk: 'any', origin: 'any', search: 'name42' });
    const { user, system } = process.cpuUsage(before);
    expect(out.length).toBeGreaterThan(0);
    expect((user + system) / 1000).toBeLessThan(50);
  });
});

describe('due times in words', () => {
  const now = Date.parse('2025-03-10T15:00:00Z');
  it('says OVERDUE plainly, and how long', () => {
    expect(describeDue('2025-03-10T10:00:00Z', now)).toEqual({ text: 'OVERDUE 5 h', tone: 'danger', overdue: true });
    expect(describeDue('2025-03-08T13:30:00Z', now).text).toBe('OVERDUE 2 d 1 h');
    expect(describeDue('2025-03-10T15:40:00Z', now)).toMatchObject({ text: 'Due in 40 min', tone: 'warn' });
    expect(describeDue(null, now).text).toBe('No due time');
    // A safety alert's next step, due this minute: now, not "overdue 0 min".
    expect(describeDue(new Date(now - 20_000).toISOString(), now)).toEqual({ text: 'Due now', tone: 'danger', overdue: false });
    expect(describeDue(new Date(now - 120_000).toISOString(), now).text).toBe('OVERDUE 2 min');
    expect(describeDue('2025-03-01T00:00:00Z', now, true).text).toBe('Closed');
  });
  it('formats spans', () => {
    expect(formatSpan(45 * 60_000)).toBe('45 min');
    expect(formatSpan(3 * 3600_000 + 20 * 60_000)).toBe('3 h 20 min');
    expect(formatSpan(49 * 3600_000)).toBe('2 d 1 h');
  });
});

describe('C-SSRS walk', () => {
  it('asks Q3–5 only after a yes to Q2, and 6b only after a yes to 6', () => {
    expect(cssrsAsked({})).toEqual(['wishDead', 'thoughts', 'behaviorEver']);
    expect(cssrsAsked({ thoughts: true })).toEqual(['wishDead', 'thoughts', 'method', 'intent', 'plan', 'behaviorEver']);
    expect(cssrsAsked({ thoughts: false, behaviorEver: true })).toEqual(['wishDead', 'thoughts', 'behaviorEver', 'behaviorPast3Months']);
  });
  it('drops answers that are no longer asked, and finds the next question', () => {
    expect(cssrsPrune({ wishDead: true, thoughts: false, method: true, intent: false })).toEqual({ wishDead: true, thoughts: false });
    expect(cssrsPrune({ behaviorEver: false, behaviorPast3Months: true })).toEqual({ behaviorEver: false });
    expect(cssrsNext({ wishDead: true })).toBe(1);
    expect(cssrsNext({ wishDead: true, thoughts: true })).toBe(2);
    expect(cssrsNext({ wishDead: false, thoughts: false, behaviorEver: false })).toBe(-1);
  });
});

describe('caseload keys', () => {
  const idle = { typing: false, focusActivatable: false };
  it('works the queue with j/k, arrows, Enter and /', () => {
    expect(queueAction({ key: 'j' }, idle)).toBe('next');
    expect(queueAction({ key: 'ArrowUp' }, idle)).toBe('prev');
    expect(queueAction({ key: 'Enter' }, idle)).toBe('open');
    expect(queueAction({ key: 'Enter' }, { typing: false, focusActivatable: true })).toBeNull();
    expect(queueAction({ key: '/' }, idle)).toBe('search');
    expect(queueAction({ key: 'j', ctrlKey: true }, idle)).toBeNull();
    // In the search box letters type; arrows and Enter still drive the list.
    expect(queueAction({ key: 'j' }, { typing: true, focusActivatable: true })).toBeNull();
    expect(queueAction({ key: 'ArrowDown' }, { typing: true, focusActivatable: true })).toBe('next');
    expect(queueAction({ key: 'Enter' }, { typing: true, focusActivatable: true })).toBe('open');
  });
  it('works the case record with one key per action, and never while typing', () => {
    expect(recordAction({ key: 'c' }, { typing: false, formOpen: false })).toBe('contact');
    expect(recordAction({ key: 'X' }, { typing: false, formOpen: false })).toBe('close');
    expect(recordAction({ key: 'Escape' }, { typing: false, formOpen: false })).toBe('back');
    expect(recordAction({ key: 'Escape' }, { typing: false, formOpen: true })).toBeNull();
    expect(recordAction({ key: 'c' }, { typing: true, formOpen: false })).toBeNull();
    expect(recordAction({ key: 'c' }, { typing: false, formOpen: true })).toBeNull();
  });
});

describe('timeline', () => {
  const ev = (id: string, kind: CaseEvent['kind'], body: Record<string, unknown>, corrects: string | null = null): CaseEvent => ({
    id,
    caseId: 'c1',
    at: '2025-03-10T15:00:00.000Z',
    kind,
    authorId: 'u',
    authorName: 'Chris',
    body,
    corrects,
  });
  it('labels each kind', () => {
    expect(describeEvent(ev('1', 'contact', { channel: 'phone', outcome: 'left_message', note: 'VM' }))).toEqual({
      label: 'Contact · Phone',
      tone: 'warn',
      lines: ['Left message', 'VM'],
    });
    expect(describeEvent(ev('2', 'screening', { instrument: 'phq9', total: 12, band: 'moderate', item9Alert: true, nextStep: { text: 'Act' } })).lines[0]).toBe(
      'Score 12 of 27 — moderate — ITEM 9 POSITIVE',
    );
    expect(describeEvent(ev('3', 'status', { changes: { status: { from: 'open', to: 'closed' } }, reason: 'Needs met' }))).toMatchObject({
      label: 'Case closed',
      lines: ['Reason: Needs met'],
    });
    expect(describeEvent(ev('4', 'referral', { serviceName: 'Harbor', status: 'connected' })).lines[0]).toBe('Harbor: Connected');
  });
  it('shows newest first, each with the corrections pointing at it', () => {
    const a = ev('a', 'note', { text: 'brother' });
    const b = ev('b', 'correction', { text: 'sister' }, 'a');
    const v = timelineView([a, b]);
    expect(v.map((x) => x.event.id)).toEqual(['b', 'a']);
    expect(v[1].correctedBy.map((x) => x.id)).toEqual(['b']);
  });
});

describe('triage order: the person most at risk first', () => {
  const now = Date.parse('2026-03-10T12:00:00.000Z');
  it('safety alert, then high risk, then overdue, then due time (none last), then risk', () => {
    const rows = [
      row({ id: 'later-low', risk: 'low', dueAt: '2026-03-11T09:00:00.000Z' }),
      row({ id: 'no-due-moderate', risk: 'moderate', dueAt: null }),
      row({ id: 'soon-unknown', risk: 'unknown', dueAt: '2026-03-10T15:00:00.000Z' }),
      row({ id: 'overdue-moderate', risk: 'moderate', dueAt: '2026-03-09T09:00:00.000Z' }),
      row({ id: 'high-later', risk: 'high', dueAt: '2026-03-12T09:00:00.000Z' }),
      row({ id: 'alert-low', risk: 'low', dueAt: '2026-03-14T09:00:00.000Z', safetyAlert: 'PHQ-9 item 9 answered above zero' }),
      row({ id: 'high-overdue', risk: 'high', dueAt: '2026-03-10T08:00:00.000Z' }),
      row({ id: 'no-due-low', risk: 'low', dueAt: null }),
    ];
    expect(triageOrder(rows, now).map((r) => r.id)).toEqual([
      'alert-low',
      'high-overdue',
      'high-later',
      'overdue-moderate',
      'soon-unknown',
      'later-low',
      'no-due-moderate',
      'no-due-low',
    ]);
  });
  it('keeps the core’s order among equals and leaves its input alone', () => {
    const rows = [row({ id: 'a' }), row({ id: 'b' }), row({ id: 'c' })];
    expect(triageOrder(rows, now).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});
