import { performance } from 'node:perf_hooks';

export interface WaitOptions {
  /** What is awaited, in words: the timeout error names it. */
  what: string;
  /** Give up after this many milliseconds. Generous: it only matters when something is wrong. */
  timeout?: number;
  /** Poll every this many milliseconds. */
  every?: number;
}

/** The real monotonic clock, taken at load: a test that fakes Date or performance still times out. */
const monotonicNow = performance.now.bind(performance);

/**
 * Polls `condition` until it returns a truthy value and returns that value; fails after
 * `timeout` naming what it waited for (and the last error, when the condition threw).
 */
export async function waitFor<T>(condition: () => T | Promise<T>, { what, timeout = 10_000, every = 10 }: WaitOptions): Promise<NonNullable<T>> {
  const deadline = monotonicNow() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (monotonicNow() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeout} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/**
 * Lets every callback already queued on the event loop run (I/O, setImmediate): a point where
 * concurrent work can interleave, without waiting any length of time.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
