import type { Clock } from '../../src/node/clock';

/** A clock that moves only when told: `advance` runs, in time order, every timer that falls due. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Timers still waiting. */
  pending(): number;
}

export function manualClock(start = Date.now()): ManualClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const due = () => [...timers.entries()].filter(([, t]) => t.at <= now).sort(([a, x], [b, y]) => x.at - y.at || a - b);
  return {
    now: () => now,
    after(ms, fn) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return () => timers.delete(id);
    },
    advance(ms) {
      now += ms;
      // A timer may set another that is already due: keep going until none is.
      for (let ready = due(); ready.length; ready = due()) {
        const [id, t] = ready[0];
        timers.delete(id);
        t.fn();
      }
    },
    pending: () => timers.size,
  };
}
