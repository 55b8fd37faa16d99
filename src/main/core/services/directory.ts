import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  IMPORT_PROBLEMS_SHOWN,
  RpcError,
  type DirectoryEntry,
  type DirectoryFacets,
  type DirectoryHit,
  type DirectoryImportProgress,
  type DirectoryImportReport,
  DirectoryQuery,
} from '../../../shared/contract';
import { freshness, isOpenAt, problemsCsv, ResourceService, ServiceSearchIndex, type Freshness, type HsdsParseResult } from '../../../shared/directory';
import type { z } from 'zod';
import type { CoreContext } from '../context';
import { directoryContentHashes, directoryRecords } from '../store/queries/directory';
import { PackageError, readAndParse, type PackageProgress } from './hsds-package';

type Query = z.output<typeof DirectoryQuery>;

function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function fresh(f: Freshness) {
  return { label: f.label, stale: f.stale, date: f.date ?? null };
}

// ---------------------------------------------------------------------------------------
// The parse on a worker thread

/** Where the worker's code is: the bundled .cjs beside the Electron bundle, or the .ts source under tsx and Vitest. */
export function workerModule(): { file: string; kind: 'cjs' | 'ts'; from: string } | null {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  // Packaged, the worker is unpacked beside the archive (electron-builder.yml asarUnpack).
  const dir = path.dirname(here).replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
  for (const [name, kind] of [
    ['hsds-worker.cjs', 'cjs'],
    ['hsds-worker.ts', 'ts'],
  ] as const) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return { file, kind, from: here };
  }
  return null;
}

/** Plain JavaScript run as the worker when the worker module is TypeScript: loads it through tsx. */
const TS_WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((api) => api.tsImport(workerData.file, workerData.file));
`;

type WorkerMessage =
  | { t: 'progress'; p: PackageProgress }
  | { t: 'done'; result: HsdsParseResult }
  | { t: 'refused'; message: string; details?: unknown }
  | { t: 'failed'; message: string };

/**
 * Reads and parses the package on a worker thread, so the core keeps answering the console
 * (searches, the queue, a ringing handoff) through a long import. Null when no worker could
 * be started here (the caller then parses inline); a worker whose code fails to load parses
 * inline too, after `onFallback` is told why.
 */
export function parseOnWorker(
  dir: string,
  onProgress: (p: PackageProgress) => void,
  onFallback: (why: string) => void,
  mod = workerModule(),
): Promise<HsdsParseResult> | null {
  if (!mod) return null;
  let worker: Worker;
  try {
    if (mod.kind === 'cjs') worker = new Worker(mod.file, { workerData: { dir } });
    else {
      // tsx's ESM entry (require.resolve finds its CommonJS twin beside it).
      const tsxApi = pathToFileURL(createRequire(mod.from).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
      worker = new Worker(TS_WORKER_SOURCE, { eval: true, workerData: { dir, file: mod.file, tsxApi } });
    }
  } catch {
    return null;
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    let heard = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    /** The worker never got going (its code could not load here): parse inline instead. */
    const fallBack = (why: string) =>
      settle(() => {
        try {
          onFallback(why);
          resolve(readAndParse(dir, onProgress));
        } catch (err) {
          reject(err);
        }
      });
    worker.on('message', (m: WorkerMessage) => {
      heard = true;
      if (m.t === 'progress') onProgress(m.p);
      else if (m.t === 'done') settle(() => resolve(m.result));
      else if (m.t === 'refused') settle(() => reject(new PackageError(m.message, m.details as PackageError['details'])));
      else settle(() => reject(new Error(`The directory import failed: ${m.message}`)));
    });
    worker.on('error', (err) => (heard ? settle(() => reject(err)) : fallBack(err.message)));
    worker.on('exit', (code) =>
      heard ? settle(() => reject(new Error(`The directory import's thread stopped (exit code ${code}) before it was done`))) : fallBack(`exit code ${code}`),
    );
  });
}

// ---------------------------------------------------------------------------------------

export interface DirectoryServiceOptions {
  /** Zone for schedules that name none. Default: this workstation's. */
  timezone?: string;
  /** Where each import's full problem list is written (CSV). Null: not written. */
  problemsDir?: string | null;
  /** Parse on a worker thread (default true); false parses inline, blocking the core meanwhile. */
  worker?: boolean;
}

interface Directory {
  index: ServiceSearchIndex;
  byId: Map<string, ResourceService>;
}

