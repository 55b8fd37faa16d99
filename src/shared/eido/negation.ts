/**
 * Negation and uncertainty around a matched phrase, the way clinical text tools read notes
 * (NegEx, Chapman et al. 2001; ConText): a trigger word ("no", "denies", "without",
 * "negative for", "not", …) negates what follows it within a window of words, until the scope
 * ends at a terminator ("but", "however", a new verb of report such as "says" or "took") or at
 * punctuation that ends a clause. A few triggers come after what they negate ("weapons:
 * none", "gun not found"). Uncertainty ("possible", "may have", "unknown if") is found the
 * same way, and never removes a match: an uncertain weapon is still a weapon.
 *
 * Pseudo-triggers are phrases that contain a trigger word but do not negate ("no longer",
 * "not only", "not sure"). "no longer armed" is deliberately not a negation: a weapon that
 * was there a moment ago still sends responders.
 *
 * Everything here is pure and predictable; the eligibility reasons name the trigger words,
 * so a dispatcher sees why a mention was not counted.
 */

/** Words between the end of a trigger and the start of the phrase it can negate. */
export const NEGATION_WINDOW = 5;

/** Before the phrase. Multi-word triggers are written as they read. */
const PRE_NEGATION = [
  'no',
  'not',
  'denies',
  'denied',
  'deny',
  'denying',
  'without',
  'w o', // "w/o"
  'negative for',
  'neg for',
  'neg',
  'never',
  'none',
  'nobody',
  'no one',
  'nothing',
  'free of',
  'absence of',
  'absent',
  'no sign of',
  'no signs of',
  'no evidence of',
  'no indication of',
  'no reports of',
  'no report of',
  'didnt',
  'did not',
  'doesnt',
  'does not',
  'dont',
  'do not',
  'isnt',
  'is not',
  'wasnt',
  'was not',
  'arent',
  'are not',
  'werent',
  'were not',
  'hasnt',
  'has not',
  'havent',
  'have not',
  'ruled out',
  'rules out',
  'unarmed',
];

/** After the phrase: "weapons: none", "gun not found", "overdose ruled out". */
const POST_NEGATION = [
  'none',
  'denied',
  'negative',
  'neg',
  'ruled out',
  'not found',
  'not seen',
  'not present',
  'not involved',
  'not reported',
  'absent',
];

/** Contain a trigger word but negate nothing (checked before the triggers). */
const PSEUDO_NEGATION = [
  'no longer',
  'not only',
  'no doubt',
  'not sure',
  'not certain',
  'not clear',
  'no idea',
  'not known if',
  'not known whether',
  'not ruled out',
  'cannot rule out',
  'cant rule out',
  'cannot be ruled out',
  'without a doubt',
  'nothing but',
  'no change',
  'not just',
  'not responding to',
  'no response',
  'not denying',
  'never without',
];

const PRE_UNCERTAIN = [
  'possible',
  'possibly',
  'poss',
  'maybe',
  'may',
  'might',
  'may have',
  'might have',
  'could have',
  'could be',
  'probably',
  'probable',
  'likely',
  'suspected',
  'suspect',
  'suspects',
  'potential',
  'potentially',
  'questionable',
  'unknown if',
  'unknown whether',
  'unk if',
  'unsure if',
  'unsure whether',
  'not sure if',
  'not sure whether',
  'not sure',
  'unclear if',
  'unclear whether',
  'not known if',
  'not known whether',
  'no idea if',
  'cannot rule out',
  'cant rule out',
  'not ruled out',
  'reportedly',
  'believed',
  'believes',
  'thinks',
  'claims',
  'rumored',
];

const POST_UNCERTAIN = ['unknown', 'unk', 'not known', 'unclear', 'uncertain', 'unconfirmed', 'not confirmed', 'possible', 'suspected', 'cannot be ruled out', 'not ruled out'];

/** End a trigger's scope: what follows is a new statement. */
const TERMINATORS = new Set([
  'but',
  'however',
  'although',
  'though',
  'except',
  'yet',
  'still',
  'whereas',
  'while',
  'aside',
  'apart',
  'now',
  'then',
  'says',
  'said',
  'states',
  'stated',
  'reports',
  'reported',
  'admits',
  'admitted',
  'took',
  'taken',
  'takes',
  'swallowed',
  'ingested',
  'threatening',
  'threatened',
  'grabbed',
  'holding',
  'pulled',
]);

/**
 * A new subject ends a negation ("no injuries he has a knife") but not uncertainty ("not sure
 * if he has a gun" is still unsure about the gun).
 */
const SUBJECTS = new Set([
  'he',
  'she',
  'they',
  'caller',
  'subject',
  'pt',
  'patient',
  'husband',
  'wife',
  'son',
  'daughter',
  'brother',
  'sister',
  'mother',
  'father',
  'mom',
  'dad',
  'roommate',
  'neighbor',
  'boyfriend',
  'girlfriend',
  'who',
  'which',
]);

/** Ends a clause: every trigger's scope stops here. A comma does too ("no weapons, took pills"). */
const CLAUSE_BREAK = /[.;!?|,\n\r()[\]{}]+/u;

