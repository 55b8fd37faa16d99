import { startPgCluster, type PgCluster } from './pg-cluster';
import { exactlyOnce, readWholeLog, signIn, SimConsole, startInstance, type Instance } from './sim-console';

/**
 * The load run (issue 17): `consoles` simulated consoles (WebSocket connections, no browser),
 * spread over two server instances in their own processes on one throwaway PostgreSQL cluster,
 * each pushing `rate` ops a second (one op per push, as a console typing does) for `seconds`.
 * Then every acknowledged op is looked for in the change log: lost, duplicated.
 * bench/load.ts runs it full size; tests/integration/server.load.test.ts small.
 */
export interface LoadResult {
  consoles: number;
  seconds: number;
  ops: number;
  opsPerSecond: number;
  pushes: number;
  pushP50Ms: number;
  pushP99Ms: number;
  lost: number;
  duplicated: number;
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function runLoad(opts: { consoles: number; seconds: number; rate: number; durable?: boolean; log?: (line: string) => void }): Promise<LoadResult> {
  const log = opts.log ?? (() => undefined);
  let pg: PgCluster | null = null;
  const instances: Instance[] = [];
  const sims: SimConsole[] = [];
  try {
    pg = await startPgCluster({ durable: opts.durable });
    const databaseUrl = await pg.createDatabase();
    // One after the other: the first migrates the database.
    for (let i = 0; i < 2; i++) instances.push(await startInstance({ databaseUrl, rateLimits: false, pingIntervalMs: 2000 }));
    log(`two instances on ${instances.map((i) => i.url).join(', ')}`);
    const password = 'load-test-password-1';
    const users = Math.min(opts.consoles, 20);
    for (let u = 0; u < users; u++) await instances[0].addUser({ username: `disp${u}`, password, name: `Dispatcher ${u}`, role: 'dispatcher' });
    await instances[0].addUser({ username: 'reader', password, name: 'Reader', role: 'supervisor' });
    const wsUrls = instances.map((i) => i.wsUrl);
    // Sign in a few at a time (argon2 per sign-in), each console on its own workstation, half on each instance.
    const replicas: string[] = [];
    for (let start = 0; start < opts.consoles; start += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, opts.consoles - start) }, async (_, k) => {
          const n = start + k;
          const home = instances[n % 2];
          const headers = await signIn(home.url, await home.createEnrollmentToken(`load-${n}`), `load-${n}`, `disp${n % users}`, password);
          return { n, headers };
        }),
      );
      for (const { n, headers } of batch) {
        const replica = `load-${n}-${process.pid}`;
        replicas[n] = replica;
        sims[n] = new SimConsole({ wsUrls, headers, replica, first: n % 2 });
      }
    }
    // The reader that checks the log at the end, signed in before the load (not behind it).
    const readerHeaders = await signIn(instances[1].url, await instances[1].createEnrollmentToken('reader'), 'reader', 'reader', password);
    for (const s of sims) s.start();
    await Promise.all(sims.map((s) => s.linkedNow()));
    log(`${sims.length} consoles linked`);

    const interval = 1000 / opts.rate;
    const t0 = performance.now();
    const end = t0 + opts.seconds * 1000;
    // Each console on its own timer, spread over the interval; the op is an incident a dispatcher types.
    await Promise.all(
      sims.map(
        (s, n) =>
          new Promise<void>((resolve) => {
            const tick = () => {
              if (performance.now() >= end) return resolve();
              const seq = s.made + 1;
              const at = new Date().toISOString();
              s.add('incident', `inc-${replicas[n]}-${seq}`, {
                number: `L-${n}-${seq}`,
                source: 'manual',
                type: 'Welfare check',
                priority: null,
                status: 'open',
                location: `${seq} Main St`,
                callbackNumber: null,
                callerName: null,
                notes: null,
                cautions: null,
                eligibility: null,
                eidoRaw: null,
                eidoUpdatedAt: null,
                createdAt: at,
                createdBy: 'load',
                updatedAt: at,
              });
              const next = t0 + (Math.floor((performance.now() - t0) / interval) + 1) * interval + (n / sims.length) * interval;
              setTimeout(tick, Math.max(0, next - performance.now()));
            };
            setTimeout(tick, (n / sims.length) * interval);
          }),
      ),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const drained = await Promise.all(sims.map((s) => s.drained(30_000)));
    if (drained.some((d) => !d)) log(`${drained.filter((d) => !d).length} consoles still had ops unacknowledged after 30 s`);
    const wholeLog = await readWholeLog(instances[1].url, readerHeaders);
    const byReplica = new Map(sims.map((s, n) => [s, replicas[n]]));
    const { lost, duplicated } = exactlyOnce(sims, wholeLog, (s) => byReplica.get(s)!);
    const pushMs = sims.flatMap((s) => s.pushMs);
    const ops = sims.reduce((a, s) => a + s.acked, 0);
    return {
      consoles: sims.length,
      seconds: opts.seconds,
      ops,
      opsPerSecond: ops / elapsed,
      pushes: pushMs.length,
      pushP50Ms: percentile(pushMs, 50),
      pushP99Ms: percentile(pushMs, 99),
      lost: lost + sims.reduce((a, s) => a + s.pending, 0),
      duplicated,
    };
  } finally {
    for (const s of sims) s?.close();
    for (const i of instances) await i.close().catch(() => i.kill());
    await pg?.stop();
  }
}
