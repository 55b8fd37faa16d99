/**
 * Near-miss keys: a CAD that writes `lastUpdateTimestamp` for `lastUpdateTimeStamp`,
 * `EIDOVersion` for `eidoVersion` or `notes` for `notesComponent` means the EIDO field, and
 * is told so instead of having the field silently ignored or the document refused.
 *
 * For each object Tandem reads, every key that is not an EIDO 1.0 name of that object is
 * matched against the names it could mean, in this order:
 *   1. the same letters in another case, or with "_"/"-" between words → renamed;
 *   2. a known variant seen in real feeds (the `aliases` of the vocabulary) → renamed;
 *   3. one EIDO name within a small edit distance, and no other as close → renamed when the
 *      EIDO name itself is absent, else only reported.
 * Keys matching nothing are left as they are (they stay in the raw document, unread):
 * EIDO allows extensions, and reporting every one would bury the real problems.
 */
import type { JsonObject } from './json';
import type { ProblemLog } from './problems';
import { joinPath } from './field-path';

export interface KeyVocabulary {
  /** Every EIDO 1.0 name of this object, read by Tandem or not. */
  known: readonly string[];
  /** Other names senders use for a known key, e.g. `notes` → `notesComponent`. */
  aliases?: Readonly<Record<string, string>>;
}

/** Keys are echoed in messages; a hostile document could make one very long. */
const MAX_SHOWN = 60;

/**
 * A copy of `obj` with near-miss keys renamed to their EIDO names, each reported. The copy
 * is built with Object.fromEntries, so a "__proto__" key stays an own data property.
 */
export function repairKeys(obj: JsonObject, vocab: KeyVocabulary, path: string, log: ProblemLog): JsonObject {
  const known = new Set(vocab.known);
  const keys = Object.keys(obj);
  if (keys.every((k) => known.has(k))) return obj;
  const present = new Set(keys.filter((k) => known.has(k)));
  const entries: [string, unknown][] = [];
  for (const key of keys) {
    if (known.has(key)) {
      entries.push([key, obj[key]]);
      continue;
    }
    const target = intendedKey(key, vocab);
    if (!target) {
      entries.push([key, obj[key]]);
      continue;
    }
    const where = joinPath(path, [key]);
    const detail = { found: shown(key), suggestion: `did you mean "${target.key}"?` };
    if (present.has(target.key)) {
      log.repaired('misnamed_key', where, 'is not an EIDO 1.0 name', `ignored: "${target.key}" is also present`, detail);
      entries.push([key, obj[key]]);
    } else if (target.how === 'distance') {
      log.repaired('misnamed_key', where, 'is not an EIDO 1.0 name', `read as "${target.key}"`, detail);
      present.add(target.key);
      entries.push([target.key, obj[key]]);
    } else {
      log.repaired('misnamed_key', where, `is not an EIDO 1.0 name (${target.how})`, `read as "${target.key}"`, detail);
      present.add(target.key);
      entries.push([target.key, obj[key]]);
    }
  }
  return Object.fromEntries(entries);
}

interface Intended {
  key: string;
  how: 'wrong case' | 'known variant' | 'distance';
}

/** The EIDO name `key` most plausibly stands for, or undefined. */
export function intendedKey(key: string, vocab: KeyVocabulary): Intended | undefined {
  const folded = fold(key);
  const sameLetters = vocab.known.find((k) => fold(k) === folded);
  if (sameLetters) return { key: sameLetters, how: 'wrong case' };
  const alias = vocab.aliases && Object.prototype.hasOwnProperty.call(vocab.aliases, key) ? vocab.aliases[key] : undefined;
  if (alias) return { key: alias, how: 'known variant' };
  const limit = distanceLimit(folded.length);
  if (limit === 0) return undefined;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tie = false;
  for (const k of vocab.known) {
    const d = editDistance(folded, fold(k), limit);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) tie = true;
  }
  return best && !tie ? { key: best, how: 'distance' } : undefined;
}

/** Case and word separators do not change which field a key names. */
function fold(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, '');
}

/** Short keys differ by one letter from too many others to guess. */
function distanceLimit(length: number): number {
  if (length < 6) return 0;
  return length < 12 ? 1 : 2;
}

/**
 * Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent
 * transpositions), giving up once every alignment is past `max`: keys are short and the
 * vocabulary small, so a dependency would cost more than these lines.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prevPrev[j - 2] as number) + 1);
      cur.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    prevPrev = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}

function shown(key: string): string {
  const k = key.length > MAX_SHOWN ? `${key.slice(0, MAX_SHOWN)}…` : key;
  return JSON.stringify(k);
}
