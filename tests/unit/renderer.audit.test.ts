import { describe, expect, it } from 'vitest';
import { AuditSearchParams } from '../../src/shared/audit-search';
import { describeFilter, detailText, EMPTY_FORM, exportFileName, filterOf, FIRST_PAGE, formatAt, newerPlace, olderPlace } from '../../src/renderer/audit/logic';

/**
 * The audit screen's filter form (issue 14): what a supervisor types becomes exactly the
 * server's filter (dates in the console's own zone, the "to" day included whole), bad input is
 * said in words and never sent, and an entry's detail reads as words, not JSON.
 */
describe('the audit screen filter', () => {
  it('sends nothing for an empty form, and trims what is typed', () => {
    expect(filterOf(EMPTY_FORM)).toEqual({ filter: {} });
    expect(filterOf({ ...EMPTY_FORM, actor: '  morgan ', action: 'case.read', workstationId: ' wst_1', subject: 'case:c-1 ' })).toEqual({
      filter: { actor: 'morgan', action: 'case.read', workstationId: 'wst_1', subject: 'case:c-1' },
    });
  });

  it('takes dates in the console zone, includes the whole "to" day, and the server accepts them', () => {
    const r = filterOf({ ...EMPTY_FORM, from: '2026-12-01', to: '2026-12-02' });
    if (!('filter' in r)) throw new Error(r.error);
    expect(r.filter.from).toBe(new Date(2026, 11, 1).toISOString());
    expect(r.filter.to).toBe(new Date(2026, 11, 3).toISOString());
    // An entry at 23:59 local on the 2nd is inside; midnight starting the 3rd is not.
    expect(new Date(2026, 11, 2, 23, 59).toISOString() < r.filter.to!).toBe(true);
    expect(AuditSearchParams.safeParse(r.filter).success).toBe(true);
    // One day: from and to the same date.
    const one = filterOf({ ...EMPTY_FORM, from: '2026-12-02', to: '2026-12-02' });
    expect('filter' in one && one.filter.to).toBe(new Date(2026, 11, 3).toISOString());
  });

  it('says what is wrong with a bad date or range instead of sending it', () => {
    expect(filterOf({ ...EMPTY_FORM, from: '2026-12-05', to: '2026-12-01' })).toEqual({ error: 'The "From" date is after the "To" date' });
    expect(filterOf({ ...EMPTY_FORM, from: '2026-02-31' })).toEqual({ error: 'The "From" date is not a date' });
    expect(filterOf({ ...EMPTY_FORM, to: 'yesterday' })).toEqual({ error: 'The "To" date is not a date' });
    expect(filterOf({ ...EMPTY_FORM, subject: 'x'.repeat(301) })).toEqual({ error: 'Subject is too long (at most 300 characters)' });
  });

  it('describes the filters in force', () => {
    expect(describeFilter(EMPTY_FORM)).toBeNull();
    expect(describeFilter({ ...EMPTY_FORM, from: '2026-12-01', to: '2026-12-02', actor: 'morgan', subject: 'case:c-1' })).toBe(
      '2026-12-01 to 2026-12-02, user morgan, subject case:c-1',
    );
    expect(describeFilter({ ...EMPTY_FORM, to: '2026-12-02' })).toBe('up to 2026-12-02');
  });
});

describe('an audit entry on screen', () => {
  it('reads its detail as words', () => {
    expect(detailText(null)).toBe('');
    expect(detailText('{"caseId":"c-1","rows":3,"gone":null}')).toBe('caseId: c-1 · rows: 3');
    expect(detailText('["status","risk"]')).toBe('status, risk');
    expect(detailText('not json {')).toBe('not json {');
  });

  it('shows its time to the second in the console zone, and names the export by when it was made', () => {
    const at = new Date(2026, 11, 2, 9, 5, 7);
    expect(formatAt(at.toISOString())).toBe('2026-12-02 09:05:07');
    expect(formatAt('garbage')).toBe('garbage');
    expect(exportFileName(at, 12, false)).toBe('tandem-audit-2026-12-02-0905.csv');
    expect(exportFileName(at, 10_000, true)).toBe('tandem-audit-2026-12-02-0905-newest-10000.csv');
  });
});

describe('paging through the audit log', () => {
  it('goes older by each page’s next and back newer to where it came from, to the first page', () => {
    const p2 = olderPlace(FIRST_PAGE, 901);
    const p3 = olderPlace(p2, 801);
    expect(p3).toEqual({ before: 801, newer: [901, undefined] });
    const back2 = newerPlace(p3);
    expect(back2).toEqual(p2);
    expect(newerPlace(back2!)).toEqual(FIRST_PAGE);
    // The newest page has nothing newer.
    expect(newerPlace(FIRST_PAGE)).toBeNull();
  });
});