export type Polarity = 'affirmed' | 'negated' | 'uncertain';

export interface Assertion {
  polarity: Polarity;
  /** The trigger words that decided ("no", "denies", "may have"), or null when affirmed plainly. */
  trigger: string | null;
  /** The words of the clause around the mention, as written (for the reason line). */
  context: string;
}

/** Lowercased words, apostrophes dropped ("can't" → "cant"), "w/o" kept as "w o". */
export function words(s: string): string[] {
  return s
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

const split = (list: readonly string[]) => list.map((t) => t.split(' ')).sort((a, b) => b.length - a.length);
const PRE_NEG = split(PRE_NEGATION);
const POST_NEG = split(POST_NEGATION);
const PSEUDO = split(PSEUDO_NEGATION);
const PRE_UNC = split(PRE_UNCERTAIN);
const POST_UNC = split(POST_UNCERTAIN);

function at(ws: readonly string[], i: number, seq: readonly string[]): boolean {
  if (i < 0 || i + seq.length > ws.length) return false;
  for (let k = 0; k < seq.length; k++) if (ws[i + k] !== seq[k]) return false;
  return true;
}

/** Word positions covered by pseudo-triggers: no trigger may start inside one. */
function pseudoCovered(ws: readonly string[]): Set<number> {
  const covered = new Set<number>();
  for (let i = 0; i < ws.length; i++) {
    for (const p of PSEUDO) {
      if (at(ws, i, p)) for (let k = 0; k < p.length; k++) covered.add(i + k);
    }
  }
  return covered;
}

/**
 * The nearest trigger before `start` whose scope reaches it (at most NEGATION_WINDOW words
 * between them, no terminator in between), as its words; null when none.
 */
function preTrigger(ws: readonly string[], start: number, triggers: string[][], skip: Set<number>, ends: (w: string) => boolean): string | null {
  for (let end = start - 1; end >= 0 && start - 1 - end <= NEGATION_WINDOW; end--) {
    // Words strictly between the trigger and the phrase may not end the scope.
    if (end < start - 1 && ends(ws[end + 1])) return null;
    for (const t of triggers) {
      const from = end - t.length + 1;
      if (from >= 0 && at(ws, from, t) && !skip.has(from)) return t.join(' ');
    }
  }
  return null;
}

function postTrigger(ws: readonly string[], end: number, triggers: string[][], skip: Set<number>, ends: (w: string) => boolean): string | null {
  for (let from = end + 1; from < ws.length && from - end - 1 <= NEGATION_WINDOW; from++) {
    if (ends(ws[from])) return null;
    for (const t of triggers) if (at(ws, from, t) && !skip.has(from)) return t.join(' ');
  }
  return null;
}

const NONE = new Set<number>();
const endsScope = (w: string) => TERMINATORS.has(w);
const endsNegation = (w: string) => TERMINATORS.has(w) || SUBJECTS.has(w);

/** Does `phrase` (words, the last one a prefix when `prefix`) start at word `i`? */
function phraseAt(ws: readonly string[], i: number, phrase: readonly string[], prefix: boolean): boolean {
  if (i + phrase.length > ws.length) return false;
  for (let k = 0; k < phrase.length; k++) {
    const last = k === phrase.length - 1;
    if (last && prefix ? !ws[i + k].startsWith(phrase[k]) : ws[i + k] !== phrase[k]) return false;
  }
  return true;
}

/**
 * Every mention of `phrase` (a rule phrase, "*" at the end for a prefix) in `text`, each with
 * whether the text affirms, negates or is unsure of it. Mentions inside a trigger itself
 * ("none" as a phrase) are read as written.
 */
export function assertions(text: string, phrase: string): Assertion[] {
  const prefix = phrase.endsWith('*');
  const target = words(prefix ? phrase.slice(0, -1) : phrase);
  if (!target.length) return [];
  const out: Assertion[] = [];
  for (const clause of text.replace(/\bw\/o\b/giu, 'without').split(CLAUSE_BREAK)) {
    const ws = words(clause);
    if (!ws.length) continue;
    let skip: Set<number> | null = null;
    for (let i = 0; i < ws.length; i++) {
      if (!phraseAt(ws, i, target, prefix)) continue;
      skip ??= pseudoCovered(ws);
      const end = i + target.length - 1;
      const context = clause.trim().replace(/\s+/g, ' ');
      const negatedBy = preTrigger(ws, i, PRE_NEG, skip, endsNegation) ?? postTrigger(ws, end, POST_NEG, skip, endsNegation);
      // Uncertainty is read on its own: pseudo-negations such as "not sure" are its triggers.
      const unsureBy = preTrigger(ws, i, PRE_UNC, NONE, endsScope) ?? postTrigger(ws, end, POST_UNC, NONE, endsScope);
      // Unsure wins over negated ("may not have a gun"): an uncertain mention is still counted.
      if (unsureBy) {
        out.push({ polarity: 'uncertain', trigger: unsureBy, context });
      } else if (negatedBy) {
        out.push({ polarity: 'negated', trigger: negatedBy, context });
      } else {
        out.push({ polarity: 'affirmed', trigger: null, context });
      }
    }
  }
  return out;
}
