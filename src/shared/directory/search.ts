/**
 * Reference search behaviour for the resource directory: pure functions over small
 * in-memory lists. The SQLite index in the workstation core must give the same answers.
 *
 * Matching is on normalized words (lower case, accents removed): a query word matches a
 * record word it is a prefix of ("counsel" finds "Counselling"); every query word must
 * match. Services that are not `active` are left out unless `includeInactive` is set.
 */
import { DateTime } from 'luxon';
import { isOpenAt } from './schedule';
import { alternativeWeight, expandWord, languageAlternatives, languageCodeOf } from './synonyms';
import type { ResourceService } from './types';

export interface ServiceQuery {
  /** Free text: every word must occur in the name, organization, description, eligibility, taxonomy terms, locations or interpretation notes. */
  text?: string;
  /** A need: a key of `NEEDS` ('mental_health', 'housing', …) or any words (treated like `text`). */
  need?: string;
  /** Taxonomy term id, code (prefix of a hierarchical code: 'BD' finds 'BD-1800.2000') or name. */
  taxonomyTerm?: string;
  /** Language name ('Spanish') or code ('es' also finds 'es-MX'). Services listing no languages do not match. */
  language?: string;
  /** The person's age: within minimumAge … maximumAge, each bound inclusive when present. */
  age?: number;
  /** Only services known to be open at `at`: closed ones and those whose hours are unknown are left out. */
  openNow?: boolean;
  /** The instant for `openNow`, open-first ranking and freshness; defaults to the current time. */
  at?: Date;
  /** Zone for schedules that name none (the directory's local zone). Default: the service's zone, else UTC. */
  timezone?: string;
  /** Include inactive, defunct and temporarily closed services. */
  includeInactive?: boolean;
}

export interface NeedDef {
  label: string;
  /** Word prefixes or phrases, normalized (lower case, no accents). */
  keywords: readonly string[];
}

/** The needs a clinician picks from; each matches any of its keywords. */
export const NEEDS = {
  crisis: { label: 'Crisis support', keywords: ['crisis', 'suicid', 'hotline', 'helpline', '988'] },
  mental_health: {
    label: 'Mental health',
    keywords: ['mental health', 'counsel', 'therap', 'psychiatr', 'psycholog', 'behavioral health', 'behavioural health', 'depress', 'anxiety', 'trauma'],
  },
  substance_use: {
    label: 'Substance use',
    keywords: ['substance', 'addiction', 'alcohol', 'drug', 'detox', 'opioid', 'recovery', 'sober'],
  },
  housing: { label: 'Housing and shelter', keywords: ['housing', 'shelter', 'homeless', 'rent', 'eviction', 'tenan'] },
  food: { label: 'Food', keywords: ['food', 'meal', 'pantry', 'nutrition', 'grocer'] },
  domestic_violence: {
    label: 'Domestic or sexual violence',
    keywords: ['domestic violence', 'domestic abuse', 'intimate partner', 'sexual assault', 'sexual violence', 'family violence'],
  },
  medical: { label: 'Medical care', keywords: ['medical', 'health care', 'healthcare', 'clinic', 'hospital', 'doctor', 'nurse', 'primary care'] },
  transportation: { label: 'Transportation', keywords: ['transport', 'transit', 'bus pass', 'rides'] },
  legal: { label: 'Legal help', keywords: ['legal', 'lawyer', 'attorney'] },
  financial: { label: 'Money and benefits', keywords: ['financial', 'benefit', 'income', 'cash assistance', 'utility', 'bill'] },
  youth: { label: 'Children and youth', keywords: ['youth', 'child', 'teen', 'adolescen', 'young people', 'kids'] },
  older_adults: { label: 'Older adults', keywords: ['older adult', 'senior', 'elder', 'aging', 'ageing'] },
  veterans: { label: 'Veterans', keywords: ['veteran', 'military'] },
} as const satisfies Record<string, NeedDef>;

export type NeedKey = keyof typeof NEEDS;

const STOPWORDS = new Set(['a', 'an', 'and', 'the', 'for', 'with', 'of', 'to', 'in', 'on', 'or', 'at', 'by']);

/** Lower case, accents removed, non-alphanumerics to single spaces. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The words of a query that count: normalized, without stopwords. */
export function queryWords(text: string): string[] {
  return normalizeText(text)
    .split(' ')
    .filter((w) => w !== '' && !STOPWORDS.has(w));
}

/** ' w1 w2 … ' so that `includes(' ' + prefix)` is a word-prefix (or phrase-prefix) test. */
function field(...parts: (string | undefined)[]): string {
  return ` ${normalizeText(parts.filter(Boolean).join(' '))} `;
}

export interface Fields {
  name: string;
  organization: string;
  terms: string;
  body: string;
  places: string;
}

