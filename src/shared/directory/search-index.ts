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
 *
 * The entries are kept in the ranking's last order (name, then id), so two candidates of
 * equal score are ordered by their entry number alone: no string is compared while
 * ranking. What a filter reads repeats across a directory (a handful of language lists and
 * taxonomy term sets): services sharing one share the filter's answer, worked out once per
 * query, as their opening hours do. Each need's scores depend on the directory alone and
 * are worked out once per index, on first use.
 *
 * Text and needs are scored from the postings themselves: each posting says which of the
 * service's fields hold the word, and a query word's weight is that of the best field
 * holding a word it begins (as the reference's wordScore: name 8, terms 5, organization 4,
 * description 2, places 1). Only phrases ("mental health") are checked in the text itself.
 */
import { DateTime } from 'luxon';
import { canonicalJson } from './hash';
import { normalizeText } from './search';
import { isOpenAt } from './schedule';
import {
  NEED_KEYWORDS,
  fieldsOf,
  isNeedKey,
  matchesAge,
  matchesLanguage,
  matchesTerm,
  needKeyOf,
  passesOpenNow,
  queryWords,
  type RankedService,
  type ServiceQuery,
} from './search';
import { alternativeWeight, expandWord, languageAlternatives, languageCodeOf } from './synonyms';
import type { ResourceService, ScheduleRule } from './types';

interface Entry {
  service: ResourceService;
}

export interface IndexedSearchResult {
  /** The best `limit` matches, best first (as rankServices orders them). */
  results: RankedService[];
  /** How many services match in all. */
  total: number;
}

export class ServiceSearchIndex {
  /** In rankServices' order for equal scores: by lower-case name, then id. */
  private readonly entries: Entry[] = [];
  /** Per entry: 1 when active. */
  private readonly active: Uint8Array;
  /** Per entry: when its freshness was last confirmed (assured, else modified), ms; NaN: never. */
  private readonly freshMs: Float64Array;
  /** Per entry: index of its (schedules, zone) among the directory's distinct ones. */
  private readonly scheduleOf: Int32Array;
  /** Per entry: index of its languages (codes and names) among the directory's distinct ones; and a service holding each. */
  private readonly languageSetOf: Int32Array;
  private readonly languageSets: ResourceService[] = [];
  /** Per entry: index of its taxonomy terms among the directory's distinct sets; and a service holding each. */
  private readonly termSetOf: Int32Array;
  private readonly termSets: ResourceService[] = [];
  /** Scratch for intersecting candidate sets (all zero between queries). */
  private marks: Uint8Array | null = null;
  /** Each need's scores, worked out on first use (they depend on the directory alone). */
  private readonly needs = new Map<string, Scores>();
  /** Every distinct word, sorted, and for each the entries it occurs in (ascending). */
  private readonly words: string[];
  /** Per word: the entries holding it, and beside each, a bit per field holding it (FIELD_ORDER). */
  private readonly postings: Posting[];
  private readonly languageKeys = new Map<string, number[]>();
  private readonly termKeys = new Map<string, number[]>();
  /** One representative service per distinct (schedules, zone). */
  private readonly schedules: ResourceService[] = [];

