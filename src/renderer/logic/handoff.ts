import type { Handoff, HandoffOutcome } from '../../shared/entities';
import type { HandoffState } from '../../shared/handoff-machine';
import { formatClock, secondsSince } from './format';
import type { Tone } from './tone';

/** The clinician's outcome choices, in the order of their keys 1–5. */
export const OUTCOMES: readonly { value: HandoffOutcome; label: string; key: string }[] = [
  { value: 'resolved_by_phone', label: 'Resolved by phone', key: '1' },
  { value: 'responders_needed', label: 'Responders needed', key: '2' },
  { value: 'transport', label: 'Transport', key: '3' },
  { value: 'referral', label: 'Referral', key: '4' },
  { value: 'follow_up_needed', label: 'Follow-up needed', key: '5' },
];

export function outcomeLabel(outcome: HandoffOutcome | null | undefined): string {
  return OUTCOMES.find((o) => o.value === outcome)?.label ?? 'no outcome recorded';
}

export function outcomeForKey(key: string): HandoffOutcome | null {
  return OUTCOMES.find((o) => o.key === key)?.value ?? null;
}

export interface HandoffView {
  /** One short line: what is happening now. */
  label: string;
  /** A second line with who / why / when, or null. */
  detail: string | null;
  tone: Tone;
  /** Still needs someone's attention now (requested, ringing, accepted). */
  live: boolean;
  /** The dispatcher may still cancel it. */
  cancellable: boolean;
  /** The label changes every second (show a ticking clock). */
  ticking: boolean;
}

/**
 * What a dispatcher sees about a handoff on an incident. `now` in ms since the epoch;
 * `directLine` (the clinician's phone, when known) is offered when nobody answered.
 */
export function describeHandoff(h: Handoff, now: number, directLine?: string | null): HandoffView {
  const followup = h.mode === 'followup';
  switch (h.state) {
    case 'requested':
      return {
        label: followup ? 'Sending follow-up request…' : 'Calling the clinician…',
        detail: `Requested by ${h.requestedByName} at ${formatClock(h.requestedAt)}`,
        tone: 'info',
        live: true,
        cancellable: true,
        ticking: false,
      };
    case 'ringing':
      return {
        label: `Ringing clinician · ${secondsSince(h.ringingAt ?? h.requestedAt, now)} s`,
        detail: `Requested by ${h.requestedByName} at ${formatClock(h.requestedAt)}`,
        tone: 'ringing',
        live: true,
        cancellable: true,
        ticking: true,
      };
    case 'accepted':
      return {
        label: `Accepted by ${h.acceptedByName ?? 'the clinician'}`,
        detail: h.acceptedAt ? `On the line since ${formatClock(h.acceptedAt)}` : null,
        tone: 'ok',
        live: true,
        cancellable: false,
        ticking: false,
      };
    case 'declined': {
      const last = h.declines && h.declines.length ? h.declines[h.declines.length - 1] : null;
      return {
        label: `Declined${last ? ` by ${last.name}` : ''}`,
        detail: last ? `Reason: ${last.reason}` : null,
        tone: 'warn',
        live: false,
        cancellable: false,
        ticking: false,
      };
    }
    case 'timed_out':
      return {
        label: 'No answer from the clinician',
        detail: [h.endedAt ? `Stopped ringing at ${formatClock(h.endedAt)}` : null, directLine ? `Call direct: ${directLine}` : null]
          .filter(Boolean)
          .join(' · ') || null,
        tone: 'danger',
        live: false,
        cancellable: false,
        ticking: false,
      };
    case 'cancelled':
      return {
        label: 'Cancelled',
        detail: h.endedAt ? `at ${formatClock(h.endedAt)}` : null,
        tone: 'muted',
        live: false,
        cancellable: false,
        ticking: false,
      };
    case 'completed':
      return {
        label: `Completed — ${outcomeLabel(h.outcome)}`,
        detail: h.acceptedByName ? `by ${h.acceptedByName}${h.endedAt ? ` at ${formatClock(h.endedAt)}` : ''}` : null,
        tone: 'ok',
        live: false,
        cancellable: false,
        ticking: false,
      };
    case 'queued':
      return {
        label: 'Follow-up requested',
        detail: 'In the clinician’s follow-up queue',
        tone: 'info',
        live: false,
        cancellable: false,
        ticking: false,
      };
  }
}

/**
 * How far along its life a handoff is. States only move forward, so of two copies of the
 * same handoff (a list reply racing an event) the further one is the newer.
 */
export function handoffRank(state: HandoffState): number {
  switch (state) {
    case 'requested':
      return 0;
    case 'ringing':
      return 1;
    case 'accepted':
    case 'queued':
      return 2;
    case 'declined':
    case 'timed_out':
    case 'cancelled':
      return 3;
    case 'completed':
      return 4;
  }
}

/** The copy to keep when `incoming` arrives for a handoff we may already hold. */
export function mergeHandoff(existing: Handoff | undefined, incoming: Handoff): Handoff {
  if (!existing) return incoming;
  return handoffRank(incoming.state) >= handoffRank(existing.state) ? incoming : existing;
}

/** The newest handoff for an incident (by request time), or undefined. */
export function latestHandoffFor(incidentId: string, handoffs: Iterable<Handoff>): Handoff | undefined {
  let best: Handoff | undefined;
  for (const h of handoffs) {
    if (h.incidentId !== incidentId) continue;
    if (!best || h.requestedAt > best.requestedAt || (h.requestedAt === best.requestedAt && handoffRank(h.state) > handoffRank(best.state))) best = h;
  }
  return best;
}

/** Is a live conference already under way (or being set up) for this incident? */
export function blocksNewRequest(h: Handoff | undefined): boolean {
  return !!h && (h.state === 'requested' || h.state === 'ringing' || h.state === 'accepted');
}

/** Handoffs ringing a clinician's console, oldest first (the one waiting longest is answered first). */
export function ringingHandoffs(handoffs: Iterable<Handoff>): Handoff[] {
  return [...handoffs].filter((h) => h.state === 'ringing' && h.mode === 'live').sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : 1));
}

/** Conferences this user accepted and has not closed yet. */
export function activeConferences(handoffs: Iterable<Handoff>, userId: string | null | undefined): Handoff[] {
  if (!userId) return [];
  return [...handoffs].filter((h) => h.state === 'accepted' && h.acceptedBy === userId).sort((a, b) => ((a.acceptedAt ?? '') < (b.acceptedAt ?? '') ? -1 : 1));
}
