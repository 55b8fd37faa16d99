import { describe, expect, it } from 'vitest';
import { periodName } from '../../src/renderer/reports/ReportPrint';

describe('the monthly report’s period', () => {
  it('names a whole calendar month, and gives any other range as its days', () => {
    expect(periodName('2026-11-01', '2026-11-30')).toBe('November 2026');
    expect(periodName('2028-02-01', '2028-02-29')).toBe('February 2028');
    expect(periodName('2027-02-01', '2027-02-28')).toBe('February 2027');
    // A month cut short, or starting late, is not "the month".
    expect(periodName('2026-11-01', '2026-11-29')).toBe('2026-11-01 to 2026-11-29');
    expect(periodName('2026-11-02', '2026-11-30')).toBe('2026-11-02 to 2026-11-30');
    expect(periodName('2026-01-01', '2026-12-31')).toBe('2026-01-01 to 2026-12-31');
  });
});