  constructor(services: readonly ResourceService[]) {
    const wordPostings = new Map<string, Posting>();
    const scheduleIds = new Map<string, number>();
    const languageIds = new Map<string, number>();
    const termIds = new Map<string, number>();
    const dates = new Map<string, number | undefined>();
    const n = services.length;
    this.active = new Uint8Array(n);
    this.freshMs = new Float64Array(n);
    this.scheduleOf = new Int32Array(n);
    this.languageSetOf = new Int32Array(n);
    this.termSetOf = new Int32Array(n);
    // rankServices' tie-break (search.ts): lower-case name, then id, compared as strings; a stable sort as its own.
    const ordered = services.map((service) => ({ service, key: service.name.toLowerCase() }));
    ordered.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0));
    ordered.forEach(({ service }, i) => {
      this.scheduleOf[i] = idOf(scheduleIds, this.schedules, `${service.timezone ?? ''}|${canonicalJson(service.schedules.map(hoursOf))}`, service);
      this.languageSetOf[i] = idOf(languageIds, this.languageSets, JSON.stringify([service.languageCodes, service.languages]), service);
      this.termSetOf[i] = idOf(termIds, this.termSets, JSON.stringify(service.taxonomyTerms.map((t) => [t.id, t.name, t.code])), service);
      this.active[i] = service.status === 'active' ? 1 : 0;
      this.freshMs[i] = freshMs(service, dates) ?? Number.NaN;
      this.entries.push({ service });
      const f = fieldsOf(service);
      const masks = new Map<string, number>();
      FIELD_ORDER.forEach((field, bit) => {
        for (const w of f[field].split(' ')) if (w) masks.set(w, (masks.get(w) ?? 0) | (1 << bit));
      });
      for (const [w, mask] of masks) {
        const p = wordPostings.get(w);
        if (p) {
          p.entries.push(i);
          p.masks.push(mask);
        } else wordPostings.set(w, { entries: [i], masks: [mask] });
      }
      for (const key of languageKeysOf(service)) add(this.languageKeys, key, i);
      for (const key of termKeysOf(service)) add(this.termKeys, key, i);
    });
    this.words = [...wordPostings.keys()].sort();
    this.postings = this.words.map((w) => wordPostings.get(w) as Posting);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The best `limit` services for the query, and how many match; the same as rankServices(...).slice(0, limit). */
  search(query: ServiceQuery = {}, limit = 50): IndexedSearchResult {
    const at = query.at ?? new Date();
    const stale = DateTime.fromJSDate(at, { zone: 'utc' }).minus({ months: 12 }).toMillis();
    const text = query.text?.trim() ? this.textScores(queryWords(query.text)) : undefined;
    const need = query.need?.trim() ? this.needScoresKept(query.need) : undefined;
    // Answers shared by services with the same hours, languages or terms, worked out once per query (0: not yet).
    const open = new Int8Array(this.schedules.length);
    const language = query.language !== undefined ? new Int8Array(this.languageSets.length) : null;
    const term = query.taxonomyTerm !== undefined ? new Int8Array(this.termSets.length) : null;
    const top = new TopK(limit);
    const { active, freshMs: fresh, scheduleOf, languageSetOf, termSetOf } = this;
    const candidates = this.candidates(query, text, need);
    const count = candidates ? candidates.length : this.entries.length;
    let total = 0;
    for (let c = 0; c < count; c++) {
      const i = candidates ? (candidates[c] as number) : c;
      if (!query.includeInactive && active[i] === 0) continue;
      let score = 0;
      if (text) {
        const t = text.get(i);
        if (t === undefined) continue;
        score += t;
      }
      if (need) {
        const n = need.get(i);
        if (n === undefined) continue;
        score += n;
      }
      if (term) {
        const k = termSetOf[i] as number;
        if (term[k] === 0) term[k] = matchesTerm(this.termSets[k] as ResourceService, query.taxonomyTerm as string) ? YES : NO;
        if (term[k] === NO) continue;
      }
      if (language) {
        const k = languageSetOf[i] as number;
        if (language[k] === 0) language[k] = matchesLanguage(this.languageSets[k] as ResourceService, query.language as string) ? YES : NO;
        if (language[k] === NO) continue;
      }
      if (query.age !== undefined && !matchesAge((this.entries[i] as Entry).service, query.age)) continue;
      const h = scheduleOf[i] as number;
      if (open[h] === 0) {
        const rep = this.schedules[h] as ResourceService;
        const o = isOpenAt(rep.schedules, at, rep.timezone ?? query.timezone);
        open[h] = o === true ? OPEN : o === false ? CLOSED : UNKNOWN;
      }
      const o = open[h] as number;
      if (query.openNow && !passesOpenNow(o === OPEN ? true : o === CLOSED ? false : null)) continue;
      if (o === OPEN) score += 6;
      else if (o === CLOSED) score -= 6;
      // NaN (never confirmed) is not >= anything: stale.
      if (!((fresh[i] as number) >= stale)) score -= 2;
      total++;
      top.offer(i, score);
    }
    return {
      results: top.best().map(({ entry, score }) => {
        const o = open[scheduleOf[entry] as number];
        return { service: (this.entries[entry] as Entry).service, score, open: o === OPEN ? true : o === CLOSED ? false : null };
      }),
      total,
    };
  }

  /** needScores, kept per need: a need's scores depend on the directory alone. */
  private needScoresKept(need: string): Scores {
    let kept = this.needs.get(need);
    if (!kept) {
      kept = this.needScores(need);
      // Kept for the first 64 needs asked: the named needs are 13; free text given as a need is rarer.
      if (this.needs.size < 64) this.needs.set(need, kept);
    }
    return kept;
  }

  /** textScore of every service that matches the words (all of them), by entry; undefined: no words, no constraint. */
  private textScores(ws: readonly string[]): Scores | undefined {
    if (ws.length === 0) return undefined;
    const n = this.entries.length;
    const sum = new Int32Array(n);
    const count = new Uint8Array(n);
    let last: number[] = [];
    for (const w of ws) {
      const { best, touched } = this.expandedWeights(w);
      for (const i of touched) {
        sum[i] = (sum[i] as number) + (best[i] as number);
        count[i] = (count[i] as number) + 1;
      }
      last = touched;
    }
    // Every match holds the last word too, so its entries are the ones to look at.
    const scores = new Scores(n);
    const phrase = ws.length > 1 ? ` ${ws.join(' ')}` : undefined;
    for (const i of last) {
      if (count[i] !== ws.length) continue;
      const bonus = phrase && fieldsOf((this.entries[i] as Entry).service).name.includes(phrase) ? 10 : 0;
      scores.set(i, (sum[i] as number) + bonus);
    }
    return scores;
  }

  /** needScore of every service that meets the need, by entry. */
  private needScores(need: string): Scores {
    const key = needKeyOf(need);
    if (!isNeedKey(key)) return this.textScores(queryWords(need)) ?? Scores.all(this.entries.length);
    const n = this.entries.length;
    const best = new Int8Array(n);
    const touched: number[] = [];
    for (const k of NEED_KEYWORDS[key]) {
      const found = k.includes(' ') ? this.phraseWeights(k) : this.bestWeights(k);
      for (const i of found.touched) {
        if ((found.best[i] as number) <= (best[i] as number)) continue;
        if (best[i] === 0) touched.push(i);
        best[i] = found.best[i] as number;
      }
    }
    const scores = new Scores(n);
    for (const i of touched) scores.set(i, best[i] as number);
    return scores;
  }

  /** A query word's best weight per entry over its spellings, stems and synonyms (synonyms.ts, as the reference scores it). */
  private expandedWeights(word: string): { best: Int8Array; touched: number[] } {
    const alts = expandWord(word);
    const only = alts[0];
    if (alts.length === 1 && only && only.same && !only.prefix.includes(' ')) return this.bestWeights(only.prefix);
    const best = new Int8Array(this.entries.length);
    const touched: number[] = [];
    for (const alt of alts) {
      const found = alt.prefix.includes(' ') ? this.phraseWeights(alt.prefix) : this.bestWeights(alt.prefix);
      for (const i of found.touched) {
        const weight = alternativeWeight(found.best[i] as number, alt);
        if (weight <= (best[i] as number)) continue;
        if (best[i] === 0) touched.push(i);
        best[i] = weight;
      }
    }
    return { best, touched };
  }

  /** The weight of the best field holding a word that begins with `prefix`, per entry (0: none), and the entries with one. */
  private bestWeights(prefix: string): { best: Int8Array; touched: number[] } {
    const best = new Int8Array(this.entries.length);
    const touched: number[] = [];
    for (let w = lowerBound(this.words, prefix); w < this.words.length && (this.words[w] as string).startsWith(prefix); w++) {
      const { entries, masks } = this.postings[w] as Posting;
      for (let k = 0; k < entries.length; k++) {
        const weight = MASK_WEIGHT[masks[k] as number] as number;
        const i = entries[k] as number;
        if (weight <= (best[i] as number)) continue;
        if (best[i] === 0) touched.push(i);
        best[i] = weight;
      }
    }
    return { best, touched };
  }

  /** A phrase's weight, checked in the text of the entries holding its first word. */
  private phraseWeights(phrase: string): { best: Int8Array; touched: number[] } {
    const first = this.bestWeights(phrase.split(' ')[0] as string);
    const best = new Int8Array(this.entries.length);
    const touched: number[] = [];
    const spaced = ` ${phrase}`;
    for (const i of first.touched) {
      const f = fieldsOf((this.entries[i] as Entry).service);
      const field = FIELD_ORDER.find((name) => f[name].includes(spaced));
      if (!field) continue;
      best[i] = FIELD_WEIGHT[field];
      touched.push(i);
    }
    return { best, touched };
  }

  /** Entries that may match (a superset), in ascending order; null: every entry (nothing narrows). */
  private candidates(q: ServiceQuery, text: Scores | undefined, need: Scores | undefined): number[] | null {
    const sets: (readonly number[])[][] = [];
    if (text) sets.push([text.entries]);
    if (need) sets.push([need.entries]);
    const language = q.language?.trim().toLowerCase();
    if (language) sets.push(lookup(this.languageKeys, queryLanguageKeys(language)));
    const term = q.taxonomyTerm?.trim().toLowerCase();
    if (term) sets.push(lookup(this.termKeys, [`i:${term}`, `n:${term}`, `c:${term}`]));
    if (sets.length === 0) return null;
    return intersect(sets, (this.marks ??= new Uint8Array(this.entries.length)));
  }
}

