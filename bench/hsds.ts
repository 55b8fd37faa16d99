/**
 * bench:hsds — a directory the size of a large region (40,000 services, each at one or two
 * of 30,000 shared locations, with phones, languages, taxonomy and weekly hours), generated
 * as an HSDS 3 package in a temporary folder, then, through a real workstation core (its
 * encrypted store, its router, as the console calls it):
 *   - import: `directory.import` from the folder to searchable: the files read and parsed
 *     on the import's worker thread, every changed service written through the replica
 *     store (one transaction), the search index built. Each stage's time comes from the
 *     core's `directory.import.progress` events;
 *   - search: a mix of free-text, need, language, age, taxonomy and open-now queries through
 *     `directory.search`, each answering the top 50 (as the directory view asks), timed one
 *     by one. A few are checked against the reference ranking (rankServices) on the way.
 * Last line: bench=hsds services=… import_s=… search_p99_ms=…
 * Environment: BENCH_SERVICES (default 40000), BENCH_QUERIES (default 500).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCore } from '../src/main/core';
import type { DirectoryQuery } from '../src/shared/contract';
import { parseHsdsPackage, rankServices } from '../src/shared/directory';
import { readHsdsFolder } from '../src/server/import-hsds';
import { rng } from './caseload-data';
import { writeDirectoryPackage } from './hsds-data';
import { machine, percentile, round } from './lib';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 40_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 500);
const LIMIT = 50;
/** The core's clock: a Wednesday, 11:30 in Boston. */
const AT = new Date('2025-06-04T15:30:00Z');
const ZONE = 'America/New_York';

function log(msg: string): void {
  console.error(msg);
}

/** A realistic mix: what a clinician types or picks in the directory view. */
function queries(n: number): DirectoryQuery[] {
  const random = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const texts = ['counsel', 'crisis', 'food', 'shelter', 'legal help', 'recovery', 'youth mentoring', 'senior meals', 'clinic', 'veterans', 'harbor', 'riverside couns', 'eviction', 'bus pass', 'walk'];
  const needs = ['mental_health', 'crisis', 'housing', 'food', 'substance_use', 'legal', 'youth', 'older_adults', 'domestic_violence', 'transportation'];
  const make: (() => DirectoryQuery)[] = [
    () => ({ text: pick(texts) }),
    () => ({ need: pick(needs) }),
    () => ({ need: pick(needs), openNow: true }),
    () => ({ text: pick(texts), language: pick(['es', 'Spanish', 'ht', 'vi']) }),
    () => ({ need: pick(needs), age: 16 + Math.floor(random() * 60) }),
    () => ({ taxonomyTerm: pick(['BA', 'BD-1300', 'Food Pantry', 'term-4']) }),
    () => ({ openNow: true }),
    () => ({ language: pick(['pt', 'ar', 'zh']) }),
    () => ({}),
  ];
  return Array.from({ length: n }, () => ({ ...pick(make)(), limit: LIMIT }));
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-hsds-'));
  const pkgDir = path.join(dir, 'package');
  fs.mkdirSync(pkgDir);
  // Schedules that name no zone are read in the directory's zone, as on a console in Boston.
  process.env.TZ = ZONE;
  const core = await createCore({ profileDir: path.join(dir, 'console'), key: crypto.randomBytes(32), demo: true, workstationName: 'bench', now: () => AT.getTime() });
  try {
    // The shared directory is managed by a supervisor (issue 13).
    await core.call('session.demoSignIn', { role: 'supervisor' });
    const g0 = performance.now();
    const pkg = writeDirectoryPackage(pkgDir, SERVICES);
    log(`generated ${pkg.services} services at ${pkg.locations} locations, ${round(pkg.bytes / 2 ** 20, 1)} MiB of CSV in ${round((performance.now() - g0) / 1000)} s`);

    const stages: [string, number][] = [];
    const off = core.on('directory.import.progress', (p) => {
      if (stages.at(-1)?.[0] !== p.stage) stages.push([p.stage, performance.now()]);
    });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = (await core.call('directory.import', { dir: pkgDir })) as { services: number; added: number; rejectedCount: number; hoursUnknown: number; summary: { services: Record<string, number> } };
    const importMs = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    off();
    const importS = importMs / 1000;
    const steps = stages.map(([stage, at], i) => `${stage} ${round(((stages[i + 1]?.[1] ?? t0 + importMs) - at) / 1000)} s`);
    log(`import: ${steps.join(', ')} → ${round(importS)} s wall (main thread CPU ${round((cpu.user + cpu.system) / 1e6)} s; the parse's CPU is on the worker)`);
    const s = report.summary.services;
    log(`  ${report.services} services (${s.withPhone} with a phone, ${s.withAddress} with an address, ${s.withHours} with hours, ${report.hoursUnknown} hours unknown); ${report.rejectedCount} rows rejected`);

    const qs = queries(QUERIES);
    for (const q of qs.slice(0, 20)) await core.call('directory.search', q); // warm-up: JIT, not caches (every query starts cold)
    // The console's answer is the reference's (parsed again here, outside the timing).
    const reference = parseHsdsPackage(readHsdsFolder(pkgDir)).services;
    for (const q of [qs[0], qs[2], qs[6]] as DirectoryQuery[]) {
      const mine = ((await core.call('directory.search', q)) as { rows: { id: string }[] }).rows.map((r) => r.id);
      const ref = rankServices(reference, { ...q, at: AT, timezone: ZONE }).slice(0, LIMIT).map((r) => r.service.id);
      if (JSON.stringify(mine) !== JSON.stringify(ref)) throw new Error(`the console and the reference differ for ${JSON.stringify(q)}`);
    }
    const times: number[] = [];
    const cpus: number[] = [];
    const slowest = new Map<string, number>();
    let hits = 0;
    for (const q of qs) {
      const qc = process.cpuUsage();
      const q0 = performance.now();
      const r = (await core.call('directory.search', q)) as { total: number };
      const ms = performance.now() - q0;
      const c = process.cpuUsage(qc);
      times.push(ms);
      cpus.push((c.user + c.system) / 1000);
      const kind = Object.keys(q).filter((k) => k !== 'limit').join('+') || 'no criteria';
      slowest.set(kind, Math.max(slowest.get(kind) ?? 0, ms));
      hits += r.total;
    }
    const p50 = round(percentile(times, 50));
    const p99 = round(percentile(times, 99));
    log(`search: ${qs.length} queries through directory.search, top ${LIMIT} of ${round(hits / qs.length, 0)} matches on average; p50 ${p50} ms, p99 ${p99} ms, max ${round(Math.max(...times))} ms`);
    log(`  CPU per query: p50 ${round(percentile(cpus, 50))} ms, p99 ${round(percentile(cpus, 99))} ms (wall minus CPU is time the machine gave to others)`);
    log(`  slowest by kind (wall): ${[...slowest].sort((a, b) => b[1] - a[1]).map(([k, ms]) => `${k} ${round(ms, 1)}`).join(', ')}`);
    log(`machine: ${machine()}, load ${os.loadavg().map((x) => round(x, 1)).join(' ')}`);
    console.log(`bench=hsds services=${pkg.services} import_s=${round(importS)} search_p99_ms=${p99}`);
  } finally {
    core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
