/**
 * Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a counter, so that
 * every change gets a timestamp that is unique, monotonic on its replica and causally
 * after anything the replica has already seen, even when wall clocks drift a little.
 *
 * Encoded as a fixed-width string so that plain string comparison orders timestamps:
 * `<15-digit ms>:<6-digit counter>:<replica id>`. The replica id breaks ties, which makes
 * last-writer-wins deterministic on every replica.
 */
export interface Hlc {
  ms: number;
  counter: number;
  replica: string;
}

export class ClockDriftError extends Error {
  readonly code = 'clock_drift';
  constructor(readonly driftMs: number, readonly maxDriftMs: number) {
    super(
      `Clock drift of ${Math.round(driftMs / 1000)} s exceeds the allowed ${Math.round(maxDriftMs / 1000)} s; ` +
        'fix this workstation\'s system clock (NTP) before syncing',
    );
  }
}

const MS_WIDTH = 15;
const COUNTER_WIDTH = 6;

export function encodeHlc(h: Hlc): string {
  return `${String(h.ms).padStart(MS_WIDTH, '0')}:${String(h.counter).padStart(COUNTER_WIDTH, '0')}:${h.replica}`;
}

export function decodeHlc(s: string): Hlc {
  const first = s.indexOf(':');
  const second = s.indexOf(':', first + 1);
  const ms = Number(s.slice(0, first));
  const counter = Number(s.slice(first + 1, second));
  const replica = s.slice(second + 1);
  if (first !== MS_WIDTH || second !== MS_WIDTH + 1 + COUNTER_WIDTH || !Number.isSafeInteger(ms) || !Number.isSafeInteger(counter) || !replica) {
    throw new Error(`Malformed HLC timestamp: ${JSON.stringify(s)}`);
  }
  return { ms, counter, replica };
}

/** A replica id: it names where an op came from and breaks ties at the end of every timestamp. */
const REPLICA_ID = '[A-Za-z0-9_.-]{1,64}';
export const REPLICA_ID_PATTERN = new RegExp(`^${REPLICA_ID}$`);
export const HLC_PATTERN = new RegExp(`^\\d{${MS_WIDTH}}:\\d{${COUNTER_WIDTH}}:${REPLICA_ID}$`);

/** A clock for one replica. `now` is injectable so that tests can move time. */
export class HybridClock {
  private last: Hlc;
  constructor(
    readonly replica: string,
    private readonly wall: () => number = Date.now,
    private readonly maxDriftMs = 5 * 60_000,
  ) {
    this.last = { ms: 0, counter: 0, replica };
  }

  /** A timestamp for a local change. */
  tick(): string {
    const now = this.wall();
    if (now > this.last.ms) this.last = { ms: now, counter: 0, replica: this.replica };
    else this.last = { ms: this.last.ms, counter: this.last.counter + 1, replica: this.replica };
    return encodeHlc(this.last);
  }

  /** Fold in a timestamp seen from elsewhere; refuses one too far in the future. */
  observe(remote: string): void {
    const r = decodeHlc(remote);
    const now = this.wall();
    if (r.ms - now > this.maxDriftMs) throw new ClockDriftError(r.ms - now, this.maxDriftMs);
    const ms = Math.max(now, r.ms, this.last.ms);
    let counter = 0;
    if (ms === this.last.ms && ms === r.ms) counter = Math.max(this.last.counter, r.counter) + 1;
    else if (ms === this.last.ms) counter = this.last.counter + 1;
    else if (ms === r.ms) counter = r.counter + 1;
    this.last = { ms, counter, replica: this.replica };
  }
}
