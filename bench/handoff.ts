/**
 * bench:handoff — 1,000 live handoffs from a dispatcher core to a clinician core through a
 * sync server on loopback, each timed from the dispatcher's request to the clinician core's
 * `handoff.ringing` event. The floor, in the same run: a loopback WebSocket echo round trip
 * plus one durable SQLite commit (WAL, synchronous=FULL).
 */
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { WebSocketServer, WebSocket } from 'ws';
import { startCluster, until } from '../tests/helpers/cluster';
import type { Handoff, Incident } from '../src/shared/entities';
import { machine, percentile, round } from './lib';

const N = Number(process.env.BENCH_HANDOFFS ?? 1000);

async function main(): Promise<void> {
  const cluster = await startCluster({ server: { handoffTimeoutMs: 60_000 } });
  await cluster.addUser('dana', 'dispatcher', 'Dana Reyes');
  await cluster.addUser('chris', 'clinician', 'Chris Okafor');
  const dispatcher = await cluster.console('dispatch', 'dana');
  const clinician = await cluster.console('clinician', 'chris');
  await until(() => dispatcher.syncStatus().state === 'online' && clinician.syncStatus().state === 'online', 5000);
  const incident = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '1 Main St' })) as Incident;
  await until(() => dispatcher.syncStatus().pending === 0);

  // Ring times by handoff id; the ring can arrive before the request's own answer does.
  const rangAt = new Map<string, number>();
  clinician.on('handoff.ringing', (h: Handoff) => rangAt.set(h.id, performance.now()));
  const latencies: number[] = [];
  for (let i = 0; i < N + 20; i++) {
    const t0 = performance.now();
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    await until(() => rangAt.has(h.id), 5000, `ring ${i}`);
    if (i >= 20) latencies.push(rangAt.get(h.id)! - t0); // the first 20 warm up
    await dispatcher.call('handoff.cancel', { id: h.id });
    // Handoffs come seconds apart on a real floor: let both consoles settle (the cancel
    // synced everywhere) so each measurement starts from a quiet link, not behind the
    // previous one's pulls.
    const settled = (c: typeof dispatcher) => c.store.read<Handoff>('handoff', h.id)?.state === 'cancelled';
    await until(() => settled(dispatcher) && settled(clinician), 5000, `settle ${i}`);
  }
  const floor = await floorRoundTrips(N, cluster.dir);
  await cluster.close();

  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const floorP99 = percentile(floor, 99);
  console.error(`machine: ${machine()}; floor p50 ${round(percentile(floor, 50), 3)} ms`);
  console.log(`bench=handoff n=${N} p50_ms=${round(p50)} p99_ms=${round(p99)} floor_p99_ms=${round(floorP99)} ratio_p99=${round(p99 / floorP99)}`);
}

/** A WebSocket echo on loopback followed by one durable SQLite commit, N times. */
async function floorRoundTrips(n: number, dir: string): Promise<number[]> {
  const db = new Database(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t(v) VALUES (?)');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
  await new Promise((r) => client.once('open', r));
  const out: number[] = [];
  const payload = JSON.stringify({ t: 'req', id: 1, m: 'handoff.request', p: { id: 'hof_x', incidentId: 'inc_x', mode: 'live', note: null } });
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      client.once('message', () => resolve());
      client.send(payload);
    });
    ins.run(payload);
    out.push(performance.now() - t0);
  }
  client.close();
  wss.close();
  db.close();
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
