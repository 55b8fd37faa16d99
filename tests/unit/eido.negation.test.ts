import { describe, expect, it } from 'vitest';
import { evaluateEligibility, parseEligibilityRules } from '../../src/shared/eido';
import { assertions } from '../../src/shared/eido/negation';
import { defaultRules } from './eido.fixtures';

/**
 * Negation-aware eligibility on written dispatch shorthand, both ways: each line is a note as
 * a call-taker types it, the rule it is about, and whether that rule must fire. A phrase that
 * is negated does not count; one that is uncertain still does (an uncertain weapon is still a
 * weapon); anything the scope rules cannot place counts (the safe side).
 */
const rules = parseEligibilityRules(defaultRules());

type Line = [note: string, rule: string, fires: boolean];

const WEAPONS: Line[] = [
  ['No weapons seen', 'weapons', false],
  ['no weapons known', 'weapons', false],
  ['No weapon seen.', 'weapons', false],
  ['NO WEAPONS', 'weapons', false],
  ['no wpns', 'weapons', false],
  ['Weapons: none', 'weapons', false],
  ['weapons - none', 'weapons', false],
  ['weapons neg', 'weapons', false],
  ['neg weapons', 'weapons', false],
  ['negative for weapons', 'weapons', false],
  ['denies weapons in the home', 'weapons', false],
  ['Caller denies any weapons', 'weapons', false],
  ['denied having a gun', 'weapons', false],
  ['does not have a gun', 'weapons', false],
  ["doesn't have a gun", 'weapons', false],
  ["didn't see a knife", 'weapons', false],
  ['did not see any weapons', 'weapons', false],
  ['no knives or guns in the apartment', 'weapons', false],
  ['without a weapon', 'weapons', false],
  ['w/o weapons', 'weapons', false],
  ['never had a gun', 'weapons', false],
  ['not armed', 'weapons', false],
  ["isn't armed per caller", 'weapons', false],
  ['no firearms in the house', 'weapons', false],
  ['no sign of weapons', 'weapons', false],
  ['no evidence of a firearm', 'weapons', false],
  ['gun not found', 'weapons', false],
  ['weapons ruled out by officer on scene', 'weapons', false],
  ['nobody has a weapon', 'weapons', false],
  ['He has a KNIFE in the kitchen.', 'weapons', true],
  ['has a gun', 'weapons', true],
  ['armed with a knife', 'weapons', true],
  ['no injuries, has a knife', 'weapons', true],
  ['No injuries reported he has a knife', 'weapons', true],
  ['no weapons but has a machete', 'weapons', true],
  ['denies drugs but has a gun in his waistband', 'weapons', true],
  ['no weapons seen. Brother says there is a rifle in the closet', 'weapons', true],
  ['may have a gun', 'weapons', true],
  ['possible weapon', 'weapons', true],
  ['unknown if armed', 'weapons', true],
  ['unk if weapons', 'weapons', true],
  ['weapons unknown', 'weapons', true],
  ['weapons not known', 'weapons', true],
  ['not sure if he has a gun', 'weapons', true],
  ['cannot rule out a weapon', 'weapons', true],
  ['no longer armed, dropped the knife', 'weapons', true],
  ['shots fired', 'weapons', true],
  ['Knife in hand', 'weapons', true],
  ['pt holding a knife, no injuries', 'weapons', true],
  ['no drugs, gun on the table', 'weapons', true],
];

const MEDICAL: Line[] = [
  ['took some pills', 'medical-emergency', true],
  ['Took a bunch of pills about an hour ago', 'medical-emergency', true],
  ['took a handful of pills', 'medical-emergency', true],
  ['took too many pills', 'medical-emergency', true],
  ['took all her pills', 'medical-emergency', true],
  ['states she took the whole bottle', 'medical-emergency', true],
  ['possible OD', 'medical-emergency', true],
  ['possible overdose', 'medical-emergency', true],
  ['unresponsive', 'medical-emergency', true],
  ['not breathing', 'medical-emergency', true],
  ['having a seizure', 'medical-emergency', true],
  ['denies SI, took pills', 'medical-emergency', true],
  ['denies taking pills but swallowed a bottle of tylenol', 'medical-emergency', true],
  ['no overdose', 'medical-emergency', false],
  ['denies overdose', 'medical-emergency', false],
  ['denies ingestion, no pills taken', 'medical-emergency', false],
  ['not unconscious, talking', 'medical-emergency', false],
  ['no seizures', 'medical-emergency', false],
  ['negative for overdose', 'medical-emergency', false],
  ['alert, no difficulty breathing', 'medical-emergency', false],
  ['no severe bleeding', 'medical-emergency', false],
  ['OD ruled out', 'medical-emergency', false],
  ['never took pills', 'medical-emergency', false],
  ['did not take pills', 'medical-emergency', false],
  ['overdose: none', 'medical-emergency', false],
];

const VIOLENCE: Line[] = [
  ['not violent', 'violence-in-progress', false],
  ['no violence', 'violence-in-progress', false],
  ['no fighting, just yelling', 'violence-in-progress', false],
  ['denies homicidal thoughts', 'violence-in-progress', false],
  ['not homicidal', 'violence-in-progress', false],
  ['nobody is fighting', 'violence-in-progress', false],
  ['not attacking anyone', 'violence-in-progress', false],
  ['brothers fighting in the yard', 'violence-in-progress', true],
  ['was violent earlier', 'violence-in-progress', true],
  ['possibly violent', 'violence-in-progress', true],
  ['not violent now but threatening to kill neighbor', 'violence-in-progress', true],
  ['no weapons, assaulting his mother', 'violence-in-progress', true],
  ['no longer violent', 'violence-in-progress', true],
];