/** Scores by entry, for the entries that have one. */
class Scores {
  private readonly values: Int32Array;
  readonly entries: number[] = [];

  constructor(size: number) {
    this.values = new Int32Array(size).fill(NONE);
  }

  /** Every entry, scoring 0 (a query with no words to match). */
  static all(size: number): Scores {
    const s = new Scores(size);
    for (let i = 0; i < size; i++) s.set(i, 0);
    return s;
  }

  set(i: number, score: number): void {
    if (this.values[i] === NONE) this.entries.push(i);
    this.values[i] = score;
  }

  get(i: number): number | undefined {
    const v = this.values[i] as number;
    return v === NONE ? undefined : v;
  }
}

const NONE = -0x80000000;

interface Posting {
  entries: number[];
  /** Bit b set: FIELD_ORDER[b] holds the word. */
  masks: number[];
}

/** The reference's fields, best first, and their weights (search.ts, wordScore). */
const FIELD_ORDER = ['name', 'terms', 'organization', 'body', 'places'] as const;
const FIELD_WEIGHT: Record<(typeof FIELD_ORDER)[number], number> = { name: 8, terms: 5, organization: 4, body: 2, places: 1 };
/** For each field mask, the weight of its best field. */
const MASK_WEIGHT = Array.from({ length: 1 << FIELD_ORDER.length }, (_, mask) => {
  const bit = FIELD_ORDER.findIndex((_, b) => mask & (1 << b));
  return bit === -1 ? 0 : FIELD_WEIGHT[FIELD_ORDER[bit] as (typeof FIELD_ORDER)[number]];
});

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

