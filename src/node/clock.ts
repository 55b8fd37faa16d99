/**
 * Time as the server (and the core) read it, injected so that tests move time instead of
 * waiting for it: session and token expiry, handoff timeouts, every stored timestamp.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once, `ms` from now on this clock; returns a function that cancels it. Never keeps the process alive. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** The clock's time as an ISO 8601 string, as rows and records store it. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
