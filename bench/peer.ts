/**
 * bench:peer — the 220,000 rows of bench:sync (20,000 cases, 200,000 timeline events: the same
 * rows, from bench/sync-data.ts) replicated two ways in one run, on loopback:
 * - Tandem: its own full sync, as bench:sync measures it (bench/sync-run.ts: server and source
 *   console each in their own process, the empty target online throughout, until the last row
 *   is on the target; no local writes beside it).
 * - PouchDB, the offline-first replication people reach for first: a local PouchDB holding the
 *   rows replicates to an express-pouchdb server (its own process, in-memory databases) while an
 *   empty PouchDB pulls from it (live), until the last row is on the empty one. Memory adapter,
 *   PouchDB's default batch size (BENCH_POUCH_BATCH to change it).
 * Prints `bench=peer rows=<n> tandem_s=<x> pouchdb_s=<y> speedup=<y/x>`.
 * Environment: BENCH_CASES, BENCH_EVENTS_PER_CASE (a small smoke: BENCH_CASES=200).
 */
import { createRequire } from 'node:module';
import { forkTs } from '../tests/helpers/fork-ts';
import { machine, round } from './lib';
import { lastRowId, syncRows } from './sync-data';
import { tandemFullSync, withTimeout } from './sync-run';

const CASES = Number(process.env.BENCH_CASES ?? 20_000);
const EVENTS_PER_CASE = Number(process.env.BENCH_EVENTS_PER_CASE ?? 10);
const POUCH_BATCH = Number(process.env.BENCH_POUCH_BATCH ?? 100);

const require = createRequire(import.meta.url);
interface Replication extends PromiseLike<unknown> {
  on(event: 'change' | 'error' | 'complete' | 'paused', cb: (x: unknown) => void): Replication;
  cancel(): void;
}
interface PouchDb {
  bulkDocs(docs: object[]): Promise<{ error?: boolean }[]>;
  get(id: string): Promise<unknown>;
  info(): Promise<{ doc_count: number }>;
  replicate: { to(target: string | PouchDb, o?: object): Replication; from(source: string | PouchDb, o?: object): Replication };
  destroy(): Promise<unknown>;
}
type PouchStatic = { new (name: string, o?: object): PouchDb; plugin(p: unknown): PouchStatic };
const PouchDB = (require('pouchdb-core') as PouchStatic).plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http')).plugin(require('pouchdb-replication'));

async function pouchFullSync(at: string): Promise<{ seconds: number; rows: number }> {
  const server = forkTs(new URL('./peer-server.ts', import.meta.url), {});
  const port = await new Promise<number>((resolve, reject) => {
    server.once('message', (m: { port: number }) => resolve(m.port));
    server.once('exit', (code) => reject(new Error(`the PouchDB server exited with ${code}`)));
  });
  const remote = `http://127.0.0.1:${port}/bench`;
  const source = new PouchDB(`peer-source-${process.pid}`, { adapter: 'memory' });
  const target = new PouchDB(`peer-target-${process.pid}`, { adapter: 'memory' });
  try {
    // Seeded before the clock, as Tandem's source is.
    let batch: object[] = [];
    let rows = 0;
    const flush = async () => {
      const res = await source.bulkDocs(batch);
      if (res.some((r) => r.error)) throw new Error('PouchDB refused a seeded row');
      batch = [];
    };
    for (const row of syncRows(CASES, EVENTS_PER_CASE, at)) {
      batch.push({ _id: row.id, entity: row.entity, ...row.fields });
      rows++;
      if (batch.length === 5000) await flush();
    }
    if (batch.length) await flush();
    // The server's database exists before either side starts (as Tandem's server does).
    await new PouchDB(remote).info();

    const lastId = lastRowId(CASES, EVENTS_PER_CASE);
    let resolveDone: () => void = () => undefined;
    let rejectDone: (e: unknown) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const start = performance.now();
    const pull = target.replicate.from(remote, { live: true, retry: true, batch_size: POUCH_BATCH });
    pull.on('change', (info) => {
      const docs = (info as { docs?: { _id: string }[] }).docs ?? [];
      if (docs.some((d) => d._id === lastId)) resolveDone();
    });
    pull.on('error', rejectDone);
    const push = source.replicate.to(remote, { batch_size: POUCH_BATCH });
    push.on('error', rejectDone);
    await withTimeout(done, 1_800_000, 'PouchDB replication');
    const seconds = (performance.now() - start) / 1000;
    pull.cancel();
    await push;
    const n = (await target.info()).doc_count;
    if (n !== rows) throw new Error(`the PouchDB target holds ${n} rows after replication, not ${rows}`);
    return { seconds, rows };
  } finally {
    await source.destroy().catch(() => undefined);
    await target.destroy().catch(() => undefined);
    const exited = new Promise((r) => server.once('exit', r));
    server.send({ t: 'close' });
    await exited;
  }
}

async function main(): Promise<void> {
  const at = new Date().toISOString();
  const tandem = await tandemFullSync(CASES, EVENTS_PER_CASE, at);
  console.error(`tandem: ${tandem.rows} rows in ${round(tandem.seconds)} s`);
  const pouch = await pouchFullSync(at);
  console.error(`pouchdb: ${pouch.rows} rows in ${round(pouch.seconds)} s (batch_size ${POUCH_BATCH}); machine: ${machine()}`);
  console.log(`bench=peer rows=${tandem.rows} tandem_s=${round(tandem.seconds)} pouchdb_s=${round(pouch.seconds)} speedup=${round(pouch.seconds / tandem.seconds)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
