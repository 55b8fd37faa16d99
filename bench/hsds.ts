/**
 * bench:hsds — a directory the size of a large region (40,000 services, each at one or two
 * of 30,000 shared locations, with phones, languages, taxonomy and weekly hours), generated
 * as an HSDS 3 package in a temporary folder, then:
 *   - import: the package's files read, parsed (parseHsdsPackage: every table, every join)
 *     and made searchable (the shared ServiceSearchIndex built);
 *   - search: a mix of free-text, need, language, age, taxonomy and open-now queries, each
 *     answering the top 50 (as the directory view asks), timed one by one.
 * A few queries are checked against the reference ranking (rankServices) on the way.
 * Last line: bench=hsds services=… import_s=… search_p99_ms=…
 * Environment: BENCH_SERVICES (default 40000), BENCH_QUERIES (default 500).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readHsdsFolder } from '../src/server/import-hsds';
import { ServiceSearchIndex, parseHsdsPackage, rankServices, type ServiceQuery } from '../src/shared/directory';
import { rng } from './caseload-data';
import { writeDirectoryPackage } from './hsds-data';
import { machine, percentile, round } from './lib';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 40_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 500);
const LIMIT = 50;

function log(msg: string): void {
  console.error(msg);
}

/** Wall time; the CPU time of the step is logged too, since the bench machine may be shared. */
const cpuLog: string[] = [];
function time<T>(fn: () => T, label?: string): [T, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  if (label) {
    const c = process.cpuUsage(c0);
    cpuLog.push(`${label} ${round(ms)} ms wall / ${round((c.user + c.system) / 1000)} ms CPU`);
  }
  return [out, ms];
}

/** A realistic mix: what a clinician types or picks in the directory view. */
function queries(n: number, at: Date): ServiceQuery[] {
  const random = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const texts = ['counsel', 'crisis', 'food', 'shelter', 'legal help', 'recovery', 'youth mentoring', 'senior meals', 'clinic', 'veterans', 'harbor', 'riverside couns', 'eviction', 'bus pass', 'walk'];
  const needs = ['mental_health', 'crisis', 'housing', 'food', 'substance_use', 'legal', 'youth', 'older_adults', 'domestic_violence', 'transportation'];
  const make: (() => ServiceQuery)[] = [
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
  return Array.from({ length: n }, () => ({ ...pick(make)(), at, timezone: 'America/New_York' }));
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-hsds-'));
  try {
    const [pkg, genMs] = time(() => writeDirectoryPackage(dir, SERVICES));
    log(`generated ${pkg.services} services at ${pkg.locations} locations, ${round(pkg.bytes / 2 ** 20, 1)} MiB of CSV in ${round(genMs / 1000)} s`);
    const [files, readMs] = time(() => readHsdsFolder(dir), 'read');
    const [parsed, parseMs] = time(() => parseHsdsPackage(files), 'parse');
    const [index, indexMs] = time(() => new ServiceSearchIndex(parsed.services), 'index');
    const importS = (readMs + parseMs + indexMs) / 1000;
    const s = parsed.summary.services;
    log(`import: ${cpuLog.join(', ')} → ${round(importS)} s`);
    log(`  ${s.imported} services (${s.withPhone} with a phone, ${s.withAddress} with an address, ${s.withHours} with hours); ${parsed.rejected.length} rows rejected`);

    const at = new Date('2025-06-04T15:30:00Z'); // a Wednesday, 11:30 in Boston
    const qs = queries(QUERIES, at);
    for (const q of qs.slice(0, 20)) index.search(q, LIMIT); // warm-up: JIT, not caches (every query starts cold)
    for (const q of [qs[0], qs[2], qs[6]] as ServiceQuery[]) {
      const mine = index.search(q, LIMIT).results.map((r) => r.service.id);
      const ref = rankServices(parsed.services, q).slice(0, LIMIT).map((r) => r.service.id);
      if (JSON.stringify(mine) !== JSON.stringify(ref)) throw new Error(`index and reference differ for ${JSON.stringify(q)}`);
    }
    const times: number[] = [];
    const cpu: number[] = [];
    const slowest = new Map<string, number>();
    let hits = 0;
    for (const q of qs) {
      const c0 = process.cpuUsage();
      const [r, ms] = time(() => index.search(q, LIMIT));
      const c = process.cpuUsage(c0);
      times.push(ms);
      cpu.push((c.user + c.system) / 1000);
      const kind = Object.keys(q).filter((k) => k !== 'at' && k !== 'timezone').join('+') || 'no criteria';
      slowest.set(kind, Math.max(slowest.get(kind) ?? 0, ms));
      hits += r.total;
    }
    const p50 = round(percentile(times, 50));
    const p99 = round(percentile(times, 99));
    log(`search: ${qs.length} queries, top ${LIMIT} of ${round(hits / qs.length, 0)} matches on average; p50 ${p50} ms, p99 ${p99} ms, max ${round(Math.max(...times))} ms`);
    log(`  CPU per query: p50 ${round(percentile(cpu, 50))} ms, p99 ${round(percentile(cpu, 99))} ms (wall minus CPU is time the machine gave to others)`);
    log(`  slowest by kind (wall): ${[...slowest].sort((a, b) => b[1] - a[1]).map(([k, ms]) => `${k} ${round(ms, 1)}`).join(', ')}`);
    log(`machine: ${machine()}, load ${os.loadavg().map((x) => round(x, 1)).join(' ')}`);
    console.log(`bench=hsds services=${pkg.services} import_s=${round(importS)} search_p99_ms=${p99}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
