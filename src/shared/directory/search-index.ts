/**
 * A search index over a whole directory, for answering queries in milliseconds where
 * `rankServices` (the reference) scans and scores every service. It gives exactly the
 * reference's answer, in the same order: the index only narrows down the candidates (a
 * superset of the matches), and the reference's own functions decide and score them.
 *
 * Built once per directory:
 *   - every word of every service's searchable text, sorted, with the services it occurs in
 *     (a query word is a word prefix, so a word range of the sorted list);
 *   - language and taxonomy keys, so those filters narrow too;
 *   - per service, whether it is active, the date its freshness is judged by, and which
 *     distinct schedule it has: services sharing opening hours share the open-now answer,
 *     worked out once per query.
 * A query intersects the candidate sets of its constraints (all services when it has
 * none), scores each candidate and keeps the best `limit` without sorting the rest.
 */
import { DateTime } from 'luxon';
import { canonicalJson } from './hash';
import { normalizeText } from './search';
import { isOpenAt } from './schedule';
import {
  NEED_KEYWORDS,
  fieldsOf,
  isNeedKey,
  keywordsScore,
  matchesAge,
  matchesLanguage,
  matchesTerm,
  needKeyOf,
  passesOpenNow,
  queryWords,
  wordsScore,
  type RankedService,
  type ServiceQuery,
} from './search';
import type { ResourceService, ScheduleRule } from './types';

interface Entry {
  service: ResourceService;
  nameKey: string;
  active: boolean;
  /** When its freshness was last confirmed (assured, else modified), ms; undefined: never. */
  freshMs: number | undefined;
  /** Index of its (schedules, zone) among the directory's distinct ones. */
  schedule: number;
}

export interface IndexedSearchResult {
  /** The best `limit` matches, best first (as rankServices orders them). */
  results: RankedService[];
  /** How many services match in all. */
  total: number;
}

export class ServiceSearchIndex {
  private readonly entries: Entry[] = [];
  /** Every distinct word, sorted, and for each the entries it occurs in (ascending). */
  private readonly words: string[];
  private readonly postings: number[][];
  private readonly languageKeys = new Map<string, number[]>();
  private readonly termKeys = new Map<string, number[]>();
  /** One representative service per distinct (schedules, zone). */
  private readonly schedules: ResourceService[] = [];

  constructor(services: readonly ResourceService[]) {
    const wordPostings = new Map<string, number[]>();
    const scheduleIds = new Map<string, number>();
    const dates = new Map<string, number | undefined>();
    services.forEach((service, i) => {
      const sig = `${service.timezone ?? ''}|${canonicalJson(service.schedules.map(hoursOf))}`;
      let schedule = scheduleIds.get(sig);
      if (schedule === undefined) {
        schedule = this.schedules.length;
        scheduleIds.set(sig, schedule);
        this.schedules.push(service);
      }
      this.entries.push({ service, nameKey: service.name.toLowerCase(), active: service.status === 'active', freshMs: freshMs(service, dates), schedule });
      const f = fieldsOf(service);
      for (const w of new Set(`${f.name}${f.terms}${f.organization}${f.body}${f.places}`.split(' '))) if (w) add(wordPostings, w, i);
      for (const key of languageKeysOf(service)) add(this.languageKeys, key, i);
      for (const key of termKeysOf(service)) add(this.termKeys, key, i);
    });
    this.words = [...wordPostings.keys()].sort();
    this.postings = this.words.map((w) => wordPostings.get(w) as number[]);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The best `limit` services for the query, and how many match; the same as rankServices(...).slice(0, limit). */
  search(query: ServiceQuery = {}, limit = 50): IndexedSearchResult {
    const at = query.at ?? new Date();
    const stale = DateTime.fromJSDate(at, { zone: 'utc' }).minus({ months: 12 }).toMillis();
    // The query is normalized once, not once per service.
    const words = query.text?.trim() ? queryWords(query.text) : undefined;
    const need = query.need?.trim() ? needKeyOf(query.need) : undefined;
    const needWords = need === undefined ? undefined : isNeedKey(need) ? NEED_KEYWORDS[need] : queryWords(query.need as string);
    const needIsKey = need !== undefined && isNeedKey(need);
    const open = new Array<boolean | null | undefined>(this.schedules.length);
    const top = new TopK(limit);
    let total = 0;
    for (const i of this.candidates(query)) {
      const e = this.entries[i] as Entry;
      const s = e.service;
      if (!query.includeInactive && !e.active) continue;
      let score = 0;
      if (words) {
        const t = wordsScore(s, words);
        if (t === null) continue;
        score += t;
      }
      if (needWords) {
        const n = needIsKey ? keywordsScore(s, needWords) : wordsScore(s, needWords);
        if (n === null) continue;
        score += n;
      }
      if (query.taxonomyTerm !== undefined && !matchesTerm(s, query.taxonomyTerm)) continue;
      if (query.language !== undefined && !matchesLanguage(s, query.language)) continue;
      if (query.age !== undefined && !matchesAge(s, query.age)) continue;
      // Services with the same hours share the answer, worked out once per query.
      let o = open[e.schedule];
      if (o === undefined) {
        const rep = this.schedules[e.schedule] as ResourceService;
        o = open[e.schedule] = isOpenAt(rep.schedules, at, rep.timezone ?? query.timezone);
      }
      if (query.openNow && !passesOpenNow(o)) continue;
      if (o === true) score += 6;
      else if (o === false) score -= 6;
      if (e.freshMs === undefined || e.freshMs < stale) score -= 2;
      total++;
      top.offer(e, score, o);
    }
    return { results: top.best(), total };
  }

  /** Entries that may match (a superset), in ascending order; every entry when nothing narrows. */
  private candidates(q: ServiceQuery): Iterable<number> {
    const sets: (readonly number[])[][] = [];
    if (q.text?.trim()) {
      const ws = queryWords(q.text);
      for (const w of ws) sets.push(this.prefixed(w));
    }
    if (q.need?.trim()) {
      const key = needKeyOf(q.need);
      if (isNeedKey(key)) sets.push(NEED_KEYWORDS[key].flatMap((k) => this.prefixed(k.split(' ')[0] as string)));
      else for (const w of queryWords(q.need)) sets.push(this.prefixed(w));
    }
    const language = q.language?.trim().toLowerCase();
    if (language) sets.push(lookup(this.languageKeys, queryLanguageKeys(language)));
    const term = q.taxonomyTerm?.trim().toLowerCase();
    if (term) sets.push(lookup(this.termKeys, [`i:${term}`, `n:${term}`, `c:${term}`]));
    if (sets.length === 0) return this.entries.keys();
    return intersect(sets, this.entries.length);
  }

  /** Postings of every word starting with `prefix`. */
  private prefixed(prefix: string): number[][] {
    const out: number[][] = [];
    for (let i = lowerBound(this.words, prefix); i < this.words.length && (this.words[i] as string).startsWith(prefix); i++) out.push(this.postings[i] as number[]);
    return out;
  }
}

function add(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [i]);
  else if (list[list.length - 1] !== i) list.push(i);
}

