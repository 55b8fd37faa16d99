/**
 * What people type into the directory search, and what services write: one small table of
 * spelling variants, word endings, synonyms for common needs and language names, used to
 * expand each query word into the word prefixes that count as a match for it. Only the query
 * is expanded; the index and the services' text are untouched (search.ts and search-index.ts
 * both call `expandWord`, so the reference and the index still give the same answer).
 *
 * - Spelling: "counseling" finds "counselling", "behavior" "behaviour", "center" "centre".
 * - Endings: a plural or -ing/-ed form also matches its stem ("shelters" finds "shelter",
 *   "counseling" finds "counselor").
 * - Synonyms: "crisis" finds "suicide" and "hotline", "shelter" finds "homeless", "food" finds
 *   "pantry". A synonym scores one less than the word itself, so the word typed ranks first.
 * - Languages: "Spanish" finds "español" and the reverse; the language filter takes either.
 *
 * Every entry is normalized as `normalizeText` does (lower case, accents removed).
 */

export interface Alternative {
  /** A word prefix to look for. */
  prefix: string;
  /** The same word (a spelling, an ending, another name of a language); false: a synonym. */
  same: boolean;
}

/** British and American spellings (and a few common misspellings), each group one word. */
const SPELLINGS: readonly (readonly string[])[] = [
  ['counseling', 'counselling'],
  ['counselor', 'counsellor'],
  ['behavior', 'behaviour'],
  ['center', 'centre'],
  ['program', 'programme'],
  ['aging', 'ageing'],
  ['pediatric', 'paediatric'],
  ['organization', 'organisation'],
  ['neighbor', 'neighbour'],
  ['labor', 'labour'],
  ['license', 'licence'],
  ['defense', 'defence'],
  ['anemia', 'anaemia'],
  ['anesthes', 'anaesthes'],
  ['esthetic', 'aesthetic'],
  ['gynecolog', 'gynaecolog'],
  ['orthoped', 'orthopaed'],
  ['traveler', 'traveller'],
  ['jewelry', 'jewellery'],
  ['mold', 'mould'],
  ['fulfill', 'fulfil'],
  ['enroll', 'enrol'],
  ['theater', 'theatre'],
  ['catalog', 'catalogue'],
  ['dialog', 'dialogue'],
  ['harbor', 'harbour'],
  ['color', 'colour'],
  ['favor', 'favour'],
  ['honor', 'honour'],
  ['rumor', 'rumour'],
  ['judgment', 'judgement'],
  ['acknowledgment', 'acknowledgement'],
  ['alcoholics', 'alcoholic'],
  ['psychiatric', 'psychiatry', 'psychiatrist'],
  ['therapy', 'therapist', 'therapeutic', 'therapies'],
  ['medicaid', 'medi cal', 'medical assistance'],
];

/** Common needs: what a clinician types, and words services use for it. Prefixes. */
const SYNONYMS: readonly (readonly string[])[] = [
  ['crisis', 'suicid', 'hotline', 'helpline', '988'],
  ['suicid', 'crisis', 'self harm', '988'],
  ['shelter', 'homeless', 'housing', 'emergency housing', 'refuge'],
  ['homeless', 'shelter', 'unhoused', 'unsheltered', 'housing'],
  ['housing', 'shelter', 'homeless', 'rent', 'tenan'],
  ['food', 'meal', 'pantry', 'pantries', 'grocer', 'nutrition', 'soup kitchen'],
  ['hunger', 'food', 'meal', 'pantry', 'pantries'],
  ['counsel', 'therap', 'mental health', 'psycholog', 'behavioral health', 'behavioural health'],
  ['therap', 'counsel', 'psycholog', 'mental health'],
  ['mental', 'behavioral', 'behavioural', 'psychiatr', 'counsel'],
  ['depress', 'mental health', 'mood'],
  ['anxiety', 'mental health', 'panic'],
  ['addiction', 'substance', 'detox', 'recovery', 'alcohol', 'drug', 'opioid'],
  ['rehab', 'recovery', 'substance', 'detox', 'treatment'],
  ['detox', 'withdrawal', 'substance', 'addiction'],
  ['drug', 'substance', 'addiction', 'opioid'],
  ['alcohol', 'substance', 'addiction', 'sober'],
  ['abuse', 'violence', 'assault'],
  ['dv', 'domestic violence', 'domestic abuse', 'intimate partner', 'family violence'],
  ['rape', 'sexual assault', 'sexual violence'],
  ['doctor', 'medical', 'clinic', 'physician', 'primary care', 'health care', 'healthcare'],
  ['clinic', 'medical', 'health center', 'health centre'],
  ['dentist', 'dental'],
  ['lawyer', 'legal', 'attorney'],
  ['attorney', 'legal', 'lawyer'],
  ['legal', 'lawyer', 'attorney', 'law'],
  ['money', 'financial', 'cash assistance', 'benefit', 'income'],
  ['job', 'employment', 'career', 'work'],
  ['employment', 'job', 'career'],
  ['kids', 'child', 'youth', 'teen'],
  ['child', 'youth', 'kids', 'pediatric', 'paediatric'],
  ['teen', 'youth', 'adolescen', 'young people'],
  ['senior', 'older adult', 'elder', 'aging', 'ageing'],
  ['elderly', 'older adult', 'senior', 'elder'],
  ['veteran', 'military', 'va '],
  ['ride', 'transport', 'transit'],
  ['transport', 'transit', 'ride', 'bus'],
  ['utilities', 'utility', 'energy assistance', 'heating'],
  ['clothes', 'clothing'],
  ['clothing', 'clothes'],
];

