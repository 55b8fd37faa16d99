/**
 * bench:sync — a workstation holding 20,000 cases and 200,000 timeline events syncs them to
 * an empty workstation through a sync server on loopback. As on an ECC floor, the server runs
 * in its own process and the receiving console is online throughout: it pulls while the
 * source pushes. The clock runs from the source going online until the last row is on the
 * target. The floor, measured in the same run: inserting the same rows into a fresh SQLite
 * file in one transaction, plus sending the same bytes over a loopback WebSocket.
 * Then an incremental sync: 1,000 ops made on one console until applied on the other.
 * Throughout the full sync the receiving console also makes single local case writes, back to
 * back (each after the last returned), up to 10,000 (BENCH_LOCAL_WRITES) or until the sync ends:
 * local_writes is how many were made, local_write_p99_ms the p99 of each write's own time, and
 * local_write_failed how many threw (SQLITE_BUSY from a checkpoint, say): issue 13 wants 0.
 * They are pushed like any local change, so they add to the sync's own work;
 * BENCH_LOCAL_WRITES=0 leaves them out.
 * `npm run bench:sync -- --database postgres` runs the server on a throwaway PostgreSQL cluster
 * (durable: fsync on, as SQLite's synchronous = FULL) instead of its SQLite file; same floor.
 * Environment: BENCH_CASES, BENCH_EVENTS_PER_CASE; TANDEM_CHILD_NODE_ARGS passes Node flags to
 * the server and source processes (see tests/helpers/fork-ts.ts). For diagnosis:
 * BENCH_CPU_TIMELINE=1 prints each process's CPU share every 250 ms of the full sync, and
 * BENCH_WINDOW=1 its start and end (and the incremental's) on the monotonic clock of --cpu-prof profiles.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { WebSocketServer, WebSocket } from 'ws';
import { startCluster, until } from '../tests/helpers/cluster';
import { startPgCluster, type PgCluster } from '../tests/helpers/pg-cluster';
import { randomKey, tempDir } from '../tests/helpers/tmp';
import { childPids, machine, round, watchCpu } from './lib';
import { caseFields, lastRowId, syncRows } from './sync-data';
import { startSource, withTimeout } from './sync-run';

const CASES = Number(process.env.BENCH_CASES ?? 20_000);
const EVENTS_PER_CASE = Number(process.env.BENCH_EVENTS_PER_CASE ?? 10);
/** Local writes made on the receiving console during the full sync, at most (issue 13: 10,000). */
const LOCAL_WRITES = Number(process.env.BENCH_LOCAL_WRITES ?? 10_000);

function engineArg(): 'sqlite' | 'postgres' {
  const i = process.argv.indexOf('--database');
  const v = i >= 0 ? process.argv[i + 1] : 'sqlite';
  if (v !== 'sqlite' && v !== 'postgres') throw new Error(`--database takes sqlite or postgres, got ${JSON.stringify(v)}`);
  return v;
}

async function main(): Promise<void> {
  const engine = engineArg();
  let pgCluster: PgCluster | null = null;
  if (engine === 'postgres') pgCluster = await startPgCluster({ durable: true });
  try {
    await run(engine, pgCluster ? await pgCluster.createDatabase('bench') : null, pgCluster?.pids ?? []);
  } finally {
    await pgCluster?.stop();
  }
}

