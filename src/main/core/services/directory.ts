import fs from 'node:fs';
import path from 'node:path';
import {
  RpcError,
  type DirectoryEntry,
  type DirectoryFacets,
  type DirectoryHit,
  type DirectoryImportReport,
  DirectoryQuery,
} from '../../../shared/contract';
import {
  freshness,
  HsdsImportError,
  isOpenAt,
  matchesQuery,
  NEEDS,
  needScore,
  normalizeText,
  queryWords,
  textScore,
  parseHsdsPackage,
  ResourceService,
  type Freshness,
} from '../../../shared/directory';
import type { z } from 'zod';
import type { CoreContext } from '../context';
import { directoryContentHashes, directoryRecords, directorySearchIds } from '../store/queries/directory';

type Query = z.output<typeof DirectoryQuery>;

/** Largest file of a package we read (a whole county directory is a few MB). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

function ftsWords(text: string): string[] {
  return queryWords(text).slice(0, 12);
}

// ---------------------------------------------------------------------------------------
// Ranking: the reference order of rankServices (src/shared/directory/search.ts), with the
// two expensive parts (open now, freshness: luxon date arithmetic, ~0.1 ms a service) kept
// per service for the minute and the day. tests/integration/caseload.directory.test.ts
// checks the order against rankServices itself.

interface Entry {
  service: ResourceService;
  nameKey: string;
  /** Open state and the minute (epoch minutes) it was worked out for. */
  open: boolean | null;
  openMinute: number;
  fresh: Freshness | null;
  freshDay: string;
}

/**
 * FTS5 prefilter for free text and needs: a superset of what the reference search
 * (`rankServices`) accepts, which then decides and ranks. Null: no text constraint.
 */
export function directoryFtsQuery(q: { text?: string; need?: string }): string | null {
  const parts: string[] = [];
  if (q.text?.trim()) {
    const ws = ftsWords(q.text);
    if (ws.length) parts.push(ws.map((w) => `"${w}"*`).join(' AND '));
  }
  if (q.need?.trim()) {
    const key = q.need.trim().toLowerCase().replace(/[\s-]+/g, '_');
    if (Object.prototype.hasOwnProperty.call(NEEDS, key)) {
      const keywords = NEEDS[key as keyof typeof NEEDS].keywords.map((k) => normalizeText(k)).filter(Boolean);
      parts.push(`(${keywords.map((k) => `"${k}"*`).join(' OR ')})`);
    } else {
      const ws = ftsWords(q.need);
      if (ws.length) parts.push(ws.map((w) => `"${w}"*`).join(' AND '));
    }
  }
  if (parts.length === 0) return null;
  return parts.map((p) => `(${p})`).join(' AND ');
}

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

