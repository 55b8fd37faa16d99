import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HybridClock, decodeHlc, encodeHlc, ClockDriftError } from '../../src/shared/hlc';
import { EVERY_FIELD, expandClocks, mergeOp, type RowState } from '../../src/shared/sync/merge';

describe('hybrid logical clock', () => {
  it('is strictly increasing even when the wall clock stands still or goes back', () => {
    let wall = 1_000;
    const clock = new HybridClock('a', () => wall);
    const seen: string[] = [];
    for (const w of [1000, 1000, 999, 500, 1001, 1001]) {
      wall = w;
      seen.push(clock.tick());
    }
    expect([...seen].sort()).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('orders after a remote timestamp it has observed', () => {
    const a = new HybridClock('a', () => 1000);
    const b = new HybridClock('b', () => 900);
    const fromA = a.tick();
    b.observe(fromA);
    expect(b.tick() > fromA).toBe(true);
  });

  it('refuses a remote timestamp too far in the future', () => {
    const clock = new HybridClock('a', () => 0, 60_000);
    expect(() => clock.observe(encodeHlc({ ms: 120_000, counter: 0, replica: 'b' }))).toThrow(ClockDriftError);
  });

  it('round-trips its encoding and rejects malformed strings', () => {
    const h = { ms: 1_700_000_000_000, counter: 42, replica: 'ws-abc' };
    expect(decodeHlc(encodeHlc(h))).toEqual(h);
    expect(() => decodeHlc('12:3:x')).toThrow(/Malformed/);
  });
});

describe('last-writer-wins merge', () => {
  const hlc = (ms: number, r = 'a') => encodeHlc({ ms, counter: 0, replica: r });

  it('keeps the newer write per field', () => {
    const first = mergeOp('case', null, hlc(1), { status: 'open', risk: 'low' }).state;
    const second = mergeOp('case', first, hlc(3), { risk: 'high' }).state;
    const stale = mergeOp('case', second, hlc(2), { risk: 'moderate', status: 'closed' });
    expect(stale.state.data).toEqual({ status: 'closed', risk: 'high' });
    expect(stale.changed).toEqual(['status']);
  });

  it('stores one timestamp for a row created whole, and still resolves each field on its own', () => {
    const whole = { caseId: 'c1', at: '2026-11-27T10:00:00.000Z', kind: 'note', authorId: 'u', authorName: 'U', body: { text: 'a' }, corrects: null };
    expect(mergeOp('case_event', null, hlc(5), whole).state.clocks).toEqual({ [EVERY_FIELD]: hlc(5) });
    const partial = mergeOp('case', null, hlc(5), { status: 'open' }).state;
    expect(partial.clocks).toEqual({ status: hlc(5) });
    const row = { ...mergeOp('case', null, hlc(5), { status: 'open' }).state, clocks: { [EVERY_FIELD]: hlc(5) } };
    const older = mergeOp('case', row, hlc(4), { risk: 'high' });
    expect(older.changed).toEqual([]);
    const newer = mergeOp('case', row, hlc(6), { risk: 'high' });
    expect(newer.changed).toEqual(['risk']);
    expect(expandClocks('case', newer.state.clocks)).toMatchObject({ risk: hlc(6), status: hlc(5), reason: hlc(5) });
  });

  it('never changes an append-only row once written', () => {
    const first = mergeOp('case_event', null, hlc(1), { body: '{"text":"a"}' }).state;
    expect(mergeOp('case_event', first, hlc(9), { body: '{"text":"b"}' }).changed).toEqual([]);
  });

  it('ends in the same row whatever order and duplication the ops arrive in', () => {
    const op = fc.record({
      ms: fc.integer({ min: 1, max: 50 }),
      replica: fc.constantFrom('a', 'b', 'c'),
      field: fc.constantFrom('status', 'risk', 'reason'),
      value: fc.string({ maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 20 }), fc.integer(), (ops, seed) => {
        const unique = ops.map((o, i) => ({ ...o, hlc: encodeHlc({ ms: o.ms, counter: i, replica: o.replica }) }));
        const apply = (list: typeof unique) =>
          list.reduce<RowState | null>((row, o) => mergeOp('case', row, o.hlc, { [o.field]: o.value }).state, null);
        const shuffled = [...unique, ...unique.slice(0, 3)].sort((x, y) => ((x.ms * 31 + seed) % 7) - ((y.ms * 31 + seed) % 7));
        expect(apply(shuffled)?.data).toEqual(apply(unique)?.data);
      }),
      { numRuns: 500 },
    );
  });
});
