/**
 * Screening instruments used by the clinician: PHQ-9 (depression severity) and the
 * C-SSRS screener (Columbia Suicide Severity Rating Scale, screen version).
 *
 * Pure functions and data only. The question texts are exported so the UI can walk the
 * questions; the branching of the C-SSRS screener is described as data (`askIf`).
 *
 * PHQ-9: Kroenke, Spitzer & Williams (2001); developed with an educational grant from
 * Pfizer, no permission required to reproduce, translate, display or distribute.
 * C-SSRS screener: The Columbia Lighthouse Project; free to use in community and
 * healthcare settings.
 */

// ---------------------------------------------------------------------------------------
// Errors

export type InstrumentErrorCode =
  /** The input is not the expected shape (not an array, not an object). */
  | 'invalid_input'
  /** PHQ-9 needs exactly nine answers. */
  | 'wrong_item_count'
  /** An answer is out of range or of the wrong type. */
  | 'invalid_answer'
  /** A question that must be asked was not answered. */
  | 'missing_answer'
  /** A question that is not asked on this branch was answered. */
  | 'unexpected_answer';

/** Thrown by the scoring functions on invalid answers; `item` names the offending item. */
export class InstrumentError extends Error {
  override readonly name = 'InstrumentError';
  readonly code: InstrumentErrorCode;
  readonly instrument: 'phq9' | 'cssrs';
  /** PHQ-9 item number (1–9) or C-SSRS answer key; absent for whole-input errors. */
  readonly item?: number | CssrsQuestionId;

  constructor(
    instrument: 'phq9' | 'cssrs',
    code: InstrumentErrorCode,
    message: string,
    item?: number | CssrsQuestionId,
  ) {
    super(message);
    this.instrument = instrument;
    this.code = code;
    if (item !== undefined) this.item = item;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return typeof value;
}

// ---------------------------------------------------------------------------------------
// PHQ-9

export type Phq9Answer = 0 | 1 | 2 | 3;
export type Phq9Band = 'minimal' | 'mild' | 'moderate' | 'moderately severe' | 'severe';

export interface Phq9Result {
  /** Sum of the nine items, 0–27. */
  total: number;
  band: Phq9Band;
  /** Item 9 (thoughts of being better off dead or of self-harm) answered above 0. */
  item9Alert: boolean;
}

export const phq9Stem =
  'Over the last 2 weeks, how often have you been bothered by any of the following problems?';

export interface Phq9Item {
  /** 1–9 */
  number: number;
  text: string;
}

export const phq9Items: readonly Phq9Item[] = [
  { number: 1, text: 'Little interest or pleasure in doing things' },
  { number: 2, text: 'Feeling down, depressed, or hopeless' },
  { number: 3, text: 'Trouble falling or staying asleep, or sleeping too much' },
  { number: 4, text: 'Feeling tired or having little energy' },
  { number: 5, text: 'Poor appetite or overeating' },
  {
    number: 6,
    text: 'Feeling bad about yourself, or that you are a failure or have let yourself or your family down',
  },
  {
    number: 7,
    text: 'Trouble concentrating on things, such as reading the newspaper or watching television',
  },
  {
    number: 8,
    text:
      'Moving or speaking so slowly that other people could have noticed? Or the opposite: being so ' +
      'fidgety or restless that you have been moving around a lot more than usual',
  },
  {
    number: 9,
    text: 'Thoughts that you would be better off dead or of hurting yourself in some way',
  },
];

export const phq9AnswerOptions: readonly { value: Phq9Answer; label: string }[] = [
  { value: 0, label: 'Not at all' },
  { value: 1, label: 'Several days' },
  { value: 2, label: 'More than half the days' },
  { value: 3, label: 'Nearly every day' },
];

/** Not scored; asked after the nine items when any of them was above 0. */
export const phq9DifficultyQuestion = {
  text:
    'If you checked off any problems, how difficult have these problems made it for you to do ' +
    'your work, take care of things at home, or get along with other people?',
  options: ['Not difficult at all', 'Somewhat difficult', 'Very difficult', 'Extremely difficult'],
} as const;

/** Score bands, inclusive on both ends. */
export const phq9Bands: readonly { band: Phq9Band; min: number; max: number }[] = [
  { band: 'minimal', min: 0, max: 4 },
  { band: 'mild', min: 5, max: 9 },
  { band: 'moderate', min: 10, max: 14 },
  { band: 'moderately severe', min: 15, max: 19 },
  { band: 'severe', min: 20, max: 27 },
];

/** Scores a PHQ-9: `items` are the nine answers in order, each an integer 0–3. */
export function scorePhq9(items: number[]): Phq9Result {
  if (!Array.isArray(items)) {
    throw new InstrumentError('phq9', 'invalid_input', `PHQ-9 answers must be a list of nine numbers (got ${describe(items)})`);
  }
  if (items.length !== 9) {
    throw new InstrumentError(
      'phq9',
      'wrong_item_count',
      `PHQ-9 needs exactly 9 answers (got ${items.length})`,
    );
  }
  let total = 0;
  for (let i = 0; i < 9; i++) {
    const value: unknown = items[i];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 3) {
      throw new InstrumentError(
        'phq9',
        'invalid_answer',
        `PHQ-9 item ${i + 1} must be a whole number from 0 to 3 (got ${describe(value)})`,
        i + 1,
      );
    }
    total += value;
  }
  const band = phq9Bands.find((b) => total >= b.min && total <= b.max)?.band ?? 'severe';
  return { total, band, item9Alert: (items[8] ?? 0) > 0 };
}

