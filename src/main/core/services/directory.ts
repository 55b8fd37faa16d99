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
  NEEDS,
  normalizeText,
  parseHsdsPackage,
  rankServices,
  ResourceService,
  type Freshness,
  type ServiceQuery,
} from '../../../shared/directory';
import type { z } from 'zod';
import type { CoreContext } from '../context';

type Query = z.output<typeof DirectoryQuery>;

/**
 * The same words the shared reference search ignores (src/shared/directory/search.ts keeps
 * its list private). Dropping a word here only widens the FTS prefilter, never narrows
 * it, so this list may hold more than the reference's but never fewer.
 */
const STOPWORDS = new Set(['a', 'an', 'and', 'the', 'for', 'with', 'of', 'to', 'in', 'on', 'or', 'at', 'by']);

/** Largest file of a package we read (a whole county directory is a few MB). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

function ftsWords(text: string): string[] {
  return normalizeText(text)
    .split(' ')
    .filter((w) => w !== '' && !STOPWORDS.has(w))
    .slice(0, 12);
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
  let cache: Map<string, ResourceService> | null = null;
  let invalid = 0;
  ctx.store.onChange((entities) => {
    if (entities.has('resource_service')) cache = null;
  });
  const ftsStmt = ctx.store.db.prepare(
    'SELECT d.serviceId AS id FROM resource_search s JOIN resource_search_doc d ON d.docid = s.rowid WHERE resource_search MATCH ?',
  );

  function all(): Map<string, ResourceService> {
    if (cache) return cache;
    const rows = ctx.store.db.prepare('SELECT id, record FROM resource_service').all() as { id: string; record: string | null }[];
    const map = new Map<string, ResourceService>();
    invalid = 0;
    for (const row of rows) {
      try {
        const parsed = ResourceService.safeParse(JSON.parse(row.record ?? 'null'));
        if (parsed.success) map.set(row.id, parsed.data);
        else invalid++;
      } catch {
        invalid++;
      }
    }
    cache = map;
    return map;
  }

  function hit(s: ResourceService, open: boolean | null, at: Date): DirectoryHit {
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
      freshness: fresh(freshness(s, at)),
    };
  }

  function search(q: Query): { rows: DirectoryHit[]; total: number; size: number } {
    const services = all();
    const at = ctx.now();
    const match = directoryFtsQuery(q);
    let candidates: ResourceService[];
    if (match) {
      candidates = [];
      for (const { id } of ftsStmt.all(match) as { id: string }[]) {
        const s = services.get(id);
        if (s) candidates.push(s);
      }
    } else candidates = [...services.values()];
    const query: ServiceQuery = {
      text: q.text,
      need: q.need,
      taxonomyTerm: q.taxonomyTerm || undefined,
      language: q.language || undefined,
      age: q.age,
      openNow: q.openNow,
      includeInactive: q.includeInactive,
      at,
      timezone: zone,
    };
    const ranked = rankServices(candidates, query);
    return { rows: ranked.slice(0, q.limit).map((r) => hit(r.service, r.open, at)), total: ranked.length, size: services.size };
  }

  function get(id: string): DirectoryEntry {
    const s = all().get(id);
    if (!s) throw new RpcError('not_found', `No service ${id} in the directory`);
    const at = ctx.now();
    const open = rankServices([s], { at, timezone: zone, includeInactive: true })[0]?.open ?? null;
    return { service: s, open, freshness: fresh(freshness(s, at)) };
  }

  function facets(): DirectoryFacets {
    const languages = new Set<string>();
    const terms = new Map<string, { id: string; name: string; code: string | null }>();
    for (const s of all().values()) {
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
    const existing = new Map(
      (ctx.store.db.prepare('SELECT id, contentHash FROM resource_service').all() as { id: string; contentHash: string | null }[]).map((r) => [
        r.id,
        r.contentHash,
      ]),
    );
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

