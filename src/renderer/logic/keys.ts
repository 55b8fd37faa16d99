import type { HandoffOutcome } from '../../shared/entities';
import { outcomeForKey } from './handoff';

/**
 * Keyboard maps, as pure functions of a key event and the screen's state, so the bindings
 * can be unit-tested and shown on screen from one table.
 */
export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  repeat?: boolean;
}

/** The parts of a focused element that decide whether a key press is typing. */
export interface FocusLike {
  tagName?: string;
  type?: string;
  isContentEditable?: boolean;
}

const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image']);

/** Is the user typing into this element (so single-letter shortcuts must stay out of the way)? */
export function isTypingTarget(el: FocusLike | null | undefined): boolean {
  if (!el) return false;
  if (el.isContentEditable) return true;
  const tag = (el.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !NON_TEXT_INPUTS.has((el.type ?? 'text').toLowerCase());
  return false;
}

/** Does Enter on this element already do something (a button, link, field)? */
export function isActivatable(el: FocusLike | null | undefined): boolean {
  if (!el) return false;
  const tag = (el.tagName ?? '').toUpperCase();
  return isTypingTarget(el) || tag === 'BUTTON' || tag === 'A' || tag === 'INPUT' || tag === 'SUMMARY';
}

function hasCommandModifier(e: KeyLike): boolean {
  return !!(e.ctrlKey || e.altKey || e.metaKey);
}

export type DispatcherAction = 'conference' | 'followup' | 'newIncident' | 'edit' | 'next' | 'prev' | 'first' | 'last' | 'cancelHandoff';

export interface DispatcherKeyContext {
  /** Focus is in a text field. */
  typing: boolean;
  /** The incident form (new or edit) is open (it handles its own Enter and Esc). */
  formOpen: boolean;
}

/**
 * Dispatcher keys. F9 conferences the clinician on the selected incident; Shift+F9 asks
 * for a follow-up instead (F10 is left alone: Windows and Chromium use it to focus menus).
 */
export function dispatcherAction(e: KeyLike, ctx: DispatcherKeyContext): DispatcherAction | null {
  if (hasCommandModifier(e) || ctx.typing || ctx.formOpen) return null;
  if (e.key === 'F9') return e.repeat ? null : e.shiftKey ? 'followup' : 'conference';
  if (e.key === 'Escape') return 'cancelHandoff';
  if (e.key === 'ArrowDown' || e.key === 'j' || e.key === 'J') return 'next';
  if (e.key === 'ArrowUp' || e.key === 'k' || e.key === 'K') return 'prev';
  if (e.key === 'Home') return 'first';
  if (e.key === 'End') return 'last';
  if ((e.key === 'n' || e.key === 'N') && !e.repeat) return 'newIncident';
  if ((e.key === 'e' || e.key === 'E') && !e.repeat) return 'edit';
  return null;
}

export type ClinicianAction =
  | { type: 'accept' }
  | { type: 'startDecline' }
  | { type: 'cancelDecline' }
  | { type: 'outcome'; outcome: HandoffOutcome };

export interface ClinicianKeyContext {
  typing: boolean;
  /** Focus is on something Enter already activates (a button, link or field). */
  focusActivatable: boolean;
  ringing: boolean;
  declining: boolean;
  inConference: boolean;
}

/** Clinician keys: A or Enter accepts, D declines (then a reason and Enter), Esc backs out, 1–5 pick the outcome. */
export function clinicianAction(e: KeyLike, ctx: ClinicianKeyContext): ClinicianAction | null {
  if (hasCommandModifier(e)) return null;
  if (ctx.declining && e.key === 'Escape') return { type: 'cancelDecline' };
  if (ctx.typing || e.repeat) return null;
  if (ctx.ringing && !ctx.declining) {
    if (e.key === 'a' || e.key === 'A') return { type: 'accept' };
    // During a conference Enter belongs to it: a second call is accepted only with A.
    if (e.key === 'Enter' && !ctx.focusActivatable && !ctx.inConference) return { type: 'accept' };
    if (e.key === 'd' || e.key === 'D') return { type: 'startDecline' };
  }
  if (ctx.inConference && !e.shiftKey) {
    const outcome = outcomeForKey(e.key);
    if (outcome) return { type: 'outcome', outcome };
  }
  return null;
}

export interface KeyHint {
  /** Alternative keys (each one is enough), e.g. ['↑', 'J']. */
  keys: string[];
  label: string;
}

export const DISPATCHER_HINTS: readonly KeyHint[] = [
  { keys: ['F9'], label: 'Conference clinician' },
  { keys: ['Shift+F9'], label: 'Request follow-up' },
  { keys: ['N'], label: 'New incident' },
  { keys: ['E'], label: 'Edit incident' },
  { keys: ['↑', '↓', 'J', 'K'], label: 'Select' },
  { keys: ['Esc'], label: 'Cancel ringing' },
];

export const CLINICIAN_HINTS: readonly KeyHint[] = [
  { keys: ['A', 'Enter'], label: 'Accept' },
  { keys: ['D'], label: 'Decline' },
  { keys: ['1–5'], label: 'Outcome' },
  { keys: ['Esc'], label: 'Back' },
];
