import { z } from 'zod';
import { CaseOrigin, ReferralStatus } from './entities';

/**
 * When a follow-up is due, by how the case began. Sites configure these; the defaults
 * follow what embedded-clinician programs report: a live call is followed up the same day,
 * a dispatcher's follow-up request within a day, an incoming referral within three days.
 */
export const DueRule = z.union([z.literal('same_day'), z.object({ hours: z.number().positive().max(24 * 90) })]);
export type DueRule = z.infer<typeof DueRule>;
export const DueRules = z.record(CaseOrigin, DueRule);
export type DueRules = z.infer<typeof DueRules>;

export const DEFAULT_DUE_RULES: DueRules = {
  live_call: 'same_day',
  followup_request: { hours: 24 },
  referral_in: { hours: 72 },
  walk_in: { hours: 24 * 7 },
  manual: { hours: 24 * 7 },
};

/** Same day means the end of the clinician's local day, but never less than two hours away. */
export function dueAt(origin: z.infer<typeof CaseOrigin>, from: Date, rules: DueRules = DEFAULT_DUE_RULES): Date {
  const rule = rules[origin] ?? DEFAULT_DUE_RULES[origin];
  if (rule === 'same_day') {
    const end = new Date(from);
    end.setHours(23, 59, 0, 0);
    const atLeast = new Date(from.getTime() + 2 * 3600_000);
    return end > atLeast ? end : atLeast;
  }
  return new Date(from.getTime() + rule!.hours * 3600_000);
}

export const RISK_RANK = { high: 0, moderate: 1, low: 2, unknown: 3 } as const;

export type RiskLevel = keyof typeof RISK_RANK;

/** The higher of two risks (`unknown` is the lowest: anything known outranks it). */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RISK_RANK[a] <= RISK_RANK[b] ? a : b;
}

// ---------------------------------------------------------------------------------------
// Contact attempts

export const CONTACT_CHANNELS = ['phone', 'text', 'in_person', 'email'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export const CONTACT_OUTCOMES = ['reached', 'left_message', 'no_answer', 'wrong_number'] as const;
export type ContactOutcome = (typeof CONTACT_OUTCOMES)[number];

export const CONTACT_CHANNEL_LABELS: Record<ContactChannel, string> = {
  phone: 'Phone',
  text: 'Text',
  in_person: 'In person',
  email: 'Email',
};
export const CONTACT_OUTCOME_LABELS: Record<ContactOutcome, string> = {
  reached: 'Reached',
  left_message: 'Left message',
  no_answer: 'No answer',
  wrong_number: 'Wrong number',
};

/**
 * When the next follow-up is due after a contact attempt, unless the clinician says:
 * someone not reached is tried again the next day, someone reached is checked on in a week.
 */
export const NEXT_FOLLOW_UP_HOURS: Record<ContactOutcome, number> = {
  reached: 24 * 7,
  left_message: 24,
  no_answer: 24,
  wrong_number: 24,
};

export function nextFollowUp(outcome: ContactOutcome, from: Date): Date {
  return new Date(from.getTime() + NEXT_FOLLOW_UP_HOURS[outcome] * 3600_000);
}

// ---------------------------------------------------------------------------------------
// Referrals: made → accepted → connected | declined | unreachable

export type ReferralState = z.infer<typeof ReferralStatus>;

export const REFERRAL_MOVES: Record<ReferralState, readonly ReferralState[]> = {
  made: ['accepted', 'declined', 'unreachable'],
  accepted: ['connected', 'declined', 'unreachable'],
  connected: [],
  declined: [],
  unreachable: [],
};

export const REFERRAL_LABELS: Record<ReferralState, string> = {
  made: 'Referral made',
  accepted: 'Accepted by service',
  connected: 'Connected',
  declined: 'Declined',
  unreachable: 'Unreachable',
};

export function canMoveReferral(from: ReferralState, to: ReferralState): boolean {
  return REFERRAL_MOVES[from].includes(to);
}

export function isReferralOpen(status: ReferralState): boolean {
  return REFERRAL_MOVES[status].length > 0;
}

/** Days after a referral is made until the clinician checks whether it connected. */
export const REFERRAL_FOLLOW_UP_DAYS = 3;

/** The follow-up task of a referral has an id derived from it, so its status change can close it. */
export function referralTaskId(referralId: string): string {
  return `task-ref-${referralId}`;
}

/** Why a case may be closed: the reasons programs report on, plus "other" with words. */
export const CLOSURE_REASONS = [
  'Connected to services',
  'Needs met',
  'Declined further contact',
  'Unable to reach',
  'Transferred to another program',
  'Moved out of area',
] as const;

/**
 * A safety alert's next step is due at once: the case is due now when a screening raises
 * one. Once a C-SSRS has been done after a PHQ-9 item 9 alert (the step that alert asks
 * for) and finds no high risk, the alert is cleared and the case is next due by the C-SSRS's
 * own next step: 'immediate' now, 'prompt' within a day, 'follow-up' within three, else a week.
 */
export const NEXT_STEP_DUE_HOURS: Record<'immediate' | 'prompt' | 'follow-up' | 'routine', number> = { immediate: 0, prompt: 24, 'follow-up': 72, routine: 168 };

/** How a PHQ-9 item 9 alert begins (the core writes it); a C-SSRS is the step that answers it. */
export const PHQ9_ITEM9_ALERT = 'PHQ-9 item 9 positive';
