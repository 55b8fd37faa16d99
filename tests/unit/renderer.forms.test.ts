import { describe, expect, it } from 'vitest';
import { fromLocalInput, toLocalInput } from '../../src/renderer/caseload/forms';

describe('local times in datetime-local inputs', () => {
  it('shows an instant as the wall-clock time here, and reads it back to the same minute', () => {
    const iso = new Date(2025, 2, 10, 9, 5).toISOString();
    expect(toLocalInput(iso)).toBe('2025-03-10T09:05');
    expect(fromLocalInput('2025-03-10T09:05')).toBe(iso);
  });

  it('an empty or broken value is no time at all', () => {
    expect(toLocalInput(null)).toBe('');
    expect(toLocalInput('not a date')).toBe('');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('2025-13-45T99:99')).toBeNull();
  });
});