/** Languages by ISO 639-1 code (or 639-3 where there is none): their names in English and in themselves. */
export const LANGUAGE_NAMES: Readonly<Record<string, readonly string[]>> = {
  es: ['spanish', 'espanol', 'castellano'],
  zh: ['chinese', 'mandarin', 'cantonese', 'zhongwen', '中文', '普通话', '广东话', '粵語'],
  vi: ['vietnamese', 'tieng viet'],
  tl: ['tagalog', 'filipino', 'pilipino'],
  ar: ['arabic', 'العربية', 'arabiya'],
  fr: ['french', 'francais'],
  ht: ['haitian creole', 'haitian', 'kreyol', 'kreyol ayisyen'],
  ru: ['russian', 'русский', 'russkiy'],
  ko: ['korean', '한국어', 'hangugeo'],
  pt: ['portuguese', 'portugues'],
  so: ['somali', 'soomaali'],
  am: ['amharic', 'አማርኛ', 'amarigna'],
  hi: ['hindi', 'हिन्दी'],
  ur: ['urdu', 'اردو'],
  bn: ['bengali', 'bangla', 'বাংলা'],
  pa: ['punjabi', 'panjabi', 'ਪੰਜਾਬੀ'],
  ne: ['nepali', 'नेपाली'],
  fa: ['persian', 'farsi', 'dari', 'فارسی'],
  pl: ['polish', 'polski'],
  it: ['italian', 'italiano'],
  de: ['german', 'deutsch'],
  ja: ['japanese', '日本語', 'nihongo'],
  uk: ['ukrainian', 'українська', 'ukrainska'],
  hmn: ['hmong', 'hmoob'],
  km: ['khmer', 'cambodian', 'ខ្មែរ'],
  sw: ['swahili', 'kiswahili'],
  kea: ['cape verdean creole', 'cape verdean', 'kriolu', 'kabuverdianu'],
  ase: ['american sign language', 'asl', 'sign language'],
  en: ['english'],
};

/** Each language name's code; names of more than one word are kept whole too. */
const LANGUAGE_BY_NAME = new Map<string, string>();
for (const [code, names] of Object.entries(LANGUAGE_NAMES)) for (const n of names) LANGUAGE_BY_NAME.set(n, code);

/** The code a language query names (a name in any listed form, or a code), or undefined. */
export function languageCodeOf(query: string): string | undefined {
  const q = query.trim().toLowerCase();
  if (Object.prototype.hasOwnProperty.call(LANGUAGE_NAMES, q)) return q;
  return LANGUAGE_BY_NAME.get(q);
}

/** Every name a language query may go by (the query's own form first), normalized; [query] when unknown. */
export function languageAlternatives(normalizedQuery: string): string[] {
  const code = LANGUAGE_BY_NAME.get(normalizedQuery);
  if (code === undefined) return [normalizedQuery];
  return [normalizedQuery, ...(LANGUAGE_NAMES[code] as readonly string[]).filter((n) => n !== normalizedQuery)];
}

