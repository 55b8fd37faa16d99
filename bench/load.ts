/**
 * bench:load — 200 simulated consoles (WebSocket connections, not browsers) pushing 5 ops a
 * second each for 60 s against two server instances on one PostgreSQL cluster (durable: fsync
 * on), then every acknowledged op looked for in the change log (tests/helpers/load-run.ts).
 * Target (issue 17): push p99 ≤ 50 ms, 0 lost, 0 duplicated.
 * BENCH_LOAD_CONSOLES, BENCH_LOAD_SECONDS, BENCH_LOAD_RATE change the size.
 */
import { runLoad } from '../tests/helpers/load-run';
import { machine, round } from './lib';

async function main(): Promise<void> {
  const consoles = Number(process.env.BENCH_LOAD_CONSOLES ?? 200);
  const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
  const rate = Number(process.env.BENCH_LOAD_RATE ?? 5);
  const r = await runLoad({ consoles, seconds, rate, durable: true, log: (line) => console.error(line) });
  console.error(`machine: ${machine()}; ${r.pushes} pushes, p50 ${round(r.pushP50Ms)} ms, ${r.ops} ops acknowledged`);
  console.log(`bench=load consoles=${r.consoles} ops_s=${round(r.opsPerSecond, 1)} push_p99_ms=${round(r.pushP99Ms)} lost=${r.lost} duplicated=${r.duplicated}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
