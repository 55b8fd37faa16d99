/** The rows bench:sync moves, shared by the bench and its source process. */
/** Who the rows are by: the signed-in user (the server checks authorship and ownership). */
export interface Author {
  id: string;
  name: string;
}
const DEFAULT_AUTHOR: Author = { id: 'u-chris', name: 'Chris Okafor' };

export function caseFields(i: number, at: string, who: Author = DEFAULT_AUTHOR) {
  return {
    personId: `per-${i}`, incidentId: null, incidentNumber: `M261127-bnch-${i}`, origin: 'live_call', reason: `Follow-up after crisis call ${i}`,
    status: 'open', risk: ['low', 'moderate', 'high', 'unknown'][i % 4], ownerId: who.id, ownerName: who.name,
    dueAt: at, consent: null, safetyAlert: null, closedAt: null, closureReason: null, createdAt: at, updatedAt: at,
  };
}

export function eventFields(i: number, j: number, at: string, who: Author = DEFAULT_AUTHOR) {
  return { caseId: `case-${i}`, at, kind: 'note', authorId: who.id, authorName: who.name, body: { text: `Contact note ${j} for case ${i}: left a message, will try again tomorrow.` }, corrects: null };
}

/** One row of the set: the entity, its id and its fields. */
export interface SyncRow {
  entity: 'case' | 'case_event';
  id: string;
  fields: ReturnType<typeof caseFields> | ReturnType<typeof eventFields>;
}

/**
 * Every row bench:sync moves (and bench:peer, through PouchDB), in the order the source writes
 * them: each case, then its events. The last row is `evt-<cases-1>-<eventsPerCase-1>`.
 */
export function* syncRows(cases: number, eventsPerCase: number, at: string, who: Author = DEFAULT_AUTHOR): Generator<SyncRow> {
  for (let i = 0; i < cases; i++) {
    yield { entity: 'case', id: `case-${i}`, fields: caseFields(i, at, who) };
    for (let j = 0; j < eventsPerCase; j++) yield { entity: 'case_event', id: `evt-${i}-${j}`, fields: eventFields(i, j, at, who) };
  }
}

export const lastRowId = (cases: number, eventsPerCase: number) => `evt-${cases - 1}-${eventsPerCase - 1}`;
