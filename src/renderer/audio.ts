/**
 * The ringing tone for an incoming live handoff, made with Web Audio oscillators (no sound
 * files). Never throws: without an AudioContext, or when the browser keeps it suspended
 * (autoplay policy), the ring is silent and the visual alert still carries it.
 */
export interface RingAlert {
  start(): void;
  stop(): void;
  /** Whether the last start() could make sound (false when unavailable or suspended). */
  audible(): boolean;
}

interface GainLike {
  gain: { setValueAtTime(v: number, t: number): void; linearRampToValueAtTime(v: number, t: number): void };
  connect(dest: unknown): void;
}
interface OscLike {
  type: string;
  frequency: { setValueAtTime(v: number, t: number): void };
  connect(dest: unknown): void;
  start(t: number): void;
  stop(t: number): void;
}
/** The parts of an AudioContext the alert uses. */
export interface AudioContextLike {
  readonly state: string;
  readonly currentTime: number;
  readonly destination: unknown;
  resume(): Promise<void>;
  close?(): Promise<void>;
  createOscillator(): OscLike;
  createGain(): GainLike;
}

export type AudioContextFactory = () => AudioContextLike | null;

export function defaultAudioContextFactory(): AudioContextFactory {
  return () => {
    const g = globalThis as { AudioContext?: new () => AudioContextLike; webkitAudioContext?: new () => AudioContextLike };
    const Ctor = g.AudioContext ?? g.webkitAudioContext;
    return Ctor ? new Ctor() : null;
  };
}

/** Two rising tones, then a pause: repeated every `periodMs` while ringing. */
const PATTERN = [
  { freq: 784, at: 0, dur: 0.22 },
  { freq: 1046, at: 0.28, dur: 0.3 },
];

export function createRingAlert(factory: AudioContextFactory = defaultAudioContextFactory(), periodMs = 2000): RingAlert {
  let ctx: AudioContextLike | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let unavailable = false;

  function context(): AudioContextLike | null {
    if (ctx || unavailable) return ctx;
    try {
      ctx = factory();
      if (!ctx) unavailable = true;
    } catch {
      unavailable = true;
      ctx = null;
    }
    return ctx;
  }

  function beep(): void {
    const c = ctx;
    if (!c) return;
    try {
      if (c.state === 'suspended') {
        // Allowed to fail (no user gesture yet); the next beep tries again.
        c.resume().catch(() => {});
        return;
      }
      if (c.state !== 'running') return;
      const t0 = c.currentTime + 0.02;
      for (const note of PATTERN) {
        const osc = c.createOscillator();
        const gain = c.createGain();
        osc.type = 'sine';
        osc.frequency.setValueAtTime(note.freq, t0 + note.at);
        gain.gain.setValueAtTime(0, t0 + note.at);
        gain.gain.linearRampToValueAtTime(0.35, t0 + note.at + 0.02);
        gain.gain.linearRampToValueAtTime(0, t0 + note.at + note.dur);
        osc.connect(gain);
        gain.connect(c.destination);
        osc.start(t0 + note.at);
        osc.stop(t0 + note.at + note.dur + 0.02);
      }
    } catch {
      // A broken audio stack must never break the console.
    }
  }

  return {
    start() {
      if (timer) return;
      if (!context()) return;
      beep();
      try {
        timer = setInterval(beep, periodMs);
      } catch {
        timer = null;
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    audible() {
      return !!ctx && ctx.state === 'running';
    },
  };
}
