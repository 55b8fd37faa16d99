import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait-for';

describe('waitFor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? `after ${calls}` : null), { what: 'a third call', every: 1 })).resolves.toBe('after 3');
  });

  it('fails naming what it waited for, and the last error the condition threw', async () => {
    await expect(waitFor(() => false, { what: 'the moon', timeout: 50 })).rejects.toThrow('Timed out after 50 ms waiting for the moon');
    const throwing = () => {
      throw new Error('not yet: 2 of 3');
    };
    await expect(waitFor(throwing, { what: 'three', timeout: 50 })).rejects.toThrow('waiting for three (last error: not yet: 2 of 3)');
  });

  it('still times out while a test fakes Date and performance', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    await expect(waitFor(() => false, { what: 'a frozen clock', timeout: 50 })).rejects.toThrow('waiting for a frozen clock');
  });
});
