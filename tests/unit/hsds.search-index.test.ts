/**
 * The directory's search index must answer exactly as the reference search (rankServices):
 * the same services, in the same order, for any query; and the open-now fast path for plain
 * weekly hours must agree with the general computation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServiceSearchIndex, isOpenAt, parseHsdsPackage, rankServices, type ScheduleRule, type ServiceQuery } from '../../src/shared/directory';
import { hsdsFiles, type SyntheticService } from '../helpers/hsds-package';

const WORDS = ['Harbor', 'River', 'Hope', 'counseling', 'shelter', 'pantry', 'crisis line', 'legal aid', 'youth', 'senior meals'];
const TERMS = [
  { id: 'term-mh', code: 'BF-4500', name: 'Mental Health Care' },
  { id: 'term-food', code: 'BD-1800.2000', name: 'Food Pantries' },
];

const service = fc.record({
  n: fc.nat(),
  name: fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([a, b]) => `${a} ${b}`),
  description: fc.constantFrom('Counselling and peer support', 'Food and housing help', 'Walk-in legal advice', ''),
  status: fc.constantFrom('active', 'active', 'active', 'inactive'),
  languages: fc.subarray([{ name: 'Spanish', code: 'es' }, { name: 'English', code: 'en' }, { name: 'Haitian Creole', code: 'ht' }]),
  minAge: fc.option(fc.constantFrom(12, 18, 60), { nil: undefined }),
  terms: fc.subarray(TERMS),
  schedule: fc.option(
    fc.record({
      byday: fc.constantFrom('MO,TU,WE,TH,FR', 'SA,SU', 'FR,SA'),
      opens: fc.constantFrom('09:00', '22:00', '00:00'),
      closes: fc.constantFrom('17:00', '02:00', '00:00'),
      timezone: fc.constantFrom(undefined, 'America/New_York', 'UTC+03:00'),
    }),
    { nil: undefined },
  ),
  assuredDate: fc.option(fc.constantFrom('2025-05-01', '2022-01-01'), { nil: undefined }),
});

const query: fc.Arbitrary<ServiceQuery> = fc.record(
  {
    // With words the query expands (synonyms.ts): spellings, endings, synonyms, phrases.
    text: fc.constantFrom('harbor', 'couns', 'legal aid', 'food help', 'zzz', 'for the', 'counselling', 'shelters', 'crisis', 'hunger', 'therapy harbour', 'lawyer'),
    need: fc.constantFrom('mental_health', 'food', 'Legal', 'youth', 'river'),
    language: fc.constantFrom('es', 'Spanish', 'creole', 'ur', 'español', 'kreyol', 'castellano'),
    age: fc.constantFrom(10, 30, 70),
    taxonomyTerm: fc.constantFrom('BF', 'BD-1800', 'term-food', 'Mental Health Care', 'XX'),
    openNow: fc.boolean(),
    includeInactive: fc.boolean(),
    at: fc.constantFrom(new Date('2025-06-02T14:00:00Z'), new Date('2025-06-07T03:30:00Z'), new Date('2025-06-04T23:00:00Z')),
  },
  { requiredKeys: ['at'] },
);

describe('ServiceSearchIndex', () => {
  it('gives rankServices’ answer, in its order, for any directory and query', () => {
    fc.assert(
      fc.property(fc.array(service, { minLength: 1, maxLength: 40 }), fc.array(query, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 60 }), (generated, queries, limit) => {
        const synthetic: SyntheticService[] = generated.map((g, i) => ({ ...g, id: `svc-${i}`, phone: '555-0100' }));
        const services = parseHsdsPackage(hsdsFiles(synthetic)).services;
        const index = new ServiceSearchIndex(services);
        for (const q of queries) {
          const q2 = { ...q, timezone: 'America/Chicago' };
          const ref = rankServices(services, q2);
          const got = index.search(q2, limit);
          expect(got.total).toBe(ref.length);
          expect(got.results.map((r) => [r.service.id, r.score, r.open])).toEqual(ref.slice(0, limit).map((r) => [r.service.id, r.score, r.open]));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('open now for plain weekly hours', () => {
  const rule = (p: Partial<ScheduleRule>): ScheduleRule => ({ id: 'r', freq: 'WEEKLY', byday: [], byweekno: [], bymonthday: [], byyearday: [], ...p });
  const ALL_WEEKS = Array.from({ length: 53 }, (_, i) => i + 1);

  it('agrees with the general computation (the same rule with every week listed)', () => {
    fc.assert(
      fc.property(
        fc.subarray(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']),
        fc.integer({ min: 0, max: 95 }).map((q) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`),
        fc.integer({ min: 0, max: 96 }).map((q) => (q === 96 ? '24:00' : `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`)),
        fc.constantFrom('UTC', 'UTC+03:00', 'UTC-05:30'),
        fc.option(fc.constantFrom('2025-06-03', '2025-06-10'), { nil: undefined }),
        fc.integer({ min: Date.UTC(2025, 5, 1), max: Date.UTC(2025, 5, 20) }),
        (byday, opensAt, closesAt, timezone, validTo, ms) => {
          const plain = rule({ byday, opensAt, closesAt, timezone, validTo });
          const general = { ...plain, byweekno: ALL_WEEKS };
          const at = new Date(ms);
          expect(isOpenAt([plain], at)).toBe(isOpenAt([general], at));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
