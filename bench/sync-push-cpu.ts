/**
 * For diagnosis of bench:sync: the sync server's own work on the bench's 220,000-row push,
 * in this one process, as CPU seconds (less noisy than wall time on a loaded machine).
 * SyncEngine.push of the rows in the console's 2,000-op batches, straight to the storage (no
 * sockets), then every pull page a second console would read.
 * `npx tsx bench/sync-push-cpu.ts [--database postgres]`; BENCH_CASES, BENCH_EVENTS_PER_CASE.
 * On PostgreSQL the CPU is this process's only: the database's own work is in its processes
 * (wall time says more there).
 */
import path from 'node:path';
import pino from 'pino';
import { encodeHlc } from '../src/shared/hlc';
import { SyncEngine } from '../src/server/sync';
import { openSqliteStorage } from '../src/server/storage/sqlite';
import { openPostgresStorage } from '../src/server/storage/postgres';
import type { ServerStorage } from '../src/server/storage/types';
import type { Caller } from '../src/server/auth';
import { startPgCluster } from '../tests/helpers/pg-cluster';
import { tempDir } from '../tests/helpers/tmp';
import { round } from './lib';
import { caseFields, eventFields } from './sync-data';

const CASES = Number(process.env.BENCH_CASES ?? 20_000);
const EVENTS_PER_CASE = Number(process.env.BENCH_EVENTS_PER_CASE ?? 10);
const BATCH = 2000;

async function main(): Promise<void> {
  const engine = process.argv.includes('--database') && process.argv[process.argv.indexOf('--database') + 1] === 'postgres' ? 'postgres' : 'sqlite';
  const tmp = tempDir('tandem-push-cpu-');
  const pg = engine === 'postgres' ? await startPgCluster({ durable: true }) : null;
  const storage: ServerStorage = pg ? await openPostgresStorage(await pg.createDatabase('bench')) : openSqliteStorage(path.join(tmp.dir, 'server.db'));
  try {
    const at = new Date().toISOString();
    const user = { id: 'u-chris', username: 'chris', role: 'clinician' as const, name: 'Chris Okafor', directLine: null };
    const workstation = { id: 'ws-1', name: 'source', secretHash: 'x'.repeat(64), enrolledAt: at, revoked: false, revokedAt: null };
    await storage.transaction(async (tx) => {
      await tx.insertUser({ ...user, passwordHash: 'x', createdAt: at, disabled: false });
      await tx.insertWorkstation(workstation);
    });
    const caller = { user, workstation, sessionHash: 'x', expiresAt: Date.now() + 3600_000 } as unknown as Caller;
    const sync = new SyncEngine(storage, { maxDriftMs: 300_000, now: Date.now, logger: pino({ level: 'silent' }) });
    await sync.init();

    // The rows as the source console's outbox holds them, in its push batches (JSON, as on the wire).
    const base = Date.now() - 60_000;
    const ops: object[] = [];
    const op = (entity: string, id: string, fields: object) => {
      const k = ops.length;
      ops.push({ replica: 'ws-src', seq: k + 1, hlc: encodeHlc({ ms: base + Math.floor(k / 100), counter: k % 100, replica: 'ws-src' }), entity, id, fields });
    };
    const who = { id: user.id, name: user.name };
    for (let i = 0; i < CASES; i++) {
      op('case', `case-${i}`, caseFields(i, at, who));
      for (let j = 0; j < EVENTS_PER_CASE; j++) op('case_event', `evt-${i}-${j}`, eventFields(i, j, at, who));
    }
    const batches: string[] = [];
    for (let i = 0; i < ops.length; i += BATCH) batches.push(JSON.stringify({ ops: ops.slice(i, i + BATCH) }));

    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const b of batches) {
      const out = await sync.push(caller, JSON.parse(b));
      if (out.response.refused.length || out.gap) throw new Error(`push refused ${out.response.refused.length}: ${out.response.refused[0]?.reason ?? out.gap?.message}`);
    }
    const pushCpu = cpuS(c0);
    const pushS = (performance.now() - t0) / 1000;

    const reader = { ...caller, workstation: { ...workstation, id: 'ws-2' } } as Caller;
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    let cursor = 0;
    for (;;) {
      const page = JSON.parse((await sync.pullJson(reader, { cursor, limit: 5000 })).bytes().toString()) as { cursor: number; more: boolean };
      cursor = page.cursor;
      if (!page.more) break;
    }
    const pullCpu = cpuS(c1);
    const pullS = (performance.now() - t1) / 1000;
    console.log(
      `bench=sync-push-cpu database=${engine} rows=${ops.length} push_cpu_s=${round(pushCpu)} push_s=${round(pushS)} pull_cpu_s=${round(pullCpu)} pull_s=${round(pullS)}`,
    );
  } finally {
    await storage.close();
    await pg?.stop();
    tmp.cleanup();
  }
}

function cpuS(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