const fieldCache = new WeakMap<ResourceService, Fields>();

/** The normalized text fields of a service, each " w1 w2 … ", cached per service object. */
export function fieldsOf(s: ResourceService): Fields {
  let f = fieldCache.get(s);
  if (!f) {
    f = {
      name: field(s.name, s.alternateName),
      // "Organization unknown" is our placeholder, not the service's words.
      organization: s.organizationUnknown ? ' ' : field(s.organizationName),
      terms: field(...s.taxonomyTerms.flatMap((t) => [t.name, t.code])),
      body: field(s.description, s.eligibilityDescription, s.interpretationServices),
      places: field(...s.locations.flatMap((l) => [l.name, l.address])),
    };
    fieldCache.set(s, f);
  }
  return f;
}

const has = (haystack: string, needle: string) => needle !== '' && haystack.includes(` ${needle}`);

/** Weight of the best field a word or phrase occurs in; 0 when it occurs nowhere. */
function wordScore(f: Fields, needle: string): number {
  if (has(f.name, needle)) return 8;
  if (has(f.terms, needle)) return 5;
  if (has(f.organization, needle)) return 4;
  if (has(f.body, needle)) return 2;
  if (has(f.places, needle)) return 1;
  return 0;
}

/** A query word's best weight over its spellings, stems and synonyms (synonyms.ts); 0 when none occurs. */
function expandedWordScore(f: Fields, word: string): number {
  let best = 0;
  for (const alt of expandWord(word)) best = Math.max(best, alternativeWeight(wordScore(f, alt.prefix), alt));
  return best;
}

/** How well a service matches free text (null: a word matches nothing). Fields are cached per service object. */
export function textScore(s: ResourceService, text: string): number | null {
  return wordsScore(s, queryWords(text));
}

/** textScore for words already through queryWords: a caller scoring many services normalizes the query once. */
export function wordsScore(s: ResourceService, ws: readonly string[]): number | null {
  if (ws.length === 0) return 0;
  const f = fieldsOf(s);
  let score = 0;
  for (const w of ws) {
    const ws1 = expandedWordScore(f, w);
    if (ws1 === 0) return null;
    score += ws1;
  }
  if (ws.length > 1 && has(f.name, ws.join(' '))) score += 10;
  return score;
}

