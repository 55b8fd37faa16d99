import Database from 'better-sqlite3-multiple-ciphers';
import { migrateStore } from '../../src/main/core/store/open';
import { ReplicaStore } from '../../src/main/core/store/replica';
import { fromStored } from '../../src/main/core/store/stored';
import type { Caller } from '../../src/server/auth';
import { ENTITIES, type EntityName } from '../../src/shared/entities';
import type { Op } from '../../src/shared/sync/protocol';
import { expandClocks } from '../../src/shared/sync/merge';

/**
 * The model both sync property tests draw from (sync.property.test.ts on SQLite,
 * sync.property.postgres.test.ts over two PostgreSQL instances): which rows three replicas
 * edit, what a create writes, what a hostile console tries, the replicas' stores and callers,
 * and how a replica's rows are read back for comparison.
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

/** The hostile op for an attack (pushed as replica r3), or a raw change-log row (inject-*). */
export function attackOp(k: Attack, seq: number, nowMs: number, id: number, victim: number): { op: Op; refused: boolean; inject?: boolean } {
  const hlc = (ms: number) => `${String(ms).padStart(15, '0')}:${String(seq).padStart(6, '0')}:r3`;
  const base = { replica: 'r3', seq, hlc: hlc(nowMs) };
  const event = (over: Record<string, unknown>) => ({ ...WHOLE.case_event(0), authorId: 'u3', authorName: 'U3', ...over });
  switch (k) {
    case 'long-id':
      return { op: { ...base, entity: 'case', id: 'x'.repeat(300), fields: { risk: 'high' } }, refused: true };
    case 'bad-id-chars':
      return { op: { ...base, entity: 'case', id: 'a b"c', fields: { risk: 'high' } }, refused: true };
    case 'forged-note-id':
      // Another clinician's note id, backdated so that "earliest wins" would hand it the row.
      return { op: { ...base, hlc: hlc(nowMs - 60_000), entity: 'case_event', id: eventId(victim, id), fields: event({ body: { text: 'FORGED' } }) }, refused: true };
    case 'forged-author':
      return { op: { ...base, entity: 'case_event', id: `h3${IDS[id]}${seq}`, fields: event({ authorId: `u${victim}`, authorName: `U${victim}`, body: { text: 'FORGED' } }) }, refused: true };
    case 'future-owner':
      return { op: { ...base, hlc: hlc(nowMs + 600_000), entity: 'case', id: IDS[id], fields: { ownerId: 'u3', ownerName: 'FORGED' } }, refused: true };
    case 'far-future-hlc':
      return { op: { ...base, hlc: hlc(nowMs + 86_400_000), entity: 'person', id: IDS[id], fields: { name: 'FORGED' } }, refused: true };
    case 'oversized':
      return { op: { ...base, entity: 'case_event', id: `h3big${seq}`, fields: event({ body: { text: 'x'.repeat(300_000) } }) }, refused: true };
    case 'too-deep': {
      let deep: unknown = 'FORGED';
      for (let i = 0; i < 20; i++) deep = { d: deep };
      return { op: { ...base, entity: 'case_event', id: `h3deep${seq}`, fields: event({ body: deep }) }, refused: true };
    }
    case 'unknown-field':
      return { op: { ...base, entity: 'case', id: IDS[id], fields: { risk: 'high', sneaky: 'FORGED' } }, refused: true };
    case 'partial-event':
      return { op: { ...base, entity: 'case_event', id: eventId(victim, id), fields: { body: { text: 'FORGED' } } }, refused: true };
    case 'inject-long-id':
      return { op: { ...base, replica: 'server', entity: 'handoff', id: 'h'.repeat(300), fields: { note: 'FORGED' } }, refused: true, inject: true };
    case 'inject-bad-fields':
      return { op: { ...base, replica: 'server', entity: 'person', id: IDS[id], fields: { name: 'FORGED', nope: 1 } }, refused: true, inject: true };
  }
}

/** A migrated empty store, copied for each replica of each run (migrating thousands of times is slow). */
export const template = (() => {
  const db = new Database(':memory:');
  migrateStore(db);
  const bytes = db.serialize();
  db.close();
  return bytes;
})();

export function memoryReplica(n: number, clockMs: { now: number }): ReplicaStore {
  const db = new Database(template);
  db.prepare("INSERT INTO meta(key, value) VALUES ('replicaId', ?)").run(`r${n}`);
  return new ReplicaStore(db, () => clockMs.now + n); // slightly different wall clocks
}

export function caller(n: number): Caller {
  return {
    workstation: { id: `w${n}`, name: `w${n}`, secretHash: 'x', enrolledAt: '2026-01-01T00:00:00Z', revoked: false, revokedAt: null },
    user: { id: `u${n}`, username: `u${n}`, name: `U${n}`, role: 'clinician', directLine: null },
    sessionHash: 'x',
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

/** Every row of a replica, decoded, keyed entity/id. */
export function replicaRows(store: ReplicaStore): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of ENTITY_POOL) {
    for (const row of store.db.prepare(`SELECT * FROM ${ENTITIES[e].table} ORDER BY id`).all() as Record<string, string | null>[]) {
      const decoded = fromStored(e, row);
      const data = Object.fromEntries(Object.entries(decoded).filter(([k, v]) => k !== 'id' && v !== null));
      out[`${e}/${row.id}`] = { data, clocks: expandClocks(e, JSON.parse(row._clocks ?? '{}')) };
    }
  }
  return out;
}
