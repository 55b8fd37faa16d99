import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRingAlert, defaultAudioContextFactory, type AudioContextLike } from '../../src/renderer/audio';

function fakeContext(state: string, opts: { resumeRejects?: boolean; oscThrows?: boolean } = {}) {
  const started: number[] = [];
  const ctx: AudioContextLike & { resumes: number } = {
    state,
    currentTime: 0,
    destination: {},
    resumes: 0,
    resume() {
      this.resumes++;
      return opts.resumeRejects ? Promise.reject(new Error('not allowed')) : Promise.resolve();
    },
    createOscillator() {
      if (opts.oscThrows) throw new Error('no oscillators here');
      return {
        type: 'sine',
        frequency: { setValueAtTime() {} },
        connect() {},
        start(t: number) {
          started.push(t);
        },
        stop() {},
      };
    },
    createGain() {
      return { gain: { setValueAtTime() {}, linearRampToValueAtTime() {} }, connect() {} };
    },
  };
  return { ctx, started };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ring alert', () => {
  it('plays oscillator tones and repeats until stopped', () => {
    const { ctx, started } = fakeContext('running');
    const alert = createRingAlert(() => ctx, 1000);
    alert.start();
    expect(started.length).toBe(2);
    vi.advanceTimersByTime(2000);
    expect(started.length).toBe(6);
    alert.stop();
    vi.advanceTimersByTime(5000);
    expect(started.length).toBe(6);
    expect(alert.audible()).toBe(true);
  });

  it('does not throw without an AudioContext', () => {
    const alert = createRingAlert(() => null);
    expect(() => {
      alert.start();
      alert.stop();
    }).not.toThrow();
    expect(alert.audible()).toBe(false);
  });

  it('does not throw when constructing the context throws', () => {
    const alert = createRingAlert(() => {
      throw new Error('blocked');
    });
    expect(() => alert.start()).not.toThrow();
    expect(alert.audible()).toBe(false);
  });

  it('a suspended context (autoplay policy) is asked to resume, and a refusal is swallowed', async () => {
    const { ctx, started } = fakeContext('suspended', { resumeRejects: true });
    const alert = createRingAlert(() => ctx, 1000);
    expect(() => alert.start()).not.toThrow();
    vi.advanceTimersByTime(1000);
    await Promise.resolve();
    expect(ctx.resumes).toBe(2);
    expect(started).toHaveLength(0);
    expect(alert.audible()).toBe(false);
    alert.stop();
  });

  it('a broken audio graph does not throw', () => {
    const { ctx } = fakeContext('running', { oscThrows: true });
    const alert = createRingAlert(() => ctx, 1000);
    expect(() => {
      alert.start();
      vi.advanceTimersByTime(3000);
      alert.stop();
    }).not.toThrow();
  });

  it('the default factory returns null where there is no Web Audio (Node)', () => {
    expect(defaultAudioContextFactory()()).toBeNull();
  });
});
