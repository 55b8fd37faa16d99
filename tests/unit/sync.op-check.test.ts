import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OP_LIMITS, idProblem, opShapeProblem } from '../../src/shared/sync/op-check';
import { parsePullResponse, validateOpFor } from '../../src/shared/sync/protocol';
import { encodeHlc } from '../../src/shared/hlc';

/** The one definition of a well-formed op (issue 13), attacked limit by limit. */
const hlc = encodeHlc({ ms: 1_800_000_000_000, counter: 1, replica: 'ws-1' });
const op = (over: Record<string, unknown> = {}) => ({ replica: 'ws-1', seq: 1, hlc, entity: 'case', id: 'case_1', fields: { reason: 'ok' }, ...over });

describe('op-check', () => {
  it('accepts the ids the app makes and refuses long, empty or odd ones with a reason', () => {
    for (const id of ['case_0b7c1f0e-2f5e-4a5e-9d7f-1a2b3c4d5e6f', 'eido-0123456789abcdef', 'urn:tandem:note:1-2', 'x'.repeat(128)]) expect(idProblem(id)).toBeNull();
    expect(idProblem('x'.repeat(129))).toMatch(/129 characters long \(at most 128\)/);
    expect(idProblem('x'.repeat(300))).toMatch(/300 characters/);
    expect(idProblem('')).toMatch(/required/);
    for (const id of ['a b', 'a"b', 'a\nb', '-lead', 'é']) expect(idProblem(id), id).toMatch(/letters, digits/);
  });

  it('bounds each entity in bytes and nesting', () => {
    expect(opShapeProblem(op())).toBeNull();
    const big = 'x'.repeat(OP_LIMITS.fieldBytes.case_event);
    expect(opShapeProblem(op({ entity: 'case_event', fields: { body: { text: big } } }))).toMatch(/larger than 262144 bytes/);
    // Multi-byte text counts in bytes, not characters.
    const wide = '€'.repeat(Math.ceil(OP_LIMITS.fieldBytes.case_event / 3) + 10);
    expect(opShapeProblem(op({ entity: 'case_event', fields: { body: { text: wide } } }))).toMatch(/larger than/);
    let deep: unknown = 1;
    for (let i = 0; i < OP_LIMITS.maxDepth + 1; i++) deep = [deep];
    expect(opShapeProblem(op({ entity: 'case_event', fields: { body: { d: deep } } }))).toMatch(/nested deeper than 8/);
    expect(opShapeProblem(op({ fields: { reason: 'x', nope: 1 } }))).toMatch(/case has no field nope/);
    expect(opShapeProblem(op({ fields: {} }))).toMatch(/changes no fields/);
    expect(opShapeProblem(op({ entity: '__proto__' }))).toMatch(/unknown entity/);
  });

  it('sets a bad op aside on pull and keeps the rest of the page', () => {
    const page = { ops: [{ ...op({ id: 'ok-1' }), cursor: 1 }, { ...op({ id: 'x'.repeat(300) }), cursor: 2 }, { ...op({ id: 'ok-2' }), cursor: 3 }, null], cursor: 3, more: false };
    const res = parsePullResponse(page);
    expect(res.ops.map((o) => o.id)).toEqual(['ok-1', 'ok-2']);
    expect(res.quarantined.map((q) => [q.cursor, q.reason])).toEqual([
      [2, 'malformed op: id: id is 300 characters long (at most 128)'],
      [null, 'malformed op: cursor: must be a positive integer'],
    ]);
    expect(() => parsePullResponse({ ops: 'x', cursor: 1, more: false })).toThrow(/Malformed pull response/);
  });

  it('every op a push accepts is accepted by a pull (property)', () => {
    const value = fc.oneof(fc.string({ maxLength: 50 }), fc.constant(null), fc.integer(), fc.jsonValue({ maxDepth: 4 }));
    const anyOp = fc.record({
      replica: fc.constantFrom('ws-1', 'ws-2'),
      seq: fc.integer({ min: 1, max: 100 }),
      hlc: fc.constant(hlc),
      entity: fc.constantFrom('case', 'person', 'case_event', 'incident', 'task', 'referral', 'resource_service'),
      id: fc.oneof(fc.constantFrom('a', 'case_1', 'x'.repeat(128), 'x'.repeat(129), 'a b'), fc.string({ maxLength: 140 })),
      fields: fc.dictionary(fc.constantFrom('reason', 'name', 'body', 'record', 'status', 'title', 'notes', 'bogus'), value, { minKeys: 0, maxKeys: 3 }),
    });
    fc.assert(
      fc.property(anyOp, fc.constantFrom('clinician', 'supervisor', 'dispatcher', 'admin') as fc.Arbitrary<'clinician'>, (raw, role) => {
        const { reason } = validateOpFor(role, raw);
        if (reason) return;
        const pulled = parsePullResponse({ ops: [{ ...raw, cursor: 1 }], cursor: 1, more: false });
        expect(pulled.quarantined).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });
});