/** `notServer`: child processes that are not the server (the PostgreSQL cluster's), left out of its CPU figure. */
async function run(engine: 'sqlite' | 'postgres', databaseUrl: string | null, notServer: number[]): Promise<void> {
  const cluster = await startCluster({ serverProcess: true, server: databaseUrl ? { databaseUrl } : {} });
  await cluster.addUser('chris', 'clinician', 'Chris Okafor');
  await cluster.addUser('sam', 'clinician', 'Sam Patel');
  const source = startSource({
    profileDir: path.join(cluster.dir, 'source'),
    key: randomKey().toString('hex'),
    serverUrl: cluster.server.url,
    token: await cluster.server.admin.createEnrollmentToken('source'),
    password: 'pw-chris-123',
  });
  await source.next('ready');

  const at = new Date().toISOString();
  const t0 = performance.now();
  source.send({ t: 'seed', cases: CASES, eventsPerCase: EVENTS_PER_CASE, at });
  await source.next('seeded');
  const rows = CASES * (1 + EVENTS_PER_CASE);
  console.error(`seeded ${rows} rows in ${round((performance.now() - t0) / 1000)} s`);

  // Measured: the source goes online and pushes everything; the empty target, online and
  // waiting, pulls as the server tells it the log moved.
  const target = await cluster.console('target', 'sam');
  await until(() => target.syncStatus().state === 'online', 5000);
  const count = () => (target.store.db.prepare('SELECT (SELECT count(*) FROM case_file) + (SELECT count(*) FROM case_event) AS n').get() as { n: number }).n;
  // The target applies pulled pages in log order, one transaction each, and the source wrote
  // the last event last: once it is on the target, so is everything before it. Looking it up
  // is one index seek; counting both tables (a scan) is done once, at the end, to check.
  const lastRow = target.store.db.prepare('SELECT 1 FROM case_event WHERE id = ?');
  const lastId = lastRowId(CASES, EVENTS_PER_CASE);
  let resolvePulled: () => void = () => undefined;
  const pulled = new Promise<void>((resolve) => (resolvePulled = resolve));
  const check = () => {
    if (lastRow.get(lastId)) resolvePulled();
  };
  let pushed = 0;
  void source.next('drained').then(() => (pushed = performance.now()));
  const off = target.on('data.changed', check);
  const serverPid = childPids().find((pid) => pid !== source.child.pid && !notServer.includes(pid)) ?? -1;
  const cpu = watchCpu({ server: serverPid, source: source.child.pid ?? -1, target: process.pid }, Boolean(process.env.BENCH_CPU_TIMELINE));
  // Local writes on the receiving console while it applies the initial sync: back to back, each
  // one after the last has returned (the event loop turns in between, so pulled pages are applied
  // as they arrive), until LOCAL_WRITES are made or the last row is on the target.
  const writeMs: number[] = [];
  let writeFailed = 0;
  let firstFailure = '';
  let syncing = true;
  const writes = (async () => {
    // BENCH_LOCAL_WRITES=0 leaves them out (to compare sync_s with runs from before they existed).
    for (let n = 0; syncing && n < LOCAL_WRITES; n++) {
      const t = performance.now();
      try {
        target.store.write('case', `local-${n}`, { ...caseFields(n, at, { id: 'u-none', name: '' }), ownerId: null, ownerName: null });
        writeMs.push(performance.now() - t);
      } catch (err) {
        writeFailed++;
        firstFailure ||= (err as Error).message;
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  const start = performance.now();
  if (process.env.BENCH_WINDOW) console.error(`window_start_us=${process.hrtime.bigint() / 1000n}`);
  source.send({ t: 'go' });
  await withTimeout(pulled, 600_000, 'full sync');
  syncing = false;
  await writes;
  off();
  const localWrites = writeMs.length; // rows they added to the target
  writeMs.sort((x, y) => x - y);
  const writeP99 = writeMs.length ? writeMs[Math.min(writeMs.length - 1, Math.floor(writeMs.length * 0.99))] : 0;
  if (writeFailed) console.error(`${writeFailed} local writes failed during the sync, first: ${firstFailure}`);
  const syncS = (performance.now() - start) / 1000;
  if (process.env.BENCH_WINDOW) console.error(`window_end_us=${process.hrtime.bigint() / 1000n}`);
  const { used: cpuUsed, timeline } = cpu.stop();
  if (timeline) console.error(timeline);
  const onTarget = count() - localWrites;
  if (onTarget !== rows) throw new Error(`the target holds ${onTarget} rows after the sync, not ${rows}`);
  // The source hears its last push acknowledged after the target may already hold every row.
  const drained = pushed ? `push drained after ${round((pushed - start) / 1000)} s` : 'push drained with the last row';
  console.error(`${drained}, last row on the target after ${round(syncS)} s; CPU used: ${cpuUsed}`);

  // Incremental: 1,000 changes on the source until all are on the target. The target is
  // checked when it reports a change (not by polling, which would load the machine it measures).
  // Unique, and not in the future: the server refuses timestamps ahead of its clock (issue 13).
  const marker = new Date().toISOString();
  const arrived = () => (target.store.db.prepare('SELECT count(*) AS n FROM case_file WHERE updatedAt = ?').get(marker) as { n: number }).n;
  const done = new Promise<void>((resolve) => {
    const off = target.on('data.changed', ({ entities }) => {
      if (entities.includes('case') && arrived() === 1000) {
        off();
        resolve();
      }
    });
  });
  const inc0 = performance.now();
  if (process.env.BENCH_WINDOW) console.error(`incremental_start_us=${process.hrtime.bigint() / 1000n}`);
  source.send({ t: 'edit', n: 1000, marker });
  await withTimeout(done, 60_000, 'incremental sync');
  const incMs = performance.now() - inc0;
  if (process.env.BENCH_WINDOW) console.error(`incremental_end_us=${process.hrtime.bigint() / 1000n}`);
  const sourceExited = new Promise((r) => source.child.once('exit', r));
  source.send({ t: 'close' });
  await sourceExited;
  await cluster.close(); // nothing else runs while the floor is measured

  // The floor, same rows and bytes: one SQLite transaction, and a loopback WebSocket.
  const floorTmp = tempDir('tandem-floor-');
  const floorDir = floorTmp.dir;
  const f0 = performance.now();
  const db = new Database(path.join(floorDir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.exec(fs.readFileSync(new URL('./floor-schema.sql', import.meta.url), 'utf8'));
  const insCase = db.prepare('INSERT INTO case_file(id, data) VALUES (?, ?)');
  const insEvt = db.prepare('INSERT INTO case_event(id, data) VALUES (?, ?)');
  const payloads: string[] = [];
  db.transaction(() => {
    for (const row of syncRows(CASES, EVENTS_PER_CASE, at)) {
      const json = JSON.stringify(row.fields);
      (row.entity === 'case' ? insCase : insEvt).run(row.id, json);
      payloads.push(json);
    }
  })();
  db.close();
  const sqliteFloor = (performance.now() - f0) / 1000;
  const wsFloor = await websocketFloor(payloads);
  const floorS = sqliteFloor + wsFloor;

  floorTmp.cleanup();
  console.error(`machine: ${machine()}; floor: sqlite ${round(sqliteFloor)} s + websocket ${round(wsFloor)} s`);
  console.log(`bench=sync database=${engine} rows=${rows} sync_s=${round(syncS)} floor_s=${round(floorS)} ratio=${round(syncS / floorS)} incremental_1k_ms=${round(incMs, 1)} local_writes=${localWrites + writeFailed} local_write_p99_ms=${round(writeP99, 1)} local_write_failed=${writeFailed}`);
}

/** Sends the same JSON payloads, in 5,000-row pages, through a loopback WebSocket and waits for all. */
async function websocketFloor(payloads: string[]): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 256 * 2 ** 20 });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const pages: string[] = [];
  for (let i = 0; i < payloads.length; i += 5000) pages.push(`[${payloads.slice(i, i + 5000).join(',')}]`);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    wss.on('connection', (ws) => pages.forEach((p) => ws.send(p)));
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { maxPayload: 256 * 2 ** 20 });
    let got = 0;
    client.on('message', (m) => {
      got += (JSON.parse(m.toString()) as unknown[]).length;
      if (got === payloads.length) {
        client.close();
        resolve();
      }
    });
  });
  const s = (performance.now() - t0) / 1000;
  wss.close();
  return s;
}

main().then(
  // After everything is closed the process still lingers for minutes with no handle listed
  // (something native holds the loop); the figures are out, so end here.
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
