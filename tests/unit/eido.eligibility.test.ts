import { describe, expect, it } from 'vitest';
import {
  EligibilityRulesError,
  evaluateEligibility,
  parseEido,
  parseEligibilityRules,
  type EligibilityRules,
} from '../../src/shared/eido';
import { SAMPLE_TEXT, defaultRules, mentalHealthIncident, prologue, type Json } from './eido.fixtures';

const rules = parseEligibilityRules(defaultRules());

function withNote(doc: Json, text: string): Json {
  doc.notesComponent.push({ ...prologue(`note-${doc.notesComponent.length + 1}x`), notesActionComments: text });
  return doc;
}

function rulesError(input: unknown): EligibilityRulesError {
  try {
    parseEligibilityRules(input);
  } catch (e) {
    expect(e).toBeInstanceOf(EligibilityRulesError);
    return e as EligibilityRulesError;
  }
  throw new Error('rules accepted');
}

describe('default rules (config/eligibility-rules.json)', () => {
  it('flag a mental-health incident, with reasons naming what matched', () => {
    const result = evaluateEligibility(parseEido(mentalHealthIncident()), rules);
    expect(result.eligible).toBe(true);
    expect(result.exclusions).toEqual([]);
    expect(result.reasons).toEqual([
      'Incident type is behavioral / mental health: "behavioral health" in type, "behavioral" in type, "psychiatric" in type, "suicid*" in type',
      'EMD Protocol 25: Psychiatric / Abnormal Behavior / Suicide Attempt: code 25-A-1 (rule 25)',
      'Notes describe a mental-health concern: "suicid*" in notes, "anxiety" in notes, "off his meds" in notes',
    ]);
    expect(result.matches).toContainEqual({ ruleId: 'emd-25', kind: 'include', field: 'internalCode', term: '25', value: '25-A-1' });
  });

  it('do not flag the NENA sample (no type, no notes)', () => {
    expect(evaluateEligibility(parseEido(SAMPLE_TEXT), rules)).toEqual({
      eligible: false,
      reasons: [],
      exclusions: [],
      ignored: [],
      matches: [],
    });
  });

  it.each([
    ['weapons', 'He has a KNIFE in the kitchen.', 'Weapons involved: "knife" in notes'],
    ['violence in progress', 'Brothers are fighting in the yard', 'Violence in progress: "fighting" in notes'],
    ['overdose, unconscious', 'Took an overdose, now unconscious', 'Medical emergency needs EMS: "overdose*" in notes, "unconscious" in notes'],
    ['caller asks for police', "Caller is scared and wants police there", 'Caller asks for police: "wants police" in notes'],
  ])('exclusions override: %s', (_name, note, exclusion) => {
    const result = evaluateEligibility(parseEido(withNote(mentalHealthIncident(), note)), rules);
    expect(result.eligible).toBe(false);
    expect(result.exclusions).toEqual([exclusion]);
    expect(result.reasons.length).toBeGreaterThan(0); // still shown, so the dispatcher sees both sides
  });

  it('exclude on cautions and on EMD codes for medical emergencies', () => {
    const doc = mentalHealthIncident();
    doc.cautionComponent[0].cautionTypeInternalText = 'Known to carry a firearm';
    expect(evaluateEligibility(parseEido(doc), rules).exclusions).toEqual(['Weapons involved: "firearm*" in cautions']);

    const notAlert = mentalHealthIncident();
    notAlert.incidentComponent.incidentTypeInternalCode = '25D01';
    const result = evaluateEligibility(parseEido(notAlert), rules);
    expect(result.eligible).toBe(false);
    expect(result.exclusions).toEqual(['Medical emergency needs EMS: code 25D01 (rule 25-D)']);
  });

  it('match EMD codes in the formats CAD systems print', () => {
    for (const code of ['25-A-1', '25A01', '25a1', '25-O-1', '25 B 3']) {
      const r = evaluateEligibility({ type: { internalCode: code } }, rules);
      expect(r.reasons, code).toEqual([`EMD Protocol 25: Psychiatric / Abnormal Behavior / Suicide Attempt: code ${code} (rule 25)`]);
    }
    expect(evaluateEligibility({ type: { internalCode: '250-A-1' } }, rules).reasons).toEqual([]);
    expect(evaluateEligibility({ type: { internalCode: '2-A-5' } }, rules).reasons).toEqual([]);
  });

  it('match whole words only, ignoring case and punctuation', () => {
    expect(evaluateEligibility({ notes: [{ text: 'Mental-Health check requested' }] }, rules).eligible).toBe(true);
    expect(evaluateEligibility({ notes: [{ text: 'Has a PhD in psychology, gunnery sergeant' }] }, rules)).toMatchObject({
      eligible: false,
      reasons: [],
      exclusions: [],
    });
  });

  it('work for a hand-entered incident', () => {
    const r = evaluateEligibility(
      { type: { internalText: 'Welfare check' }, notes: [{ text: 'Neighbor worried, resident has anxiety' }], cautions: [] },
      rules,
    );
    expect(r.eligible).toBe(true);
    expect(r.reasons).toHaveLength(2);
  });
});

describe('rule files', () => {
  const minimal = (over: Json = {}) => ({
    version: 1,
    include: [{ id: 'a', reason: 'A', phrases: ['crisis'] }],
    exclude: [],
    ...over,
  });

  it('accept a minimal file and validate unparsed rules passed straight to evaluate', () => {
    expect(evaluateEligibility({ notes: [{ text: 'crisis' }] }, minimal() as EligibilityRules).eligible).toBe(true);
    expect(() => evaluateEligibility({}, { version: 1 } as unknown as EligibilityRules)).toThrow(EligibilityRulesError);
  });

  it.each([
    ['wrong version', minimal({ version: 2 }), 'version'],
    ['no include rules', minimal({ include: [] }), 'include'],
    ['a typo in a key', minimal({ include: [{ id: 'a', reason: 'A', phrase: ['x'] }] }), 'include[0]'],
    ['a rule with neither phrases nor codes', minimal({ include: [{ id: 'a', reason: 'A' }] }), 'include[0]'],
    ['a missing reason', minimal({ include: [{ id: 'a', phrases: ['x'] }] }), 'include[0].reason'],
    ['an unknown field', minimal({ include: [{ id: 'a', reason: 'A', phrases: ['x'], in: ['narrative'] }] }), 'include[0].in[0]'],
    ['a wildcard inside a phrase', minimal({ include: [{ id: 'a', reason: 'A', phrases: ['sui*cide'] }] }), 'include[0].phrases[0]'],
    ['a phrase of punctuation', minimal({ include: [{ id: 'a', reason: 'A', phrases: ['!!'] }] }), 'include[0].phrases[0]'],
    ['a bad code', minimal({ include: [{ id: 'a', reason: 'A', codes: ['25*'] }] }), 'include[0].codes[0]'],
    ['an id with spaces', minimal({ include: [{ id: 'My Rule', reason: 'A', phrases: ['x'] }] }), 'include[0].id'],
    [
      'duplicate ids across lists',
      minimal({ exclude: [{ id: 'a', reason: 'B', phrases: ['gun'] }] }),
      'exclude[0].id',
    ],
  ])('reject %s with an error naming the field', (_name, file, path) => {
    const err = rulesError(file);
    expect(err.issues.some((i) => i.startsWith(`${path}:`)), err.message).toBe(true);
    expect(err.message).toContain('Invalid eligibility rules');
  });

  it('reject something that is not a rule file at all', () => {
    expect(rulesError(null).issues[0]).toMatch(/^\(rule file\):/);
  });
});