// ---------------------------------------------------------------------------------------
// C-SSRS screener

export type CssrsRisk = 'none' | 'low' | 'moderate' | 'high';

export type CssrsQuestionId =
  | 'wishDead'
  | 'thoughts'
  | 'method'
  | 'intent'
  | 'plan'
  | 'behaviorEver'
  | 'behaviorPast3Months';

export interface CssrsAnswers {
  /** Q1 */
  wishDead: boolean;
  /** Q2 */
  thoughts: boolean;
  /** Q3, asked only when Q2 is yes */
  method?: boolean;
  /** Q4, asked only when Q2 is yes */
  intent?: boolean;
  /** Q5, asked only when Q2 is yes */
  plan?: boolean;
  /** Q6, always asked */
  behaviorEver?: boolean;
  /** Q6 follow-up, asked only when Q6 is yes */
  behaviorPast3Months?: boolean;
}

export interface CssrsResult {
  risk: CssrsRisk;
}

/** A question is asked when the answer to `askIf.question` equals `askIf.equals`. */
export interface CssrsCondition {
  question: CssrsQuestionId;
  equals: boolean;
}

export interface CssrsQuestion {
  id: CssrsQuestionId;
  /** As printed on the form: '1' … '6', '6b' for the 3-month follow-up. */
  number: string;
  /** The construct, for clinicians and reports. */
  label: string;
  /** What the clinician asks. */
  text: string;
  /** Examples read out when useful. */
  examples?: string;
  /** Absent: always asked. */
  askIf?: CssrsCondition;
  /** The risk a yes to this question indicates on its own. */
  riskIfYes: Exclude<CssrsRisk, 'none'>;
}

export const cssrsTimeframe = 'In the past month';

export const cssrsQuestions: readonly CssrsQuestion[] = [
  {
    id: 'wishDead',
    number: '1',
    label: 'Wish to be dead',
    text: 'Have you wished you were dead or wished you could go to sleep and not wake up?',
    riskIfYes: 'low',
  },
  {
    id: 'thoughts',
    number: '2',
    label: 'Non-specific active suicidal thoughts',
    text: 'Have you actually had any thoughts of killing yourself?',
    riskIfYes: 'low',
  },
  {
    id: 'method',
    number: '3',
    label: 'Active suicidal ideation with any methods (not plan) without intent to act',
    text: 'Have you been thinking about how you might do this?',
    askIf: { question: 'thoughts', equals: true },
    riskIfYes: 'moderate',
  },
  {
    id: 'intent',
    number: '4',
    label: 'Active suicidal ideation with some intent to act, without specific plan',
    text: 'Have you had these thoughts and had some intention of acting on them?',
    askIf: { question: 'thoughts', equals: true },
    riskIfYes: 'high',
  },
  {
    id: 'plan',
    number: '5',
    label: 'Active suicidal ideation with specific plan and intent',
    text:
      'Have you started to work out or worked out the details of how to kill yourself? ' +
      'Do you intend to carry out this plan?',
    askIf: { question: 'thoughts', equals: true },
    riskIfYes: 'high',
  },
  {
    id: 'behaviorEver',
    number: '6',
    label: 'Suicidal behavior',
    text: 'Have you ever done anything, started to do anything, or prepared to do anything to end your life?',
    examples:
      'Collected pills, obtained a gun, gave away valuables, wrote a will or suicide note, took out ' +
      "pills but didn't swallow any, held a gun but changed your mind or it was grabbed from your " +
      "hand, went to the roof but didn't jump; or actually took pills, tried to shoot yourself, cut " +
      'yourself, tried to hang yourself, etc.',
    riskIfYes: 'moderate',
  },
  {
    id: 'behaviorPast3Months',
    number: '6b',
    label: 'Suicidal behavior in the past 3 months',
    text: 'Was this within the past 3 months?',
    askIf: { question: 'behaviorEver', equals: true },
    riskIfYes: 'high',
  },
];

const CSSRS_BY_ID = new Map(cssrsQuestions.map((q) => [q.id, q]));

function cssrsError(code: InstrumentErrorCode, id: CssrsQuestionId, message: string): InstrumentError {
  const q = CSSRS_BY_ID.get(id);
  const name = q ? `C-SSRS question ${q.number} (${id}, "${q.label}")` : `C-SSRS ${id}`;
  return new InstrumentError('cssrs', code, `${name} ${message}`, id);
}

/**
 * Scores the C-SSRS screener. Throws `InstrumentError` when a question asked on this
 * branch is unanswered, a question not asked on this branch is answered, or an answer is
 * not a boolean. `null` counts as not answered.
 */
