import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InstrumentError,
  cssrsQuestions,
  nextStepFor,
  phq9AnswerOptions,
  phq9Items,
  scoreCssrsScreener,
  scorePhq9,
  type CssrsAnswers,
} from '../../src/shared/instruments';

/** Nine answers summing to `total`, item 9 set to `item9`. */
function answersFor(total: number, item9 = 0): number[] {
  const items = [0, 0, 0, 0, 0, 0, 0, 0, item9];
  let left = total - item9;
  for (let i = 0; i < 8 && left > 0; i++) {
    items[i] = Math.min(3, left);
    left -= items[i];
  }
  if (left !== 0) throw new Error(`cannot build total ${total}`);
  return items;
}

function expectInstrumentError(fn: () => unknown, code: string, messagePart: RegExp | string) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InstrumentError);
    expect((e as InstrumentError).code).toBe(code);
    expect((e as InstrumentError).message).toMatch(messagePart);
    return e as InstrumentError;
  }
  throw new Error('expected an InstrumentError');
}

describe('PHQ-9', () => {
  it.each([
    [0, 'minimal'],
    [4, 'minimal'],
    [5, 'mild'],
    [9, 'mild'],
    [10, 'moderate'],
    [14, 'moderate'],
    [15, 'moderately severe'],
    [19, 'moderately severe'],
    [20, 'severe'],
    [24, 'severe'],
  ] as const)('total %i is %s', (total, band) => {
    const result = scorePhq9(answersFor(total));
    expect(result.total).toBe(total);
    expect(result.band).toBe(band);
    expect(result.item9Alert).toBe(false);
  });

  it('the maximum, all 3s, is 27: severe, with the item 9 alert', () => {
    expect(scorePhq9([3, 3, 3, 3, 3, 3, 3, 3, 3])).toEqual({ total: 27, band: 'severe', item9Alert: true });
  });

  it('raises the item 9 alert for any answer above 0 on item 9, whatever the total', () => {
    expect(scorePhq9([0, 0, 0, 0, 0, 0, 0, 0, 1])).toEqual({ total: 1, band: 'minimal', item9Alert: true });
    expect(scorePhq9(answersFor(6, 2)).item9Alert).toBe(true);
    expect(scorePhq9([3, 3, 3, 3, 3, 3, 3, 3, 0]).item9Alert).toBe(false);
  });

  it('total is the sum and the band always contains it (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 9, maxLength: 9 }), (items) => {
        const r = scorePhq9(items);
        expect(r.total).toBe(items.reduce((a, b) => a + b, 0));
        expect(r.item9Alert).toBe(items[8] > 0);
        const limits = { minimal: [0, 4], mild: [5, 9], moderate: [10, 14], 'moderately severe': [15, 19], severe: [20, 27] }[r.band];
        expect(r.total).toBeGreaterThanOrEqual(limits[0]);
        expect(r.total).toBeLessThanOrEqual(limits[1]);
      }),
    );
  });

  it('rejects the wrong number of answers', () => {
    expectInstrumentError(() => scorePhq9([0, 0, 0, 0, 0, 0, 0, 0]), 'wrong_item_count', /exactly 9 answers \(got 8\)/);
    expectInstrumentError(() => scorePhq9([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'wrong_item_count', /got 10/);
    expectInstrumentError(() => scorePhq9([]), 'wrong_item_count', /got 0/);
  });

  it.each([
    [4, 3, /item 3 .*got 4/],
    [-1, 1, /item 1 .*got -1/],
    [1.5, 5, /item 5 .*got 1.5/],
    [Number.NaN, 9, /item 9 .*got NaN/],
    [Number.POSITIVE_INFINITY, 2, /item 2/],
  ])('rejects %s and names the item', (bad, item, message) => {
    const items = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    items[item - 1] = bad;
    const err = expectInstrumentError(() => scorePhq9(items), 'invalid_answer', message);
    expect(err.item).toBe(item);
    expect(err.instrument).toBe('phq9');
  });

  it('rejects non-numbers and non-arrays', () => {
    expectInstrumentError(() => scorePhq9([0, 0, '1', 0, 0, 0, 0, 0, 0] as unknown as number[]), 'invalid_answer', /item 3/);
    expectInstrumentError(() => scorePhq9([0, 0, 0, null, 0, 0, 0, 0, 0] as unknown as number[]), 'invalid_answer', /item 4/);
    expectInstrumentError(() => scorePhq9(undefined as unknown as number[]), 'invalid_input', /list of nine/);
  });

  it('exposes the nine item texts and the four answer labels', () => {
    expect(phq9Items).toHaveLength(9);
    expect(phq9Items.map((i) => i.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(phq9Items[0].text).toBe('Little interest or pleasure in doing things');
    expect(phq9Items[8].text).toMatch(/better off dead/);
    expect(phq9AnswerOptions.map((o) => [o.value, o.label])).toEqual([
      [0, 'Not at all'],
      [1, 'Several days'],
      [2, 'More than half the days'],
      [3, 'Nearly every day'],
    ]);
  });

  it('gives a next step for every band; severe and item 9 call for an immediate safety assessment', () => {
    const bands = [0, 5, 10, 15, 20].map((t) => scorePhq9(answersFor(t)));
    const steps = bands.map(nextStepFor);
    expect(steps.map((s) => s.urgency)).toEqual(['routine', 'follow-up', 'follow-up', 'prompt', 'immediate']);
    for (const s of steps) expect(s.text.length).toBeGreaterThan(10);
    expect(new Set(steps.map((s) => s.text)).size).toBe(5);
    expect(nextStepFor(scorePhq9(answersFor(20))).text).toMatch(/immediate safety assessment/i);
    const item9 = nextStepFor(scorePhq9([0, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect(item9.urgency).toBe('immediate');
    expect(item9.text).toMatch(/immediate safety assessment/i);
  });
});

describe('C-SSRS screener', () => {
  const noThoughts = { wishDead: false, thoughts: false, behaviorEver: false };
  const thoughtsNoDetail = { wishDead: true, thoughts: true, method: false, intent: false, plan: false, behaviorEver: false };

  it.each<[string, CssrsAnswers, string]>([
    ['all no', noThoughts, 'none'],
    ['Q1 yes only', { ...noThoughts, wishDead: true }, 'low'],
    ['Q2 yes, Q3-5 no', { ...thoughtsNoDetail, wishDead: false }, 'low'],
    ['Q1 and Q2 yes, Q3-5 no', thoughtsNoDetail, 'low'],
    ['Q3 method yes', { ...thoughtsNoDetail, method: true }, 'moderate'],
    ['Q4 intent yes', { ...thoughtsNoDetail, intent: true }, 'high'],
    ['Q5 plan yes', { ...thoughtsNoDetail, plan: true }, 'high'],
    ['Q3, Q4 and Q5 yes', { ...thoughtsNoDetail, method: true, intent: true, plan: true }, 'high'],
    ['behaviour over 3 months ago, no thoughts', { ...noThoughts, behaviorEver: true, behaviorPast3Months: false }, 'moderate'],
    ['behaviour within 3 months, no thoughts', { ...noThoughts, behaviorEver: true, behaviorPast3Months: true }, 'high'],
    ['Q1 yes and old behaviour', { ...noThoughts, wishDead: true, behaviorEver: true, behaviorPast3Months: false }, 'moderate'],
    ['method and old behaviour', { ...thoughtsNoDetail, method: true, behaviorEver: true, behaviorPast3Months: false }, 'moderate'],
    ['method and recent behaviour', { ...thoughtsNoDetail, method: true, behaviorEver: true, behaviorPast3Months: true }, 'high'],
  ])('%s → %s', (_name, answers, risk) => {
    expect(scoreCssrsScreener(answers)).toEqual({ risk });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['method answered when Q2 is no', { ...noThoughts, method: false }, 'unexpected_answer', 'method'],
    ['intent answered when Q2 is no', { ...noThoughts, intent: true }, 'unexpected_answer', 'intent'],
    ['plan answered when Q2 is no', { ...noThoughts, plan: false }, 'unexpected_answer', 'plan'],
    ['method missing when Q2 is yes', { ...thoughtsNoDetail, method: undefined }, 'missing_answer', 'method'],
    ['intent missing when Q2 is yes', { ...thoughtsNoDetail, intent: undefined }, 'missing_answer', 'intent'],
    ['plan missing when Q2 is yes', { ...thoughtsNoDetail, plan: undefined }, 'missing_answer', 'plan'],
    ['behaviorEver missing', { wishDead: false, thoughts: false }, 'missing_answer', 'behaviorEver'],
    ['behaviorPast3Months missing after a yes', { ...noThoughts, behaviorEver: true }, 'missing_answer', 'behaviorPast3Months'],
    ['behaviorPast3Months answered after a no', { ...noThoughts, behaviorPast3Months: false }, 'unexpected_answer', 'behaviorPast3Months'],
    ['wishDead missing', { thoughts: false, behaviorEver: false }, 'missing_answer', 'wishDead'],
    ['thoughts missing', { wishDead: true, behaviorEver: false }, 'missing_answer', 'thoughts'],
    ['a non-boolean answer', { ...noThoughts, wishDead: 'yes' }, 'invalid_answer', 'wishDead'],
    ['a numeric answer', { ...thoughtsNoDetail, plan: 1 }, 'invalid_answer', 'plan'],
  ])('rejects %s', (_name, answers, code, item) => {
    const err = expectInstrumentError(() => scoreCssrsScreener(answers as unknown as CssrsAnswers), code, item);
    expect(err.item).toBe(item);
    expect(err.instrument).toBe('cssrs');
  });

  it('treats null as not answered', () => {
    expect(scoreCssrsScreener({ ...noThoughts, method: null, behaviorPast3Months: null } as unknown as CssrsAnswers)).toEqual({ risk: 'none' });
  });

  it('rejects input that is not an object', () => {
    expectInstrumentError(() => scoreCssrsScreener(null as unknown as CssrsAnswers), 'invalid_input', /object/);
  });

  it('describes the questions and their branching as data', () => {
    expect(cssrsQuestions.map((q) => q.id)).toEqual([
      'wishDead',
      'thoughts',
      'method',
      'intent',
      'plan',
      'behaviorEver',
      'behaviorPast3Months',
    ]);
    const byId = Object.fromEntries(cssrsQuestions.map((q) => [q.id, q]));
    expect(byId.wishDead.askIf).toBeUndefined();
    expect(byId.thoughts.askIf).toBeUndefined();
    for (const id of ['method', 'intent', 'plan']) expect(byId[id].askIf).toEqual({ question: 'thoughts', equals: true });
    expect(byId.behaviorEver.askIf).toBeUndefined();
    expect(byId.behaviorPast3Months.askIf).toEqual({ question: 'behaviorEver', equals: true });
    expect(byId.wishDead.text).toMatch(/wished you were dead/);
    expect(byId.thoughts.text).toMatch(/thoughts of killing yourself/);
  });

  it('walking the questions by askIf always yields answers the scorer accepts (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), (choices) => {
        const answers: Record<string, boolean> = {};
        cssrsQuestions.forEach((q, i) => {
          if (!q.askIf || answers[q.askIf.question] === q.askIf.equals) answers[q.id] = choices[i];
        });
        const { risk } = scoreCssrsScreener(answers as unknown as CssrsAnswers);
        const worst = cssrsQuestions
          .filter((q) => answers[q.id] === true)
          .map((q) => q.riskIfYes)
          .reduce<string>((acc, r) => (['none', 'low', 'moderate', 'high'].indexOf(r) > ['none', 'low', 'moderate', 'high'].indexOf(acc) ? r : acc), 'none');
        expect(risk).toBe(worst);
      }),
    );
  });

  it('gives a next step for every risk level', () => {
    const steps = (['none', 'low', 'moderate', 'high'] as const).map((risk) => nextStepFor({ risk }));
    expect(steps.map((s) => s.urgency)).toEqual(['routine', 'follow-up', 'prompt', 'immediate']);
    expect(steps[3].text).toMatch(/emergency evaluation/);
    expect(new Set(steps.map((s) => s.text)).size).toBe(4);
  });
});