/** "Mental health", "mental-health" and "mental_health" all name the need mental_health. */
export function needKeyOf(need: string): string {
  return need.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

export function isNeedKey(need: string): need is NeedKey {
  return Object.prototype.hasOwnProperty.call(NEEDS, need);
}

/** How well a service matches a need (a NEEDS key or free text); null when it does not. */
export function needScore(s: ResourceService, need: string): number | null {
  const key = needKeyOf(need);
  return isNeedKey(key) ? keywordsScore(s, NEED_KEYWORDS[key]) : textScore(s, need);
}

/** Each need's keywords, normalized once. */
export const NEED_KEYWORDS = Object.fromEntries(Object.entries(NEEDS).map(([k, d]) => [k, d.keywords.map(normalizeText)])) as Record<NeedKey, string[]>;

/** The best weight of any of the (normalized) keywords; null when none occurs. */
export function keywordsScore(s: ResourceService, keywords: readonly string[]): number | null {
  const f = fieldsOf(s);
  let best = 0;
  for (const k of keywords) best = Math.max(best, wordScore(f, k));
  return best === 0 ? null : best;
}

export function matchesTerm(s: ResourceService, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  return s.taxonomyTerms.some((t) => {
    if (t.id.toLowerCase() === q || t.name.toLowerCase() === q) return true;
    const code = t.code?.toLowerCase();
    return code !== undefined && (code === q || code.startsWith(`${q}.`) || code.startsWith(`${q}-`));
  });
}

/** Language names are few and repeat on every service: normalized once each. */
const normalizedNames = new Map<string, string>();
function normalizedName(name: string): string {
  let n = normalizedNames.get(name);
  if (n === undefined) {
    n = normalizeText(name);
    if (normalizedNames.size > 10_000) normalizedNames.clear();
    normalizedNames.set(name, n);
  }
  return n;
}

export function matchesLanguage(s: ResourceService, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  const primary = (code: string) => code.split(/[-_]/)[0];
  // A language by any of its names ("español" finds Spanish, es): synonyms.ts.
  const nq = normalizedName(q);
  const code = languageCodeOf(nq);
  if (s.languageCodes.some((c) => c === q || primary(c) === primary(q) || (code !== undefined && primary(c) === code))) return true;
  const names = languageAlternatives(nq);
  return s.languages.some((name) => {
    const n = normalizedName(name);
    const p = primary(name.toLowerCase());
    return names.some((a) => n === a || ` ${n} `.includes(` ${a} `)) || p === q || (code !== undefined && p === code);
  });
}

export function matchesAge(s: ResourceService, age: number): boolean {
  if (!Number.isFinite(age)) return true;
  if (s.minimumAge !== undefined && age < s.minimumAge) return false;
  if (s.maximumAge !== undefined && age > s.maximumAge) return false;
  return true;
}

function openAt(s: ResourceService, q: ServiceQuery, at: Date): boolean | null {
  return isOpenAt(s.schedules, at, s.timezone ?? q.timezone);
}

interface Evaluation {
  score: number;
  open: boolean | null;
}

function evaluate(s: ResourceService, q: ServiceQuery, at: Date, wantOpen: boolean): Evaluation | null {
  if (!q.includeInactive && s.status !== 'active') return null;
  let score = 0;
  if (q.text !== undefined && q.text.trim() !== '') {
    const t = textScore(s, q.text);
    if (t === null) return null;
    score += t;
  }
  if (q.need !== undefined && q.need.trim() !== '') {
    const n = needScore(s, q.need);
    if (n === null) return null;
    score += n;
  }
  if (q.taxonomyTerm !== undefined && !matchesTerm(s, q.taxonomyTerm)) return null;
  if (q.language !== undefined && !matchesLanguage(s, q.language)) return null;
  if (q.age !== undefined && !matchesAge(s, q.age)) return null;
  const open = wantOpen ? openAt(s, q, at) : null;
  if (q.openNow && !passesOpenNow(open)) return null;
  return { score, open };
}

/** The open-now filter: only hours known to be open pass; unknown hours are "hours unknown", never "open now". */
export function passesOpenNow(open: boolean | null): boolean {
  return open === true;
}

/** What a console says about a service's hours at the query instant. */
export function describeOpen(open: boolean | null): 'open now' | 'closed now' | 'hours unknown' {
  return open === true ? 'open now' : open === false ? 'closed now' : 'hours unknown';
}

/** Does the service satisfy every criterion of the query? */
export function matchesQuery(service: ResourceService, query: ServiceQuery = {}): boolean {
  const at = query.at ?? new Date();
  return evaluate(service, query, at, !!query.openNow) !== null;
}

export interface RankedService {
  service: ResourceService;
  /** Higher is better; only meaningful within one result list. */
  score: number;
  /** Open at the query instant: true, false, or null when unknown. */
  open: boolean | null;
}

/**
 * The services matching the query, best first: relevance to text and need, then open
 * (known open above unknown above closed), then fresh above stale, then by name and id.
 */
export function rankServices(services: readonly ResourceService[], query: ServiceQuery = {}): RankedService[] {
  const at = query.at ?? new Date();
  const ranked: RankedService[] = [];
  for (const service of services) {
    const e = evaluate(service, query, at, true);
    if (!e) continue;
    let score = e.score;
    if (e.open === true) score += 6;
    else if (e.open === false) score -= 6;
    if (freshness(service, at).stale) score -= 2;
    ranked.push({ service, score, open: e.open });
  }
  const key = (r: RankedService) => r.service.name.toLowerCase();
  return ranked.sort(
    (a, b) =>
      b.score - a.score ||
      (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) ||
      (a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0),
  );
}

export interface Freshness {
  /** 'assured 3 months ago', 'updated 2 years ago', 'never assured'. */
  label: string;
  /** Older than 12 months, or no date at all. */
  stale: boolean;
  /** Which date the label is about. */
  basis: 'assured' | 'modified' | 'none';
  /** That date (ISO). */
  date?: string;
}

function ago(then: DateTime, now: DateTime): string {
  const days = Math.floor(now.diff(then, 'days').days);
  if (days < 1) return 'today';
  if (days < 2) return 'yesterday';
  const months = Math.floor(now.diff(then, 'months').months);
  if (months < 1) return `${days} days ago`;
  if (months < 12) return months === 1 ? '1 month ago' : `${months} months ago`;
  const years = Math.floor(months / 12);
  return years === 1 ? '1 year ago' : `${years} years ago`;
}

/** How recently the service's details were confirmed: assured_date, else last_modified. */
export function freshness(service: ResourceService, now: Date): Freshness {
  const n = DateTime.fromJSDate(now, { zone: 'utc' });
  const candidates: [Freshness['basis'], string | undefined][] = [
    ['assured', service.assuredDate],
    ['modified', service.lastModified],
  ];
  for (const [basis, text] of candidates) {
    if (!text) continue;
    const then = DateTime.fromISO(text, { zone: 'utc' });
    if (!then.isValid) continue;
    const verb = basis === 'assured' ? 'assured' : 'updated';
    const stale = then < n.minus({ months: 12 });
    return { label: `${verb} ${ago(then, n)}`, stale, basis, date: text };
  }
  return { label: 'never assured', stale: true, basis: 'none' };
}
