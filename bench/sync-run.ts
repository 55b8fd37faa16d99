/**
 * Tandem's full sync as bench:sync measures it, shared with bench:peer: a sync server in its
 * own process, the source console in its own (bench/sync-source.ts) holding the rows of
 * bench/sync-data.ts, and an empty receiving console online throughout. The clock runs from the
 * source going online until the last row is on the target.
 */
import { startCluster, until } from '../tests/helpers/cluster';
import { forkTs } from '../tests/helpers/fork-ts';
import { randomKey } from '../tests/helpers/tmp';
import { lastRowId } from './sync-data';
import path from 'node:path';

/** The source console in its own process (bench/sync-source.ts), driven over IPC. */
export function startSource(config: object) {
  const child = forkTs(new URL('./sync-source.ts', import.meta.url), { TANDEM_BENCH_SOURCE: JSON.stringify(config) });
  const next = (t: string) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (m: { t: string }) => {
        if (m.t !== t) return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the source console exited with ${code} waiting for ${t}`)));
    });
  return { child, next, send: (m: object) => child.send(m) };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const late = new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out`)), ms).unref());
  return Promise.race([p, late]);
}

/** Seconds for Tandem's full sync of `cases` cases with their events (no local writes beside it). */
export async function tandemFullSync(cases: number, eventsPerCase: number, at: string): Promise<{ seconds: number; rows: number }> {
  const cluster = await startCluster({ serverProcess: true });
  try {
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
    source.send({ t: 'seed', cases, eventsPerCase, at });
    await source.next('seeded');
    const rows = cases * (1 + eventsPerCase);
    const target = await cluster.console('target', 'sam');
    await until(() => target.syncStatus().state === 'online', 5000);
    // Pages are applied in log order and the last row was written last (see bench/sync.ts).
    const lastRow = target.store.db.prepare('SELECT 1 FROM case_event WHERE id = ?');
    const lastId = lastRowId(cases, eventsPerCase);
    let resolvePulled: () => void = () => undefined;
    const pulled = new Promise<void>((resolve) => (resolvePulled = resolve));
    const off = target.on('data.changed', () => {
      if (lastRow.get(lastId)) resolvePulled();
    });
    const start = performance.now();
    source.send({ t: 'go' });
    await withTimeout(pulled, 900_000, 'Tandem full sync');
    const seconds = (performance.now() - start) / 1000;
    off();
    const n = (target.store.db.prepare('SELECT (SELECT count(*) FROM case_file) + (SELECT count(*) FROM case_event) AS n').get() as { n: number }).n;
    if (n !== rows) throw new Error(`the Tandem target holds ${n} rows after the sync, not ${rows}`);
    const exited = new Promise((r) => source.child.once('exit', r));
    source.send({ t: 'close' });
    await exited;
    return { seconds, rows };
  } finally {
    await cluster.close();
  }
}
