/**
 * Clinician eligibility: does this incident look like one the floor clinician should take?
 *
 * A site describes its run card in a rule file (default: config/eligibility-rules.json,
 * documented in docs/ELIGIBILITY.md). Include rules give reasons to involve the clinician;
 * exclude rules are the run card's "send responders instead" conditions and always win.
 * The result is advice shown to a dispatcher, never an automatic action, so every reason
 * and exclusion names the words or code that triggered it.
 *
 * Matching is deliberately simple and predictable: whole words and phrases, case- and
 * punctuation-insensitive, with an optional trailing "*" for word prefixes ("suicid*");
 * codes match by leading groups ("25" matches "25-A-1" and "25A01"). Phrases are read with
 * negation and uncertainty in mind (./negation.ts, NegEx-style): "no weapons seen" does not
 * trip the weapons exclusion and is listed under `ignored` with the words that decided; "may
 * have a knife" still does, marked uncertain. Anything the scope rules cannot place is
 * counted, which errs towards sending responders, the safe side.
 */
import { z } from 'zod';
import { EligibilityRulesError } from './errors';
import type { NormalizedIncidentType } from './types';
import { assertions, type Polarity } from './negation';

export const PHRASE_FIELDS = ['type', 'notes', 'cautions'] as const;
export type PhraseField = (typeof PHRASE_FIELDS)[number];

const phrase = z
  .string()
  .min(1)
  .max(100)
  .refine((p) => normalizeText(p.replace(/\*$/, '')).trim() !== '', 'must contain a letter or digit')
  .refine((p) => !p.slice(0, -1).includes('*'), '"*" is only allowed at the end of a phrase');

const codePattern = z
  .string()
  .min(1)
  .max(20)
  .refine((c) => /^[A-Za-z0-9][A-Za-z0-9 ./-]*$/.test(c), 'codes use letters, digits and - . / only');

const RuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'use lowercase letters, digits, "-", "_" or "."'),
    reason: z.string().min(1).max(200),
    phrases: z.array(phrase).min(1).optional(),
    codes: z.array(codePattern).min(1).optional(),
    in: z.array(z.enum(PHRASE_FIELDS)).min(1).optional(),
  })
  .refine((r) => r.phrases !== undefined || r.codes !== undefined, 'a rule needs "phrases" or "codes"');

export const EligibilityRulesSchema = z
  .strictObject({
    version: z.literal(1),
    description: z.string().optional(),
    include: z.array(RuleSchema).min(1),
    exclude: z.array(RuleSchema),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [list, rules] of [['include', file.include], ['exclude', file.exclude]] as const) {
      rules.forEach((r, i) => {
        if (seen.has(r.id)) ctx.addIssue({ code: 'custom', message: `duplicate rule id "${r.id}"`, path: [list, i, 'id'] });
        seen.add(r.id);
      });
    }
  });

export type EligibilityRule = z.infer<typeof RuleSchema>;
export type EligibilityRules = z.infer<typeof EligibilityRulesSchema>;

/** What eligibility reads: a normalized EIDO incident fits, and so does a hand-entered one. */
export interface EligibilityInput {
  type?: NormalizedIncidentType;
  notes?: ReadonlyArray<{ text: string }>;
  cautions?: ReadonlyArray<{ text: string; registryText?: string }>;
}

export interface EligibilityMatch {
  ruleId: string;
  kind: 'include' | 'exclude';
  /** Where it matched: a phrase field, or "internalCode". */
  field: PhraseField | 'internalCode';
  /** The rule's phrase or code pattern that matched. */
  term: string;
  /** For code matches, the incident's code as sent ("25A01"). */
  value?: string;
  /** For phrases: affirmed, or only ever mentioned uncertainly ("may have a knife"). */
  polarity?: Exclude<Polarity, 'negated'>;
  /** The uncertainty words when uncertain ("may have"). */
  trigger?: string;
}

/** A mention that was not counted: every time the phrase appears, it is negated. */
export interface IgnoredMention {
  ruleId: string;
  kind: 'include' | 'exclude';
  field: PhraseField;
  term: string;
  /** The negation words that decided ("no", "denies", "negative for"). */
  trigger: string;
  /** The clause as written ("no weapons known"). */
  context: string;
}

export interface EligibilityResult {
  /** At least one include rule matched and no exclude rule did. */
  eligible: boolean;
  /** One line per matched include rule, naming what matched. */
  reasons: string[];
  /** One line per matched exclude rule, naming what matched. */
  exclusions: string[];
  /**
   * One line per phrase found only in negated form, naming the words that decided:
   * `Not counted: "weapon*" in notes — negated by “no” in “no weapons known”`.
   */
  ignored: string[];
  matches: EligibilityMatch[];
}

/** The `ignored` lines as an incident stores them: at most 50, and left out when there are none. */
export function ignoredOf(r: Pick<EligibilityResult, 'ignored'>): { ignored?: string[] } {
  return r.ignored.length ? { ignored: r.ignored.slice(0, 50).map((line) => line.slice(0, 500)) } : {};
}