/**
 * Entries in every constraint (each constraint: the union of its posting lists), ascending.
 * `marks` (one per entry, all zero, left so): an entry's count of constraints met so far, in
 * order, so that only an entry of every one reaches their number.
 */
function intersect(constraints: (readonly number[])[][], marks: Uint8Array): number[] {
  constraints.forEach((lists, c) => {
    for (const list of lists) for (const i of list) if (marks[i] === c) marks[i] = c + 1;
  });
  const all = constraints.length;
  const out: number[] = [];
  for (let i = 0; i < marks.length; i++) {
    if (marks[i] === all) out.push(i);
    marks[i] = 0;
  }
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
  const keys = [`p:${primary(q)}`, `x:${q}`];
  // Every name the language goes by, and its code (synonyms.ts), as matchesLanguage reads them.
  const nq = normalizeText(q);
  for (const name of languageAlternatives(nq)) keys.push(`w:${name.split(' ')[0] ?? ''}`);
  const code = languageCodeOf(nq);
  if (code !== undefined) keys.push(`p:${code}`, `x:${code}`);
  return keys;
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

const YES = 1;
const NO = 2;
const OPEN = 1;
const CLOSED = 2;
const UNKNOWN = 3;

/** The number of `key` among the distinct keys seen so far (a new one is added, with `rep` holding it). */
function idOf<T>(ids: Map<string, number>, reps: T[], key: string, rep: T): number {
  let id = ids.get(key);
  if (id === undefined) {
    id = reps.length;
    ids.set(key, id);
    reps.push(rep);
  }
  return id;
}

/** The best `k` offers in rankServices order: score, then entry (the entries are in name, then id order). */
class TopK {
  private readonly items: { entry: number; score: number }[] = [];

  constructor(private readonly k: number) {}

  offer(entry: number, score: number): void {
    if (this.k <= 0) return;
    const n = this.items.length;
    // Most offers lose to the worst kept one: decided without allocating anything.
    if (n === this.k && !better(score, entry, this.items[n - 1] as { entry: number; score: number })) return;
    let i = n;
    while (i > 0 && better(score, entry, this.items[i - 1] as { entry: number; score: number })) i--;
    this.items.splice(i, 0, { entry, score });
    if (this.items.length > this.k) this.items.pop();
  }

  best(): { entry: number; score: number }[] {
    return this.items;
  }
}

function better(score: number, entry: number, than: { entry: number; score: number }): boolean {
  return score !== than.score ? score > than.score : entry < than.entry;
}