const POLICE: Line[] = [
  ['does not want police', 'police-requested', false],
  ["doesn't want police", 'police-requested', false],
  ['caller does not want the police', 'police-requested', false],
  ['Caller is scared and wants police there', 'police-requested', true],
  ['requests police', 'police-requested', true],
  ['send police', 'police-requested', true],
  ['not sure, maybe wants police', 'police-requested', true],
];

const MENTAL_HEALTH: Line[] = [
  ['suicidal statements', 'notes-mental-health', true],
  ['texted goodbye messages, suicidal', 'notes-mental-health', true],
  ['hearing voices', 'notes-mental-health', true],
  ['off his meds', 'notes-mental-health', true],
  ['anxious and crying', 'notes-mental-health', true],
  ['possible psychosis', 'notes-mental-health', true],
  ['not suicidal per caller, but hearing voices', 'notes-mental-health', true],
  ['having a panic attack', 'notes-mental-health', true],
  ['no longer suicidal?', 'notes-mental-health', true],
  ['denies suicidal ideation', 'notes-mental-health', false],
  ['not suicidal', 'notes-mental-health', false],
  ['no hx of depression', 'notes-mental-health', false],
  ['no psychosis', 'notes-mental-health', false],
  ['denies hearing voices', 'notes-mental-health', false],
  ['not anxious', 'notes-mental-health', false],
  ['no mental health history', 'notes-mental-health', false],
  ['negative for hallucinations', 'notes-mental-health', false],
];

const CORPUS: Line[] = [...WEAPONS, ...MEDICAL, ...VIOLENCE, ...POLICE, ...MENTAL_HEALTH];

describe('negation-aware eligibility on dispatch shorthand', () => {
  it('has at least 100 written phrases, both ways', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(CORPUS.filter(([, , fires]) => fires).length).toBeGreaterThanOrEqual(40);
    expect(CORPUS.filter(([, , fires]) => !fires).length).toBeGreaterThanOrEqual(40);
  });

  it.each(CORPUS)('%j → %s fires: %s', (note, rule, fires) => {
    const result = evaluateEligibility({ notes: [{ text: note }] }, rules);
    const fired = result.matches.some((m) => m.ruleId === rule);
    expect(fired, JSON.stringify({ note, rule, matches: result.matches, ignored: result.ignored })).toBe(fires);
  });
});

describe('what the dispatcher is told', () => {
  it('the demo’s suicidal welfare check is for the clinician, and says which words were set aside', () => {
    const r = evaluateEligibility(
      {
        type: { internalText: 'Welfare check — suicidal statements' },
        notes: [{ text: 'Sister reports brother texted goodbye messages; no weapons known.' }],
      },
      rules,
    );
    expect(r.eligible).toBe(true);
    expect(r.exclusions).toEqual([]);
    expect(r.ignored).toEqual(['Not counted: "weapon*" in notes — negated by “no” in “no weapons known”']);
  });

  it('an uncertain mention still counts, and says it was uncertain and why', () => {
    const r = evaluateEligibility({ type: { internalText: 'Welfare check' }, notes: [{ text: 'Caller not sure if he has a gun' }] }, rules);
    expect(r.eligible).toBe(false);
    expect(r.exclusions).toEqual(['Weapons involved: "gun" in notes (uncertain: “not sure if”)']);
  });

  it('one plain mention outweighs a negated one of the same phrase', () => {
    const r = evaluateEligibility({ notes: [{ text: 'No weapons seen by caller.' }, { text: 'Neighbor says weapons in the car' }] }, rules);
    expect(r.exclusions).toEqual(['Weapons involved: "weapon*" in notes']);
    expect(r.ignored).toEqual([]);
  });

  it('“took some pills” is a medical concern, named as such', () => {
    const r = evaluateEligibility({ type: { internalText: 'Welfare check' }, notes: [{ text: 'Took some pills, feels sleepy' }] }, rules);
    expect(r.eligible).toBe(false);
    expect(r.exclusions).toEqual(['Medical emergency needs EMS: "took some pills" in notes']);
  });

  it('negation in cautions works as in notes', () => {
    const r = evaluateEligibility({ type: { internalText: 'Mental health crisis' }, cautions: [{ text: 'No known firearms at address' }] }, rules);
    expect(r.eligible).toBe(true);
    expect(r.ignored).toEqual(['Not counted: "firearm*" in cautions — negated by “no” in “No known firearms at address”']);
  });
});

describe('the scope', () => {
  const polarity = (text: string, phrase: string) => assertions(text, phrase).map((a) => a.polarity);
  it('reaches at most five words past the trigger', () => {
    expect(polarity('no one in the house has seen a weapon', 'weapon*')).toEqual(['affirmed']);
    expect(polarity('no one at the house saw weapons', 'weapon*')).toEqual(['negated']);
  });
  it('ends at punctuation and at “but”', () => {
    expect(polarity('no drugs. weapons in the car', 'weapon*')).toEqual(['affirmed']);
    expect(polarity('no drugs; weapons in the car', 'weapon*')).toEqual(['affirmed']);
    expect(polarity('no drugs but weapons in the car', 'weapon*')).toEqual(['affirmed']);
  });
  it('reads each mention on its own', () => {
    expect(polarity('no gun here, gun at the other house', 'gun')).toEqual(['negated', 'affirmed']);
  });
  it('matches whole words and prefixes only', () => {
    expect(polarity('a begun task', 'gun')).toEqual([]);
    expect(polarity('Suicidal', 'suicid*')).toEqual(['affirmed']);
  });
});