/** The Open Referral directory: import from an HSDS package, search offline, read one entry. */
export function directoryService(ctx: CoreContext, opts: DirectoryServiceOptions = {}) {
  const zone = opts.timezone ?? localZone();
  /** The directory and its search index, rebuilt when resource_service rows change (locally or by sync). */
  let cache: Directory | null = null;
  let invalid = 0;
  /** Counts the changes to resource_service rows (local or by sync), to know whether a directory in hand is still the store's. */
  let generation = 0;
  ctx.store.onChange((entities) => {
    if (entities.has('resource_service')) {
      cache = null;
      generation++;
    }
  });
  /**
   * The directory from the store. `known`: services just imported (already checked), used
   * as they are rather than read back and checked again (the bulk of a large import's
   * indexing time); every other row is read from the store.
   */
  function all(known?: ReadonlyMap<string, ResourceService>): Directory {
    if (cache) return cache;
    const byId = new Map<string, ResourceService>();
    invalid = 0;
    for (const row of directoryRecords(ctx.store.reads)) {
      const mine = known?.get(row.id);
      if (mine) {
        byId.set(row.id, mine);
        continue;
      }
      try {
        const parsed = ResourceService.safeParse(JSON.parse(row.record ?? 'null'));
        if (parsed.success) byId.set(row.id, parsed.data);
        else invalid++;
      } catch {
        invalid++;
      }
    }
    cache = { index: new ServiceSearchIndex([...byId.values()]), byId };
    return cache;
  }

  /** Freshness is worked out with luxon (~0.1 ms a service): kept per service for the day. */
  const freshKept = new WeakMap<ResourceService, { day: string; f: Freshness }>();
  function freshOf(s: ResourceService, at: Date): Freshness {
    const day = at.toISOString().slice(0, 10);
    const kept = freshKept.get(s);
    if (kept && kept.day === day) return kept.f;
    const f = freshness(s, at);
    freshKept.set(s, { day, f });
    return f;
  }

  function hit(s: ResourceService, open: boolean | null, f: Freshness): DirectoryHit {
    const voice = s.phones[0];
    const place = s.locations.find((l) => l.address) ?? s.locations[0];
    return {
      id: s.id,
      name: s.name,
      organizationName: s.organizationName,
      description: s.description.length > 400 ? `${s.description.slice(0, 399).trimEnd()}…` : s.description,
      status: s.status,
      phone: voice ? `${voice.number}${voice.extension ? ` ext. ${voice.extension}` : ''}` : null,
      address: place ? place.address || place.name || null : null,
      languages: s.languages,
      minimumAge: s.minimumAge ?? null,
      maximumAge: s.maximumAge ?? null,
      taxonomyTerms: s.taxonomyTerms.map((t) => t.name),
      open,
      freshness: fresh(f),
    };
  }

  /**
   * The services matching the query, best first, exactly as the shared reference
   * (rankServices) orders them: relevance to text and need, then open (known open above
   * unknown above closed), then fresh above stale, then by name and id. Open now keeps only
   * services known to be open: unknown hours are "hours unknown", never "open now".
   */
  function search(q: Query): { rows: DirectoryHit[]; total: number; size: number } {
    const { index } = all();
    const at = ctx.now();
    const { results, total } = index.search(
      {
        text: q.text || undefined,
        need: q.need || undefined,
        taxonomyTerm: q.taxonomyTerm || undefined,
        language: q.language || undefined,
        age: q.age,
        openNow: q.openNow,
        includeInactive: q.includeInactive,
        at,
        timezone: zone,
      },
      q.limit,
    );
    return { rows: results.map((r) => hit(r.service, r.open, freshOf(r.service, at))), total, size: index.size };
  }

  function get(id: string): DirectoryEntry {
    const s = all().byId.get(id);
    if (!s) throw new RpcError('not_found', `No service ${id} in the directory`);
    const at = ctx.now();
    return { service: s, open: isOpenAt(s.schedules, at, s.timezone ?? zone), freshness: fresh(freshness(s, at)) };
  }

  function facets(): DirectoryFacets {
    const languages = new Set<string>();
    const terms = new Map<string, { id: string; name: string; code: string | null }>();
    const { byId } = all();
    for (const s of byId.values()) {
      for (const l of s.languages) languages.add(l);
      for (const t of s.taxonomyTerms) if (!terms.has(t.id)) terms.set(t.id, { id: t.id, name: t.name, code: t.code ?? null });
    }
    return {
      services: byId.size,
      languages: [...languages].sort((a, b) => a.localeCompare(b)),
      taxonomyTerms: [...terms.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** The full problem list of one import, as CSV in the problems folder; null when there is none or it could not be written. */
  function writeProblems(parsed: HsdsParseResult, startedAt: Date): string | null {
    if (!opts.problemsDir || parsed.problems.length === 0) return null;
    const file = path.join(opts.problemsDir, `hsds-import-${startedAt.toISOString().replace(/[:.]/g, '-')}-problems.csv`);
    try {
      fs.mkdirSync(opts.problemsDir, { recursive: true });
      fs.writeFileSync(file, problemsCsv(parsed.problems));
      return file;
    } catch (err) {
      ctx.log('warn', 'could not write the directory import problems file', { file, error: (err as Error).message });
      return null;
    }
  }

  let importing: string | null = null;

  /**
   * Imports a package through the replica store, so the directory syncs like any other
   * row. The package is read and parsed on a worker thread, with progress told as
   * `directory.import.progress` events; then every changed service is written in one
   * transaction (all or nothing). A service whose content hash is unchanged is not written
   * at all: importing the same package twice changes nothing and sends nothing.
   */
  async function importPackage(dirInput: string): Promise<DirectoryImportReport> {
    const dir = path.resolve(dirInput);
    if (importing) throw new RpcError('conflict', `A directory import is already under way on this console (${importing}); wait for it to finish`);
    importing = dir;
    const started = performance.now();
    const startedAt = ctx.now();
    const progress = (p: Omit<DirectoryImportProgress, 'dir'>) => ctx.emit('directory.import.progress', { dir, ...p });
    const onParse = (p: PackageProgress) =>
      progress(p.stage === 'reading' ? { stage: 'reading', step: p.step, done: p.done, total: p.total } : { stage: 'parsing', step: p.step, done: p.done, total: p.total });
    try {
      // The directory before the import, to build the one after it without reading every row back.
      const before = all();
      const beforeGeneration = generation;
      progress({ stage: 'reading', step: 'opening the package', done: 0, total: 1 });
      let parsed: HsdsParseResult;
      const onWorker =
        opts.worker === false
          ? null
          : parseOnWorker(dir, onParse, (why) => ctx.log('warn', 'the directory import thread did not start; parsing on the main thread', { error: why }));
      try {
        parsed = onWorker ? await onWorker : readAndParse(dir, onParse);
      } catch (err) {
        if (err instanceof PackageError) throw new RpcError('bad_request', err.message, err.details);
        throw err;
      }
      progress({ stage: 'writing', step: `writing ${parsed.services.length.toLocaleString('en-US')} services`, done: 0, total: parsed.services.length });
      const existing = directoryContentHashes(ctx.store.reads);
      let added = 0;
      let updated = 0;
      let unchanged = 0;
      const inPackage = new Set<string>();
      ctx.store.transaction(() => {
        for (const s of parsed.services) {
          inPackage.add(s.id);
          const hash = existing.get(s.id);
          if (hash === s.contentHash) {
            unchanged++;
            continue;
          }
          ctx.store.write('resource_service', s.id, { name: s.name, record: s, contentHash: s.contentHash });
          if (hash === undefined) added++;
          else updated++;
        }
        ctx.audit('directory.import', 'resource_service', null, {
          dir,
          added,
          updated,
          unchanged,
          rejected: parsed.rejected.length,
          repaired: parsed.warnings.length,
        });
      });
      let notInPackage = 0;
      for (const id of existing.keys()) if (!inPackage.has(id)) notInPackage++;
      progress({ stage: 'indexing', step: 'making the directory searchable', done: 0, total: 1 });
      const written = added + updated > 0 ? 1 : 0;
      if (!cache && generation - beforeGeneration === written) {
        // Nothing but this import changed the directory since `before`: it plus the package is the store's directory.
        const byId = new Map(before.byId);
        for (const x of parsed.services) byId.set(x.id, x);
        cache = { index: new ServiceSearchIndex([...byId.values()]), byId };
      } else all(new Map(parsed.services.map((x) => [x.id, x])));
      const problemsFile = writeProblems(parsed, startedAt);
      const s = parsed.summary;
      const report: DirectoryImportReport = {
        dir,
        services: parsed.services.length,
        added,
        updated,
        unchanged,
        rejected: parsed.rejected.slice(0, IMPORT_PROBLEMS_SHOWN),
        rejectedCount: parsed.rejected.length,
        warnings: parsed.warnings.slice(0, IMPORT_PROBLEMS_SHOWN),
        warningCount: parsed.warnings.length,
        notInPackage,
        hoursUnknown: s.services.imported - s.services.withHours,
        summary: s,
        problemsFile,
        ms: Math.round(performance.now() - started),
      };
      progress({ stage: 'done', step: `${report.services} services imported`, done: 1, total: 1 });
      return report;
    } catch (err) {
      progress({ stage: 'failed', step: err instanceof Error ? err.message : 'the import failed', done: 0, total: 1 });
      throw err;
    } finally {
      importing = null;
    }
  }

  return {
    search,
    get,
    facets,
    importPackage,
    /** Rows whose record could not be read (written by a newer Tandem, or damaged). */
    invalidCount: () => (all(), invalid),
  };
}