/** The Open Referral directory: import from an HSDS package, search offline, read one entry. */
export function directoryService(ctx: CoreContext, opts: { timezone?: string } = {}) {
  const zone = opts.timezone ?? localZone();
  /** Parsed records, rebuilt when resource_service rows change (locally or by sync). */
  let cache: Map<string, Entry> | null = null;
  let invalid = 0;
  ctx.store.onChange((entities) => {
    if (entities.has('resource_service')) cache = null;
  });
  function all(): Map<string, Entry> {
    if (cache) return cache;
    const rows = directoryRecords(ctx.store.reads);
    const map = new Map<string, Entry>();
    invalid = 0;
    for (const row of rows) {
      try {
        const parsed = ResourceService.safeParse(JSON.parse(row.record ?? 'null'));
        if (!parsed.success) {
          invalid++;
          continue;
        }
        const service = parsed.data;
        map.set(row.id, { service, nameKey: service.name.toLowerCase(), open: null, openMinute: -1, fresh: null, freshDay: '' });
      } catch {
        invalid++;
      }
    }
    cache = map;
    return map;
  }

  /** Entries whose open state or freshness is a minute (a day) old: brought up to date after the answer went out. */
  const stale: Entry[] = [];
  let refreshing = false;
  function refreshLater(): void {
    if (refreshing || stale.length === 0) return;
    refreshing = true;
    const step = () => {
      const now = ctx.now();
      const minute = Math.floor(now.getTime() / 60_000);
      const day = now.toISOString().slice(0, 10);
      for (const e of stale.splice(0, 100)) {
        if (e.openMinute !== minute) openOf(e, now, minute, true);
        if (e.freshDay !== day) freshOf(e, now, day, true);
      }
      if (stale.length) setImmediate(step);
      else refreshing = false;
    };
    setImmediate(step);
  }

  function openOf(e: Entry, at: Date, minute: number, exact = false): boolean | null {
    if (e.openMinute === minute) return e.open;
    // Serve last minute's answer and refresh right after (hours are given to the minute).
    if (!exact && e.openMinute === minute - 1) {
      stale.push(e);
      return e.open;
    }
    e.open = isOpenAt(e.service.schedules, at, e.service.timezone ?? zone);
    e.openMinute = minute;
    return e.open;
  }

  function freshOf(e: Entry, at: Date, day: string, exact = false): Freshness {
    if (e.fresh && (e.freshDay === day || !exact)) {
      if (e.freshDay !== day) stale.push(e);
      return e.fresh;
    }
    e.fresh = freshness(e.service, at);
    e.freshDay = day;
    return e.fresh;
  }

  function hit(e: Entry, open: boolean | null, f: Freshness): DirectoryHit {
    const s = e.service;
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
   * The services matching the query, best first, as rankServices orders them: relevance to
   * text and need, then open (known open above unknown above closed), then fresh above
   * stale, then by name and id. Free text and needs first narrow the candidates through the
   * resource_search FTS index.
   */
  function search(q: Query): { rows: DirectoryHit[]; total: number; size: number } {
    const entries = all();
    const at = ctx.now();
    const minute = Math.floor(at.getTime() / 60_000);
    const day = at.toISOString().slice(0, 10);
    const match = directoryFtsQuery(q);
    let candidates: Iterable<Entry>;
    if (match) {
      const list: Entry[] = [];
      for (const id of directorySearchIds(ctx.store.reads, match)) {
        const e = entries.get(id);
        if (e) list.push(e);
      }
      candidates = list;
    } else candidates = entries.values();
    // Taxonomy, language, age and status through the reference matcher (cheap without open-now).
    const structural = {
      taxonomyTerm: q.taxonomyTerm || undefined,
      language: q.language || undefined,
      age: q.age,
      includeInactive: q.includeInactive,
      at,
    };
    const ranked: { e: Entry; score: number; open: boolean | null; fresh: Freshness }[] = [];
    for (const e of candidates) {
      let score = 0;
      if (q.text?.trim()) {
        const t = textScore(e.service, q.text);
        if (t === null) continue;
        score += t;
      }
      if (q.need?.trim()) {
        const n = needScore(e.service, q.need);
        if (n === null) continue;
        score += n;
      }
      if (!matchesQuery(e.service, structural)) continue;
      const open = openOf(e, at, minute);
      if (q.openNow && open === false) continue;
      const f = freshOf(e, at, day);
      if (open === true) score += 6;
      else if (open === false) score -= 6;
      if (f.stale) score -= 2;
      ranked.push({ e, score, open, fresh: f });
    }
    ranked.sort(
      (a, b) =>
        b.score - a.score ||
        (a.e.nameKey < b.e.nameKey ? -1 : a.e.nameKey > b.e.nameKey ? 1 : 0) ||
        (a.e.service.id < b.e.service.id ? -1 : a.e.service.id > b.e.service.id ? 1 : 0),
    );
    refreshLater();
    return { rows: ranked.slice(0, q.limit).map((r) => hit(r.e, r.open, r.fresh)), total: ranked.length, size: entries.size };
  }

  function get(id: string): DirectoryEntry {
    const e = all().get(id);
    if (!e) throw new RpcError('not_found', `No service ${id} in the directory`);
    const at = ctx.now();
    const open = openOf(e, at, Math.floor(at.getTime() / 60_000), true);
    return { service: e.service, open, freshness: fresh(freshOf(e, at, at.toISOString().slice(0, 10), true)) };
  }

  function facets(): DirectoryFacets {
    const languages = new Set<string>();
    const terms = new Map<string, { id: string; name: string; code: string | null }>();
    for (const { service: s } of all().values()) {
      for (const l of s.languages) languages.add(l);
      for (const t of s.taxonomyTerms) if (!terms.has(t.id)) terms.set(t.id, { id: t.id, name: t.name, code: t.code ?? null });
    }
    return {
      services: all().size,
      languages: [...languages].sort((a, b) => a.localeCompare(b)),
      taxonomyTerms: [...terms.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** Reads the CSV files (and datapackage.json) of one folder, not its subfolders. */
  function readPackage(dir: string): Record<string, string> {
    let entries: fs.Dirent[];
    try {
      if (!fs.statSync(dir).isDirectory()) throw new RpcError('bad_request', `${dir} is not a folder`);
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (err instanceof RpcError) throw err;
      throw new RpcError('bad_request', `Cannot read the folder ${dir}: ${(err as Error).message}`);
    }
    const files: Record<string, string> = {};
    for (const e of entries) {
      if (!e.isFile()) continue;
      const lower = e.name.toLowerCase();
      if (!lower.endsWith('.csv') && lower !== 'datapackage.json') continue;
      const file = path.join(dir, e.name);
      const size = fs.statSync(file).size;
      if (size > MAX_FILE_BYTES) throw new RpcError('bad_request', `${e.name} is ${Math.round(size / 1e6)} MB; the limit is ${MAX_FILE_BYTES / 1e6} MB`);
      files[e.name] = fs.readFileSync(file, 'utf8');
    }
    if (Object.keys(files).length === 0) throw new RpcError('bad_request', `No HSDS CSV files in ${dir}`);
    return files;
  }

  /**
   * Imports a package through the replica store, so the directory syncs like any other
   * row. A service whose content hash is unchanged is not written at all: importing the
   * same package twice changes nothing and sends nothing.
   */
  function importPackage(dirInput: string): DirectoryImportReport {
    const dir = path.resolve(dirInput);
    const files = readPackage(dir);
    let parsed: ReturnType<typeof parseHsdsPackage>;
    try {
      parsed = parseHsdsPackage(files);
    } catch (err) {
      if (err instanceof HsdsImportError) {
        throw new RpcError('bad_request', `This package cannot be imported: ${err.message}`, { file: err.file, code: err.code });
      }
      throw err;
    }
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
      });
    });
    let notInPackage = 0;
    for (const id of existing.keys()) if (!inPackage.has(id)) notInPackage++;
    return {
      dir,
      services: parsed.services.length,
      added,
      updated,
      unchanged,
      rejected: parsed.rejected,
      warnings: parsed.warnings,
      notInPackage,
    };
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

