import { z } from 'zod';

/**
 * The live handoff's life: requested → ringing → accepted | declined | timed_out | cancelled,
 * and accepted → completed. A follow-up request (no live call) goes requested → queued.
 * Pure, so that the server (which arbitrates) and the consoles (which display) agree.
 */
export const HANDOFF_STATES = [
  'requested',
  'ringing',
  'accepted',
  'declined',
  'timed_out',
  'cancelled',
  'completed',
  'queued',
] as const;
export const HandoffState = z.enum(HANDOFF_STATES);
export type HandoffState = z.infer<typeof HandoffState>;

export const HANDOFF_EVENTS = ['ring', 'accept', 'decline', 'time_out', 'cancel', 'complete', 'queue'] as const;
export type HandoffEvent = (typeof HANDOFF_EVENTS)[number];

const TRANSITIONS: Record<HandoffState, Partial<Record<HandoffEvent, HandoffState>>> = {
  requested: { ring: 'ringing', cancel: 'cancelled', queue: 'queued' },
  ringing: { accept: 'accepted', decline: 'declined', time_out: 'timed_out', cancel: 'cancelled' },
  accepted: { complete: 'completed' },
  declined: {},
  timed_out: {},
  cancelled: {},
  completed: {},
  queued: {},
};

export class IllegalTransitionError extends Error {
  readonly code = 'illegal_transition';
  constructor(readonly from: HandoffState, readonly event: HandoffEvent) {
    super(`A handoff that is ${from.replace('_', ' ')} cannot ${event.replace('_', ' ')}`);
  }
}

export function nextHandoffState(from: HandoffState, event: HandoffEvent): HandoffState {
  const to = TRANSITIONS[from][event];
  if (!to) throw new IllegalTransitionError(from, event);
  return to;
}

export function canTransition(from: HandoffState, event: HandoffEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

export function isTerminal(state: HandoffState): boolean {
  return Object.keys(TRANSITIONS[state]).length === 0;
}

/** States in which the handoff still needs someone's attention right now. */
export function isLive(state: HandoffState): boolean {
  return state === 'requested' || state === 'ringing' || state === 'accepted';
}
