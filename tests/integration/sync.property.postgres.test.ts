import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../src/server/sync';
import pg from 'pg';
import { PostgresStorage } from '../../src/server/storage/postgres';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { decodeChange } from '../../src/server/storage/types';
import type { EntityName } from '../../src/shared/entities';
import { opShapeProblem } from '../../src/shared/sync/op-check';
import { parsePullResponse, type PullResponse, type PushResponse, type Op } from '../../src/shared/sync/protocol';
import { expandClocks, mergeOp, type RowState } from '../../src/shared/sync/merge';
import { ATTACKS, attackOp, caller, ENTITY_POOL, eventId, FIELDS, IDS, memoryReplica, replicaRows, WHOLE } from '../helpers/sync-property-model';
import { tempDir } from '../helpers/tmp';

/**
 * sync.property.test.ts with the server as two instances on one PostgreSQL database (issue 17):
 * the same random edits, unreliable network and hostile console, each message to either
 * instance (a console may fail over between any two requests). Real stores: the workstation's
 * ReplicaStore, two SyncEngines each on its own PostgresStorage (own pool) over one throwaway
 * cluster. Keep it in step with sync.property.test.ts.
 */
const RUNS = Number(process.env.SYNC_PROPERTY_PG_RUNS ?? 60);
const tmp = tempDir('tandem-prop-pg-');
let cluster: PgCluster;
let admin: pg.Client;
/** The two instances' storages, each with its own pool, kept for every run. */
let storages: PostgresStorage[];
beforeAll(async () => {
  cluster = await startPgCluster();
  const url = await cluster.createDatabase();
  storages = [await PostgresStorage.open(url, { poolSize: 2 }), await PostgresStorage.open(url, { poolSize: 2 })];
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});
afterAll(async () => {
  tmp.cleanup();
  await admin?.end();
  for (const s of storages ?? []) await s.close();
  await cluster?.stop();
});

/** Back to an empty server between runs (cheaper than a database per run). */
async function emptyDatabase(): Promise<void> {
  await admin.query(
    "TRUNCATE change_log, entity_state, row_author, refused_ops, sessions, enrollment_tokens RESTART IDENTITY; DELETE FROM replicas WHERE replica <> 'server'; DELETE FROM workstations",
  );
}

type Msg =
  | { kind: 'push'; r: number; ops: Op[]; via: number }
  | { kind: 'pull'; r: number; cursor: number; via: number }
  | { kind: 'pushRes'; r: number; res: PushResponse }
  | { kind: 'pullRes'; r: number; res: PullResponse };

const Action = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('edit' as const), r: fc.nat(2), e: fc.nat(2), id: fc.nat(2), f: fc.nat(2), v: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('create' as const), r: fc.nat(2), e: fc.nat(2), id: fc.nat(2), v: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sendPush' as const), r: fc.nat(2), via: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sendPull' as const), r: fc.nat(2), via: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('deliver' as const), i: fc.nat(20), dup: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), i: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('attack' as const), k: fc.constantFrom(...ATTACKS), id: fc.nat(2), victim: fc.nat(2) }) },
);

