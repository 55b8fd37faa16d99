import { z } from 'zod';
import { CaseOrigin } from './entities';

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