/** Validates a rule file (already parsed from JSON); throws EligibilityRulesError. */
export function parseEligibilityRules(input: unknown): EligibilityRules {
  const result = EligibilityRulesSchema.safeParse(input);
  if (!result.success) {
    throw new EligibilityRulesError(result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`));
  }
  // Frozen, so a rule file cannot change after it was validated and still count as valid.
  const rules = deepFreeze(result.data);
  validated.add(rules);
  return rules;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Rule files already validated, so evaluation skips re-validating on every incident. */
const validated = new WeakSet<object>();

export function evaluateEligibility(incident: EligibilityInput, rules: EligibilityRules): EligibilityResult {
  const checked = validated.has(rules) ? rules : parseEligibilityRules(rules);
  const texts = fieldTexts(incident);
  const code = incident.type?.internalCode?.trim() ?? '';
  const ignored: IgnoredMention[] = [];
  const run = (kind: 'include' | 'exclude', list: readonly EligibilityRule[]) =>
    list.map((rule) => ({ rule, found: matchRule(rule, kind, texts, code, ignored) })).filter((x) => x.found.length > 0);
  const included = run('include', checked.include);
  const excluded = run('exclude', checked.exclude);
  return {
    eligible: included.length > 0 && excluded.length === 0,
    reasons: included.map((x) => describe(x.rule, x.found)),
    exclusions: excluded.map((x) => describe(x.rule, x.found)),
    ignored: ignored.map((m) => `Not counted: "${m.term}" in ${m.field} — negated by “${m.trigger}” in “${m.context}”`),
    matches: [...included, ...excluded].flatMap((x) => x.found),
  };
}

function matchRule(
  rule: EligibilityRule,
  kind: 'include' | 'exclude',
  texts: Record<PhraseField, string>,
  code: string,
  ignored: IgnoredMention[],
): EligibilityMatch[] {
  const found: EligibilityMatch[] = [];
  const groups = codeGroups(code);
  for (const pattern of rule.codes ?? []) {
    if (codeMatches(codeGroups(pattern), groups)) {
      found.push({ ruleId: rule.id, kind, field: 'internalCode', term: pattern, value: code });
    }
  }
  for (const field of rule.in ?? PHRASE_FIELDS) {
    for (const p of rule.phrases ?? []) {
      const seen = assertions(texts[field], p);
      if (!seen.length) continue;
      const affirmed = seen.some((a) => a.polarity === 'affirmed');
      const unsure = seen.find((a) => a.polarity === 'uncertain');
      if (affirmed) found.push({ ruleId: rule.id, kind, field, term: p, polarity: 'affirmed' });
      else if (unsure) found.push({ ruleId: rule.id, kind, field, term: p, polarity: 'uncertain', trigger: unsure.trigger ?? undefined });
      else ignored.push({ ruleId: rule.id, kind, field, term: p, trigger: seen[0].trigger ?? '', context: seen[0].context });
    }
  }
  return found;
}

/** `Reason: code 25-A-1 (rule 25), "suicid*" in notes` (at most five terms, then "…"). */
function describe(rule: EligibilityRule, found: readonly EligibilityMatch[]): string {
  const parts = found.map((m) =>
    m.field === 'internalCode'
      ? `code ${m.value} (rule ${m.term})`
      : `"${m.term}" in ${m.field}${m.polarity === 'uncertain' ? ` (uncertain: “${m.trigger}”)` : ''}`,
  );
  const shown = parts.slice(0, 5).join(', ') + (parts.length > 5 ? ', …' : '');
  return `${rule.reason}: ${shown}`;
}

/** Each field as written, its parts on their own lines (a line ends every negation's scope). */
function fieldTexts(incident: EligibilityInput): Record<PhraseField, string> {
  const t = incident.type ?? {};
  return {
    type: [t.registryText, t.internalText].filter(Boolean).join('\n'),
    notes: (incident.notes ?? []).map((n) => n.text).join('\n'),
    cautions: (incident.cautions ?? []).map((c) => `${c.text}\n${c.registryText ?? ''}`).join('\n'),
  };
}

/**
 * Lowercase; apostrophes dropped ("can't" → "cant"); every other run of non-letters and
 * non-digits becomes one space; padded with spaces so " word " finds whole words.
 */
export function normalizeText(s: string): string {
  const words = s.toLowerCase().replace(/['’]/g, '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return ` ${words.join(' ')} `;
}


/**
 * "25-A-1", "25A01", "25 a 1" → ["25", "A", "1"]: digit and letter runs, leading zeros
 * dropped, so the formats different CAD and EMD software print compare equal.
 */
function codeGroups(code: string): string[] {
  const groups = code.toUpperCase().match(/\d+|[A-Z]+/g) ?? [];
  return groups.map((g) => (/^\d/.test(g) ? String(Number(g)) : g));
}

function codeMatches(pattern: string[], code: string[]): boolean {
  return pattern.length > 0 && pattern.length <= code.length && pattern.every((g, i) => g === code[i]);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(rule file)';
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}