/**
 * Word endings a typed word may carry that its stem does not, longest first. Only endings
 * whose stem is safe as a prefix: -er and -or are left alone ("center" is not "cent").
 */
const ENDINGS: readonly [string, string][] = [
  ['ies', 'y'],
  ['ings', ''],
  ['ing', ''],
  ['ed', ''],
  ['es', ''],
  ['s', ''],
];
/** A stem shorter than this matches too much ("us" from "using"). */
const MIN_STEM = 4;

/** The word without a common ending ("shelters" → "shelter", "counseling" → "counsel"), or null. */
export function stemOf(word: string): string | null {
  for (const [end, put] of ENDINGS) {
    if (!word.endsWith(end) || word.length - end.length < MIN_STEM - put.length) continue;
    if (end === 's' && /(ss|us|is)$/.test(word)) continue;
    let stem = word.slice(0, word.length - end.length) + put;
    // counselling → counsell → counsel; shipping → shipp → ship (not "dress" → "dres").
    const last = stem[stem.length - 1] as string;
    if ((end === 'ing' || end === 'ings' || end === 'ed') && stem.length > MIN_STEM && last === stem[stem.length - 2] && !'aeiousz'.includes(last)) stem = stem.slice(0, -1);
    if (stem.length >= MIN_STEM) return stem;
  }
  return null;
}

/** For each synonym head, its synonyms. */
const SYNONYMS_OF = new Map<string, readonly string[]>();
for (const g of SYNONYMS) SYNONYMS_OF.set(g[0] as string, g.slice(1));

/** Keys of the tables a typed word may hit: the word and its stem. */
function lookups(word: string): string[] {
  const out = [word];
  const stem = stemOf(word);
  if (stem) out.push(stem);
  return out;
}

const cache = new Map<string, Alternative[]>();

/**
 * The prefixes that count as a match for one normalized query word: its own forms, then its
 * synonyms. A prefix that begins with another kept one is dropped (it would find nothing more).
 */
export function expandWord(word: string): Alternative[] {
  const hit = cache.get(word);
  if (hit) return hit;
  const same = new Set<string>([word]);
  const synonyms = new Set<string>();
  for (const key of lookups(word)) {
    same.add(key);
    // A spelling at the start of the word carries its ending over: behavioral → behavioural.
    for (const g of SPELLINGS) {
      const v = g.find((x) => key.startsWith(x));
      if (v !== undefined) for (const other of g) same.add(other + key.slice(v.length));
    }
    const lang = LANGUAGE_BY_NAME.get(key);
    if (lang) for (const n of LANGUAGE_NAMES[lang] as readonly string[]) same.add(n);
  }
  // Each spelling's own stem: counselling → counsel.
  for (const key of [...same]) {
    const stem = stemOf(key);
    if (stem) same.add(stem);
  }
  // Synonyms of the word, of its stem and of any head the word begins with ("suicidal" → suicid).
  // A word longer than a head it begins with also finds the head's other forms ("counselor" → counsel).
  for (const [head, list] of SYNONYMS_OF) {
    if (![...same].some((w) => w.startsWith(head))) continue;
    synonyms.add(head);
    // Phrases are left to the need filter: checking one costs a scan of every service holding its first word.
    for (const s of list) if (!s.trim().includes(' ')) synonyms.add(s.trim());
  }
  // Same-word forms first, shortest first, so a longer one a kept prefix covers is dropped; then synonyms.
  const alts: Alternative[] = [];
  const covered = (p: string) => alts.some((a) => p.startsWith(a.prefix));
  for (const p of [...same].sort((a, b) => a.length - b.length || (a < b ? -1 : 1))) if (p && !covered(p)) alts.push({ prefix: p, same: true });
  for (const p of [...synonyms].sort((a, b) => a.length - b.length || (a < b ? -1 : 1))) if (p && !covered(p)) alts.push({ prefix: p, same: false });
  if (cache.size > 5_000) cache.clear();
  cache.set(word, alts);
  return alts;
}

/** A synonym's hit scores one less than the word's own (never below 1): the word typed ranks first. */
export function alternativeWeight(weight: number, alt: Alternative): number {
  if (weight === 0) return 0;
  return alt.same ? weight : Math.max(1, weight - 1);
}
