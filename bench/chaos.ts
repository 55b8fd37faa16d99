/**
 * bench:chaos — 1,000 live handoffs and a steady stream of pushes from 10 simulated consoles
 * over two server instances on one PostgreSQL cluster, while every few seconds one instance is
 * killed (SIGKILL) and restarted, a console's link is cut, or database connections are cut
 * (tests/helpers/chaos-run.ts). Target (issue 17): every handoff rings or reports failure
 * within 2 s (silent=0), every acknowledged op on every console exactly once (lost=0
 * duplicated=0). BENCH_CHAOS_HANDOFFS, BENCH_CHAOS_CONSOLES change the size.
 */
import { runChaos } from '../tests/helpers/chaos-run';
import { machine, round } from './lib';

async function main(): Promise<void> {
  const handoffs = Number(process.env.BENCH_CHAOS_HANDOFFS ?? 1000);
  const consoles = Number(process.env.BENCH_CHAOS_CONSOLES ?? 10);
  const r = await runChaos({ handoffs, consoles, log: (line) => console.error(line) });
  console.error(`machine: ${machine()}; ${r.kills} kills, ${r.cuts} cuts; ${r.rang} rang, ${r.reportedFailed} reported failed; ${r.ops} ops acknowledged`);
  console.log(
    `bench=chaos handoffs=${r.handoffs} consoles=${consoles} rang=${r.rang} reported_failed=${r.reportedFailed} silent=${r.silent} worst_ms=${round(r.worstMs)} kills=${r.kills} ops=${r.ops} refused=${r.refused} lost=${r.lost} duplicated=${r.duplicated} consoles_wrong=${r.consolesWrong}`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
