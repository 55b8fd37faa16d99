import { describe, expect, it } from 'vitest';
import { clip, formatClock, formatElapsed, msSince, plural, secondsSince } from '../../src/renderer/logic/format';

describe('formatElapsed', () => {
  it('shows mm:ss under an hour', () => {
    expect(formatElapsed(0)).toBe('00:00');
    expect(formatElapsed(999)).toBe('00:00');
    expect(formatElapsed(1000)).toBe('00:01');
    expect(formatElapsed(65_000)).toBe('01:05');
    expect(formatElapsed(59 * 60_000 + 59_999)).toBe('59:59');
  });
  it('adds hours past an hour', () => {
    expect(formatElapsed(3600_000)).toBe('1:00:00');
    expect(formatElapsed(2 * 3600_000 + 3 * 60_000 + 4000)).toBe('2:03:04');
  });
  it('never goes negative or NaN (clock skew, bad input)', () => {
    expect(formatElapsed(-5000)).toBe('00:00');
    expect(formatElapsed(Number.NaN)).toBe('00:00');
    expect(formatElapsed(Number.POSITIVE_INFINITY)).toBe('00:00');
  });
});

describe('secondsSince / msSince', () => {
  const t = Date.parse('2025-01-01T10:00:00.000Z');
  it('counts whole seconds from an ISO time', () => {
    expect(secondsSince('2025-01-01T10:00:00.000Z', t + 12_700)).toBe(12);
    expect(msSince('2025-01-01T10:00:00.000Z', t + 1500)).toBe(1500);
  });
  it('is 0 for missing, invalid or future times', () => {
    expect(secondsSince(null, t)).toBe(0);
    expect(secondsSince(undefined, t)).toBe(0);
    expect(secondsSince('not a date', t)).toBe(0);
    expect(secondsSince('2025-01-01T10:00:05.000Z', t)).toBe(0);
  });
});

describe('formatClock', () => {
  it('shows local hh:mm, 24 h', () => {
    const local = new Date(2025, 0, 1, 7, 5, 30);
    expect(formatClock(local.toISOString())).toBe('07:05');
    expect(formatClock(new Date(2025, 0, 1, 23, 59).toISOString())).toBe('23:59');
  });
  it('is empty for missing or invalid', () => {
    expect(formatClock(null)).toBe('');
    expect(formatClock('nope')).toBe('');
  });
});

describe('plural and clip', () => {
  it('plural', () => {
    expect(plural(1, 'change')).toBe('1 change');
    expect(plural(0, 'change')).toBe('0 changes');
    expect(plural(3, 'person', 'people')).toBe('3 people');
  });
  it('clip', () => {
    expect(clip('  short ', 10)).toBe('short');
    expect(clip('a long line of text', 8)).toBe('a long…');
    expect(clip(null, 5)).toBe('');
  });
});
