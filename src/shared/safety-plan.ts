import { z } from 'zod';

/**
 * The Stanley–Brown Safety Plan: six steps, in this order, written with the person in their
 * own words (Stanley & Brown, 2012; the template is free to use). Kept on a case as a
 * timeline event, one per version: a new version is a new event, never an edit.
 */
export const SAFETY_PLAN_STEPS = [
  { key: 'warningSigns', title: 'Warning signs', prompt: 'Thoughts, images, mood, situations or behaviour that a crisis may be developing' },
  { key: 'copingStrategies', title: 'Internal coping strategies', prompt: 'Things I can do to take my mind off my problems without contacting another person' },
  { key: 'distractions', title: 'People and social settings that provide distraction', prompt: 'Names and phone numbers, and places I can go' },
  { key: 'helpers', title: 'People whom I can ask for help', prompt: 'Names and phone numbers' },
  { key: 'professionals', title: 'Professionals or agencies I can contact during a crisis', prompt: 'Clinician, local urgent care, crisis line' },
  { key: 'environment', title: 'Making the environment safe', prompt: 'Keeping lethal means away, and how' },
] as const;
export type SafetyPlanStep = (typeof SAFETY_PLAN_STEPS)[number]['key'];

/** Always on the plan's professionals step: the national crisis line. */
export const CRISIS_LINE_988 = '988 Suicide & Crisis Lifeline: call or text 988, chat 988lifeline.org';

const item = z.string().trim().min(1).max(300);
const list = z.array(item).max(12, 'At most 12 lines in a step');

export const SafetyPlan = z.object({
  warningSigns: list,
  copingStrategies: list,
  distractions: list,
  helpers: list,
  professionals: list,
  environment: list,
  /** "The one thing that is most important to me and worth living for". */
  reasonForLiving: z.string().trim().max(300).default(''),
});
export type SafetyPlan = z.infer<typeof SafetyPlan>;

/** A new plan: empty steps, 988 already under professionals. */
export function emptySafetyPlan(): SafetyPlan {
  return { warningSigns: [], copingStrategies: [], distractions: [], helpers: [], professionals: [CRISIS_LINE_988], environment: [], reasonForLiving: '' };
}

/** Why a plan cannot be saved yet, or null: a plan needs at least its warning signs and someone to call. */
export function safetyPlanProblem(p: SafetyPlan): string | null {
  if (p.warningSigns.length === 0) return 'Write at least one warning sign (step 1)';
  if (p.helpers.length === 0 && p.professionals.length === 0) return 'Name at least one person or service to call (step 4 or 5)';
  return null;
}

/** The plan a timeline event holds, or null when the event is not a readable plan. */
export function safetyPlanOf(body: Record<string, unknown>): (SafetyPlan & { version: number }) | null {
  const r = SafetyPlan.extend({ version: z.number().int().positive() }).safeParse(body);
  return r.success ? r.data : null;
}
