import type { EntityName } from '../../src/shared/entities';

/**
 * The model both sync property tests draw from (sync.property.test.ts on SQLite,
 * sync.property.postgres.test.ts over two PostgreSQL instances): which rows three replicas
 * edit, what a create writes, and what a hostile console tries.
 */
export const ENTITY_POOL: EntityName[] = ['case', 'person', 'case_event'];
export const IDS = ['a', 'b', 'c'];
export const FIELDS: Record<string, { field: string; values: unknown[] }[]> = {
  case: [
    { field: 'risk', values: ['low', 'moderate', 'high', 'unknown'] },
    { field: 'status', values: ['open', 'waiting', 'closed'] },
    { field: 'reason', values: ['call back', 'housing', 'shelter'] },
  ],
  person: [
    { field: 'name', values: ['Ana', 'Bo', 'Cy'] },
    { field: 'phones', values: [['617'], ['508', '781'], null] },
  ],
  // Timeline events are append-only: an honest console only ever creates them, whole.
  case_event: [],
};

/** Whole rows, as a create writes them (every field at one timestamp, stored as `{"*": hlc}`). */
export const WHOLE: Record<string, (v: number) => Record<string, unknown>> = {
  case: (v) => ({
    personId: 'a', incidentId: null, incidentNumber: `M-${v}`, origin: 'live_call', reason: ['call back', 'housing'][v % 2], status: 'open',
    risk: 'low', ownerId: null, ownerName: null, dueAt: null, consent: null, safetyAlert: null, closedAt: null, closureReason: null,
    createdAt: '2026-11-27T10:00:00.000Z', updatedAt: `2026-11-27T10:0${v}:00.000Z`,
  }),
  person: (v) => ({ name: ['Ana', 'Bo', 'Cy', 'Di'][v], dob: null, phones: ['617'], address: null, language: 'en', safetyFlags: null, createdAt: '2026-11-27T10:00:00.000Z' }),
  case_event: (v) => ({ caseId: 'a', at: '2026-11-27T10:00:00.000Z', kind: 'note', authorId: 'u', authorName: 'U', body: { text: `whole ${v}` }, corrects: null }),
};

/** Timeline ids are each console's own (random UUIDs in the app): e<replica><id>. */
export const eventId = (r: number, id: number) => `e${r}${IDS[id]}`;

/**
 * What a hostile or broken console (replica r3, a signed-in clinician on workstation w3) pushes,
 * or what a buggy older server wrote to its change log without the checks (inject): each must be
 * refused or set aside, and the honest replicas must still converge with nothing forged showing.
 */
export const ATTACKS = [
  'long-id',
  'bad-id-chars',
  'forged-note-id',
  'forged-author',
  'future-owner',
  'far-future-hlc',
  'oversized',
  'too-deep',
  'unknown-field',
  'partial-event',
  'inject-long-id',
  'inject-bad-fields',
] as const;
export type Attack = (typeof ATTACKS)[number];