export function scoreCssrsScreener(answers: CssrsAnswers): CssrsResult {
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) {
    throw new InstrumentError('cssrs', 'invalid_input', `C-SSRS answers must be an object (got ${describe(answers)})`);
  }
  const given = answers as unknown as Record<string, unknown>;
  const value = (id: CssrsQuestionId): boolean | undefined => {
    const v = given[id];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw cssrsError('invalid_answer', id, `must be yes or no (true/false), got ${describe(v)}`);
    return v;
  };

  // Walk the questions in order, following the branching data.
  const resolved: Partial<Record<CssrsQuestionId, boolean>> = {};
  for (const q of cssrsQuestions) {
    const v = value(q.id);
    const asked = q.askIf === undefined || resolved[q.askIf.question] === q.askIf.equals;
    if (asked && v === undefined) {
      const why = q.askIf ? ` (asked because question ${CSSRS_BY_ID.get(q.askIf.question)?.number} is ${q.askIf.equals ? 'yes' : 'no'})` : '';
      throw cssrsError('missing_answer', q.id, `must be answered${why}`);
    }
    if (!asked && v !== undefined) {
      const cond = q.askIf as CssrsCondition;
      throw cssrsError(
        'unexpected_answer',
        q.id,
        `is only asked when question ${CSSRS_BY_ID.get(cond.question)?.number} is ${cond.equals ? 'yes' : 'no'}; remove this answer`,
      );
    }
    if (v !== undefined) resolved[q.id] = v;
  }

  const yes = (id: CssrsQuestionId) => resolved[id] === true;
  let risk: CssrsRisk = 'none';
  if (yes('intent') || yes('plan') || yes('behaviorPast3Months')) risk = 'high';
  else if (yes('method') || (yes('behaviorEver') && !yes('behaviorPast3Months'))) risk = 'moderate';
  else if (yes('wishDead') || yes('thoughts')) risk = 'low';
  return { risk };
}

// ---------------------------------------------------------------------------------------
// Next step

export type NextStepUrgency = 'routine' | 'follow-up' | 'prompt' | 'immediate';

export interface NextStep {
  /** How soon to act; `immediate` means before this contact ends. */
  urgency: NextStepUrgency;
  /** One or two plain-language sentences for the clinician. */
  text: string;
}

const PHQ9_NEXT: Record<Phq9Band, NextStep> = {
  minimal: {
    urgency: 'routine',
    text: 'Minimal depressive symptoms. No treatment indicated; re-screen if concerns come back.',
  },
  mild: {
    urgency: 'follow-up',
    text: 'Mild symptoms. Offer support and self-help resources, and repeat the PHQ-9 at the next follow-up.',
  },
  moderate: {
    urgency: 'follow-up',
    text: 'Moderate symptoms. Refer for counselling or a clinical evaluation, and plan a follow-up call.',
  },
  'moderately severe': {
    urgency: 'prompt',
    text: 'Moderately severe symptoms. Treatment is warranted: make a prompt referral for therapy and/or a medication evaluation.',
  },
  severe: {
    urgency: 'immediate',
    text: 'Severe symptoms. Do an immediate safety assessment (C-SSRS) and arrange urgent mental-health care.',
  },
};

const ITEM9_NEXT: NextStep = {
  urgency: 'immediate',
  text:
    'Item 9 is positive (thoughts of death or self-harm). Do an immediate safety assessment (C-SSRS) ' +
    'before this contact ends, whatever the total score.',
};

const CSSRS_NEXT: Record<CssrsRisk, NextStep> = {
  none: {
    urgency: 'routine',
    text: 'No suicidal thoughts or behaviour reported. Continue routine follow-up; screen again if things change.',
  },
  low: {
    urgency: 'follow-up',
    text: 'Low risk: wish to be dead or thoughts of suicide without method, intent, plan or recent behaviour. Offer support, share the 988 line, and refer to behavioural health.',
  },
  moderate: {
    urgency: 'prompt',
    text: 'Moderate risk. Make a safety plan with the person now, talk about limiting access to means, and arrange a prompt behavioural-health evaluation.',
  },
  high: {
    urgency: 'immediate',
    text: 'High risk. Immediate safety precautions: keep the person engaged, do not leave them alone, and arrange an emergency evaluation now (mobile crisis or emergency department) per protocol.',
  },
};

/** What a result means for the next step, in plain language. */
export function nextStepFor(result: Phq9Result | CssrsResult): NextStep {
  if ('risk' in result) {
    const step = CSSRS_NEXT[result.risk];
    if (!step) throw new InstrumentError('cssrs', 'invalid_input', `Unknown C-SSRS risk ${describe(result.risk)}`);
    return step;
  }
  if (result.item9Alert) {
    return { urgency: ITEM9_NEXT.urgency, text: `${ITEM9_NEXT.text} Total ${result.total} (${result.band}).` };
  }
  const step = PHQ9_NEXT[result.band];
  if (!step) throw new InstrumentError('phq9', 'invalid_input', `Unknown PHQ-9 band ${describe(result.band)}`);
  return step;
}
