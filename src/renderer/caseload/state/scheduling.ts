/** Small timing helpers the caseload slices share. */

export interface LatestOnly {
  /** Starts a load; the function it returns says whether that load is still the latest. */
  begin(): () => boolean;
  /** Makes every load in flight stale (a reset: their replies belong to someone else). */
  cancel(): void;
}

/** Only the latest load of a kind may apply its reply: an older one finishing late is dropped. */
export function latestOnly(): LatestOnly {
  let current = 0;
  return {
    begin() {
      const mine = ++current;
      return () => mine === current;
    },
    cancel() {
      current++;
    },
  };
}

export interface OneTimer {
  /** Runs `fn` after `ms`, replacing whatever was waiting. */
  schedule(ms: number, fn: () => void): void;
  cancel(): void;
}

/** At most one call waiting: asking again restarts the wait (a debounce). */
export function oneTimer(): OneTimer {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return {
    schedule(ms, fn) {
      cancel();
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    },
    cancel,
  };
}