function lookup(map: Map<string, number[]>, keys: readonly string[]): number[][] {
  return keys.map((k) => map.get(k) ?? []);
}

function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Entries in every constraint (each constraint: the union of its posting lists), ascending. */
function intersect(constraints: (readonly number[])[][], size: number): number[] {
  const hits = new Uint16Array(size);
  const seen = new Int32Array(size).fill(-1);
  constraints.forEach((lists, c) => {
    for (const list of lists) {
      for (const i of list) {
        if (seen[i] === c) continue;
        seen[i] = c;
        hits[i] = (hits[i] as number) + 1;
      }
    }
  });
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (hits[i] === constraints.length) out.push(i);
  return out;
}

const primary = (code: string) => code.split(/[-_]/)[0] as string;

/** Keys under which a language query can match the service (see matchesLanguage). */
function languageKeysOf(s: ResourceService): string[] {
  const keys: string[] = [];
  for (const c of s.languageCodes) keys.push(`p:${primary(c)}`);
  for (const name of s.languages) {
    for (const w of normalizeText(name).split(' ')) if (w) keys.push(`w:${w}`);
    keys.push(`x:${primary(name.toLowerCase())}`);
  }
  return keys;
}

function queryLanguageKeys(q: string): string[] {
  return [`p:${primary(q)}`, `w:${normalizeText(q).split(' ')[0] ?? ''}`, `x:${q}`];
}

/** What decides open or closed in a rule: everything but its ids and words. */
function hoursOf(r: ScheduleRule): unknown {
  return [r.freq, r.interval, r.byday, r.byweekno, r.bymonthday, r.byyearday, r.wkst, r.opensAt, r.closesAt, r.timezone, r.validFrom, r.validTo, r.dtstart, r.until, r.count];
}

/** Keys under which a taxonomy query can match the service (see matchesTerm). */
function termKeysOf(s: ResourceService): string[] {
  const keys: string[] = [];
  for (const t of s.taxonomyTerms) {
    keys.push(`i:${t.id.toLowerCase()}`, `n:${t.name.toLowerCase()}`);
    const code = t.code?.toLowerCase();
    if (code === undefined) continue;
    keys.push(`c:${code}`);
    for (let i = 0; i < code.length; i++) if (code[i] === '.' || code[i] === '-') keys.push(`c:${code.slice(0, i)}`);
  }
  return keys;
}

/** The instant freshness is judged by (assured_date, else last_modified), as `freshness` reads it. */
function freshMs(s: ResourceService, parsed: Map<string, number | undefined>): number | undefined {
  for (const text of [s.assuredDate, s.lastModified]) {
    if (!text) continue;
    // Dates repeat across a directory (an assurance round, an import day): each is parsed once.
    if (!parsed.has(text)) {
      const then = DateTime.fromISO(text, { zone: 'utc' });
      parsed.set(text, then.isValid ? then.toMillis() : undefined);
    }
    const ms = parsed.get(text);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** The best `k` offers in rankServices order: score, then name, then id. */
class TopK {
  private readonly items: RankedService[] = [];
  private readonly keys: { score: number; name: string; id: string }[] = [];

  constructor(private readonly k: number) {}

  offer(e: Entry, score: number, open: boolean | null): void {
    if (this.k <= 0) return;
    const key = { score, name: e.nameKey, id: e.service.id };
    const n = this.keys.length;
    if (n === this.k && !better(key, this.keys[n - 1] as { score: number; name: string; id: string })) return;
    let i = n;
    while (i > 0 && better(key, this.keys[i - 1] as { score: number; name: string; id: string })) i--;
    this.keys.splice(i, 0, key);
    this.items.splice(i, 0, { service: e.service, score, open });
    if (this.keys.length > this.k) {
      this.keys.pop();
      this.items.pop();
    }
  }

  best(): RankedService[] {
    return this.items;
  }
}

function better(a: { score: number; name: string; id: string }, b: { score: number; name: string; id: string }): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (a.name !== b.name) return a.name < b.name;
  return a.id < b.id;
}
