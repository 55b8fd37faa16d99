import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Op, validateOpFor } from '../../src/shared/sync/protocol';
import { encodeHlc } from '../../src/shared/hlc';

/** Op-like values: mostly well formed, each field sometimes replaced by something wrong. */
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });
const opLike = fc.record(
  {
    replica: field(fc.constantFrom('ws-1', 'a.b_c-d', '', 'has space', 'x'.repeat(65))),
    seq: field(fc.oneof(fc.integer({ min: -2, max: 10 }), fc.double(), fc.constant(2 ** 60))),
    hlc: field(fc.oneof(fc.constant(encodeHlc({ ms: 1_800_000_000_000, counter: 3, replica: 'ws-1' })), fc.string())),
    entity: field(fc.constantFrom('case', 'person', 'case_event', 'nope', '__proto__')),
    id: field(fc.oneof(fc.constantFrom('c1', '', 'x'.repeat(128), 'x'.repeat(129)), fc.string())),
    fields: field(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.integer()), fc.constant(null))),
    extra: fc.anything(),
  },
  { requiredKeys: ['replica', 'seq', 'hlc', 'entity', 'id', 'fields'] },
);

describe('pushed op validation', () => {
  it('accepts and refuses exactly what the Op schema does, and passes on only its fields', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: opLike }, { weight: 1, arbitrary: fc.anything() }), (raw) => {
        const schema = Op.safeParse(raw);
        const { op, reason } = validateOpFor('clinician', raw);
        if (!schema.success) {
          expect(op).toBeUndefined();
          expect(reason).toMatch(/^malformed op/);
        } else {
          expect(op).toEqual(schema.data);
          expect(reason ?? '').not.toMatch(/^malformed op/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
