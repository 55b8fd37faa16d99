import { describe, expect, it } from 'vitest';
import {
  HANDOFF_EVENTS,
  HANDOFF_STATES,
  IllegalTransitionError,
  nextHandoffState,
  isTerminal,
  type HandoffEvent,
  type HandoffState,
} from '../../src/shared/handoff-machine';

// The legal moves, written out independently of the implementation's table.
const LEGAL: [HandoffState, HandoffEvent, HandoffState][] = [
  ['requested', 'ring', 'ringing'],
  ['requested', 'cancel', 'cancelled'],
  ['requested', 'queue', 'queued'],
  ['ringing', 'accept', 'accepted'],
  ['ringing', 'decline', 'declined'],
  ['ringing', 'time_out', 'timed_out'],
  ['ringing', 'cancel', 'cancelled'],
  ['accepted', 'complete', 'completed'],
];

describe('handoff state machine', () => {
  it.each(LEGAL)('%s --%s--> %s', (from, event, to) => {
    expect(nextHandoffState(from, event)).toBe(to);
  });

  const illegal = HANDOFF_STATES.flatMap((s) => HANDOFF_EVENTS.map((e) => [s, e] as const)).filter(
    ([s, e]) => !LEGAL.some(([ls, le]) => ls === s && le === e),
  );

  it(`rejects every one of the ${illegal.length} illegal transitions`, () => {
    expect(illegal.length).toBe(HANDOFF_STATES.length * HANDOFF_EVENTS.length - LEGAL.length);
    for (const [state, event] of illegal) {
      expect(() => nextHandoffState(state, event), `${state} + ${event}`).toThrow(IllegalTransitionError);
    }
  });

  it('says which move was refused in words', () => {
    expect(() => nextHandoffState('timed_out', 'accept')).toThrow('A handoff that is timed out cannot accept');
  });

  it('knows the terminal states', () => {
    expect(HANDOFF_STATES.filter(isTerminal).sort()).toEqual(['cancelled', 'completed', 'declined', 'queued', 'timed_out']);
  });
});