describe('sync convergence over two PostgreSQL instances (property)', () => {
  it(`converges for ${RUNS} random histories of edits and an unreliable network`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(Action, { minLength: 5, maxLength: 45 }), async (actions) => {
        const clock = { now: 1_800_000_000_000 };
        await emptyDatabase();
        const storage = storages[0];
        const engines = storages.map((s) => new SyncEngine(s, { maxDriftMs: 300_000, now: () => clock.now, logger: pino({ level: 'silent' }) }));
        for (const e of engines) await e.init();
        const engine = engines[1]; // the hostile console's
        await storage.transaction(async (tx) => {
          for (const n of [0, 1, 2]) await tx.insertWorkstation(caller(n).workstation);
        });
        await storage.transaction(async (tx) => tx.insertWorkstation(caller(3).workstation));
        const replicas = [0, 1, 2].map((n) => memoryReplica(n, clock));
        const cursors = [0, 0, 0];
        let hostileSeq = 0;
        let injectSeq = 1_000_000;
        const net: Msg[] = [];
        try {
          const serve = async (m: Msg): Promise<Msg | null> => {
            if (m.kind === 'push') {
              const out = await engines[m.via].push(caller(m.r), { ops: m.ops });
              return { kind: 'pushRes', r: m.r, res: out.response };
            }
            if (m.kind === 'pull') return { kind: 'pullRes', r: m.r, res: parsePullResponse(JSON.parse((await engines[m.via].pullJson(caller(m.r), { cursor: m.cursor, limit: 7 })).bytes().toString('utf8'))) };
            if (m.kind === 'pushRes') replicas[m.r].acknowledge(m.res.lastSeq, m.res.refused);
            else {
              replicas[m.r].applyRemote(m.res.ops);
              cursors[m.r] = m.res.cursor; // a stale response may move it back: that only costs a re-pull
            }
            return null;
          };

          for (const a of actions) {
            clock.now += 3;
            if ((a.t === 'edit' || a.t === 'create') && ENTITY_POOL[a.e] === 'case_event') {
              const id = eventId(a.r, a.id);
              // Written once by its author; the same console never writes it again.
              if (!replicas[a.r].read('case_event', id)) replicas[a.r].write('case_event', id, { ...WHOLE.case_event(a.v), authorId: `u${a.r}`, authorName: `U${a.r}` });
            } else if (a.t === 'edit') {
              const entity = ENTITY_POOL[a.e];
              const spec = FIELDS[entity][a.f % FIELDS[entity].length];
              replicas[a.r].write(entity, IDS[a.id], { [spec.field]: spec.values[a.v % spec.values.length] });
            } else if (a.t === 'create') {
              const entity = ENTITY_POOL[a.e];
              replicas[a.r].write(entity, IDS[a.id], WHOLE[entity](a.v));
            } else if (a.t === 'attack') {
              const { op, refused, inject } = attackOp(a.k, hostileSeq + 1, clock.now, a.id, a.victim);
              // A note's id is a random UUID in the app: a forger can only reuse one it has seen.
              if (a.k === 'forged-note-id' && !(await storage.transaction((tx) => tx.getRowAuthor('case_event', op.id), { readOnly: true }))) continue;
              if (inject) {
                // An older server (or a bug) wrote it to the change log without the checks.
                await storage.transaction(async (tx) => void (await tx.appendChange({ ...op, seq: ++injectSeq })));
              } else {
                hostileSeq++;
                const out = await engine.push(caller(3), { ops: [op] });
                if (refused) expect(out.response.refused.map((x) => x.seq), a.k).toEqual([op.seq]);
                expect(out.response.refused[0]?.reason ?? '', a.k).not.toBe('');
              }
            } else if (a.t === 'sendPush') {
              const ops = replicas[a.r].outboxBatch(5);
              if (ops.length) net.push({ kind: 'push', r: a.r, ops, via: a.via });
            } else if (a.t === 'sendPull') {
              net.push({ kind: 'pull', r: a.r, cursor: cursors[a.r], via: a.via });
            } else if (net.length) {
              const i = a.i % net.length;
              const m = net[i];
              if (a.t === 'drop' || !a.dup) net.splice(i, 1);
              if (a.t === 'deliver') {
                const reply = await serve(m);
                if (reply) net.push(reply);
              }
            }
          }

          // The network heals: everyone pushes everything, then pulls everything, twice over.
          for (let round = 0; round < 2; round++) {
            for (let r = 0; r < 3; r++) {
              for (let guard = 0; guard < 100 && replicas[r].pendingCount() > 0; guard++) {
                await serve((await serve({ kind: 'push', r, ops: replicas[r].outboxBatch(5), via: (r + guard) % 2 }))!);
              }
            }
            for (let r = 0; r < 3; r++) {
              for (let guard = 0; guard < 100; guard++) {
                const reply = (await serve({ kind: 'pull', r, cursor: cursors[r], via: (r + guard + round) % 2 })) as Extract<Msg, { kind: 'pullRes' }>;
                await serve(reply);
                if (!reply.res.more) break;
              }
            }
          }

          // The server keeps these entities in its change log only: what a new console would
          // build from it is what every replica must hold.
          const server: Record<string, unknown> = {};
          await storage.transaction(async (tx) => {
            const folded = new Map<string, RowState>();
            for (const op of (await tx.readChanges(0, 100_000, null)).map(decodeChange)) {
              // What a console sets aside on pull (op-check) is not part of the record.
              if (opShapeProblem(op) || !ENTITY_POOL.includes(op.entity)) continue;
              const key = `${op.entity}/${op.id}`;
              folded.set(key, mergeOp(op.entity, folded.get(key) ?? null, op.hlc, op.fields).state);
            }
            for (const [key, row] of folded) {
              const e = key.split('/')[0] as EntityName;
              const data = Object.fromEntries(Object.entries(row.data).filter(([, v]) => v !== null));
              server[key] = { data, clocks: expandClocks(e, row.clocks) };
            }
          }, { readOnly: true });
          const states = replicas.map(replicaRows);
          expect(states[1]).toEqual(states[0]);
          expect(states[2]).toEqual(states[0]);
          expect(states[0]).toEqual(server);
          for (const r of replicas) expect(r.pendingCount()).toBe(0);
          // Nothing forged shows anywhere: every timeline event is its own author's, nothing
          // a hostile op carried is held, and honest consoles had nothing refused.
          for (const [key, row] of Object.entries(states[0]) as [string, { data: Record<string, unknown> }][]) {
            expect(JSON.stringify(row.data), key).not.toContain('FORGED');
            const m = /^case_event\/e(\d)/.exec(key);
            if (m) expect(row.data.authorId, key).toBe(`u${m[1]}`);
          }
          for (const r of replicas) expect(r.refusedCount()).toBe(0);
        } finally {
          replicas.forEach((r) => r.db.close());
          for (const f of fs.readdirSync(tmp.dir)) fs.rmSync(path.join(tmp.dir, f), { force: true });
        }
      }),
      { numRuns: RUNS },
    );
    // A hang guard, not a speed bound: 1500 histories take 3 min on an idle 2-core machine and
    // over 10 min on a busy one.
  }, 1_800_000);
});
