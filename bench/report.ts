/**
 * bench:report — the program dashboard's month view (every measure by day for one calendar
 * month) over a year of activity: 100,000 cases and 50,000 live handoffs, with their contacts,
 * screenings, referrals and follow-up tasks (bench/report-data.ts).
 *   - server: the sync server's fold of its change log (src/server/report.ts), built once from
 *     the whole log (cold), then a full refresh per request (read the ops since, compute);
 *   - console: report.own through the core's router (validation, role check, audit) from the
 *     clinician's encrypted store, and the same month for everything the store holds.
 * The server's ECC report and the console's report of everything it holds are compared
 * measure by measure: they must agree.
 * Last line: bench=report cases=… handoffs=… server_p99_ms=… console_p99_ms=… …
 * Environment: BENCH_CASES, BENCH_HANDOFFS, BENCH_ITER.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCore } from '../src/main/core';
import { reportService } from '../src/main/core/services/report';
import { openSqliteStorage } from '../src/server/storage/sqlite';
import { ReportFold } from '../src/server/report';
import { computeReport, MEASURE_IDS, ReportQuery, type Report } from '../src/shared/report/measures';
import { encodeHlc } from '../src/shared/hlc';
import { reportRows, writeToConsole } from './report-data';
import { machine, percentile, round } from './lib';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const HANDOFFS = Number(process.env.BENCH_HANDOFFS ?? 50_000);
const ITER = Number(process.env.BENCH_ITER ?? 100);
const ZONE = 'America/New_York';
const CLINICIANS = ['u-chris', 'u-sam', 'u-kim', 'u-lee', 'u-ola', 'u-ravi'];

const log = (msg: string) => console.error(msg);

function stats(name: string, xs: number[]): { p50: number; p99: number } {
  const p50 = round(percentile(xs, 50));
  const p99 = round(percentile(xs, 99));
  log(`${name}: p50 ${p50} ms, p99 ${p99} ms, max ${round(Math.max(...xs))} ms (${xs.length} runs)`);
  return { p50, p99 };
}

/** Wall and CPU (this process, user + system) milliseconds of one call: on a shared machine CPU says what the code costs. */
async function timed(fn: () => unknown, wall: number[], cpu: number[]): Promise<void> {
  const c = process.cpuUsage();
  const s = performance.now();
  await fn();
  wall.push(performance.now() - s);
  const d = process.cpuUsage(c);
  cpu.push((d.user + d.system) / 1000);
}

function differences(a: Report, b: Report): string[] {
  return MEASURE_IDS.filter((id) => JSON.stringify(a.series[id]) !== JSON.stringify(b.series[id]) || a.totals[id] !== b.totals[id]);
}

async function main(): Promise<void> {
  log(`bench:report on ${machine()}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-report-'));
  const year = { from: Date.parse('2025-01-01T05:00:00Z'), to: Date.parse('2026-01-01T05:00:00Z') };
  const opts = { cases: CASES, handoffs: HANDOFFS, ...year, clinicians: CLINICIANS };
  // The month view: June 2025, by day.
  const q = ReportQuery.parse({ from: '2025-06-01', to: '2025-06-30', grain: 'day', zone: ZONE });
  const now = new Date('2025-07-15T12:00:00Z');
  try {
    // --- server
    const storage = openSqliteStorage(path.join(dir, 'server.db'));
    let t = performance.now();
    let seq = 0;
    const rows = [...reportRows(opts)];
    await storage.transaction(async (tx) => {
      for (const r of rows) {
        seq++;
        await tx.appendChange({ replica: 'bench-ws', seq, hlc: encodeHlc({ ms: year.from + seq, counter: 0, replica: 'bench-ws' }), entity: r.entity, id: r.id, fields: r.fields });
      }
    });
    log(`server: ${rows.length} ops in the change log in ${round((performance.now() - t) / 1000)} s`);
    const fold = new ReportFold(storage);
    t = performance.now();
    const first = await fold.report(q, now);
    const coldMs = round(performance.now() - t);
    log(`server: fold built from the whole log and the month computed in ${coldMs} ms (cold)`);
    const server: number[] = [];
    const serverCpu: number[] = [];
    for (let i = 0; i < ITER; i++) {
      // A few new ops between refreshes, as a live ECC has.
      await storage.transaction(async (tx) => {
        seq++;
        await tx.appendChange({ replica: 'bench-ws', seq, hlc: encodeHlc({ ms: year.from + seq, counter: 0, replica: 'bench-ws' }), entity: 'case_event', id: `new-${i}`, fields: { caseId: 'c-1', at: '2025-06-10T15:00:00.000Z', kind: 'note', authorId: 'u-chris', authorName: 'x', body: {}, corrects: null } });
      });
      await timed(() => fold.report(q, now), server, serverCpu);
    }
    const serverStats = stats('server: month view, full refresh (new ops read, every measure computed)', server);
    const serverCpuStats = stats('server: the same, CPU time', serverCpu);

    // --- console
    const profile = path.join(dir, 'console');
    const core = await createCore({ profileDir: profile, key: Buffer.alloc(32, 7), demo: true, now: () => now.getTime() });
    await core.call('session.demoSignIn', { role: 'clinician' });
    t = performance.now();
    writeToConsole(core.store.db, rows);
    log(`console: ${rows.length} rows written to the store in ${round((performance.now() - t) / 1000)} s`);
    const own: number[] = [];
    const ownCpu: number[] = [];
    for (let i = 0; i < ITER; i++) await timed(() => core.call('report.own', q), own, ownCpu);
    const ownStats = stats("console: month view of the clinician's own figures (report.own)", own);
    const ownCpuStats = stats('console: the same, CPU time', ownCpu);
    // Everything the store holds, the same month: what a supervisor's console could show.
    const local = reportService({ store: core.store, now: () => now } as never);
    const all: number[] = [];
    const allCpu: number[] = [];
    let allReport: Report | null = null;
    for (let i = 0; i < ITER; i++) await timed(() => (allReport = computeReport(local.localFacts(q, null), q, now, 'ecc')), all, allCpu);
    const allStats = stats('console: month view of everything in the store', all);
    const allCpuStats = stats('console: the same, CPU time', allCpu);
    const differ = differences(first, allReport!);
    log(differ.length ? `DISAGREE on ${differ.join(', ')}` : 'server and console agree on every measure of the month');
    core.close();
    await storage.close();
    console.log(
      `bench=report cases=${CASES} handoffs=${HANDOFFS} ops=${rows.length} server_cold_ms=${coldMs} server_p50_ms=${serverStats.p50} server_p99_ms=${serverStats.p99} ` +
        `server_cpu_p99_ms=${serverCpuStats.p99} console_own_p50_ms=${ownStats.p50} console_own_p99_ms=${ownStats.p99} console_own_cpu_p99_ms=${ownCpuStats.p99} ` +
        `console_all_p50_ms=${allStats.p50} console_all_p99_ms=${allStats.p99} console_all_cpu_p99_ms=${allCpuStats.p99} load=${os.loadavg()[0].toFixed(1)} agree=${differ.length === 0}`,
    );
    if (differ.length) process.exitCode = 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
