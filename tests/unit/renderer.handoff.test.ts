import { describe, expect, it } from 'vitest';
import {
  activeConferences,
  blocksNewRequest,
  describeHandoff,
  handoffRank,
  latestHandoffFor,
  mergeHandoff,
  OUTCOMES,
  outcomeForKey,
  outcomeLabel,
  ringingHandoffs,
} from '../../src/renderer/logic/handoff';
import { HANDOFF_STATES } from '../../src/shared/handoff-machine';
import { HandoffOutcome } from '../../src/shared/entities';
import { handoff } from './renderer.fixtures';

const T0 = Date.parse('2025-01-01T10:00:00.000Z');

describe('describeHandoff: state → label and colour', () => {
  it('ringing ticks with the seconds since it started ringing', () => {
    const v = describeHandoff(handoff({ state: 'ringing', ringingAt: '2025-01-01T10:00:03.000Z' }), T0 + 15_000);
    expect(v.label).toBe('Ringing clinician · 12 s');
    expect(v.tone).toBe('ringing');
    expect(v).toMatchObject({ live: true, cancellable: true, ticking: true });
  });
  it('accepted names who took it', () => {
    const v = describeHandoff(handoff({ state: 'accepted', acceptedByName: 'Chris Okafor', acceptedAt: '2025-01-01T10:00:09.000Z' }), T0);
    expect(v.label).toBe('Accepted by Chris Okafor');
    expect(v.tone).toBe('ok');
    expect(v.cancellable).toBe(false);
    expect(v.detail).toMatch(/^On the line since \d\d:\d\d$/);
  });
  it('declined shows who and the reason', () => {
    const v = describeHandoff(
      handoff({ state: 'declined', declines: [{ by: 'u-sam', name: 'Sam Patel', reason: 'On another call', at: '2025-01-01T10:00:10.000Z' }] }),
      T0,
    );
    expect(v.label).toBe('Declined by Sam Patel');
    expect(v.detail).toBe('Reason: On another call');
    expect(v.tone).toBe('warn');
  });
  it('timed out reads as no answer, in danger colour', () => {
    const v = describeHandoff(handoff({ state: 'timed_out', endedAt: '2025-01-01T10:00:30.000Z' }), T0);
    expect(v.label).toBe('No answer from the clinician');
    expect(v.tone).toBe('danger');
    expect(v.detail).toMatch(/^Stopped ringing at \d\d:\d\d$/);
    expect(describeHandoff(handoff({ state: 'timed_out', endedAt: null }), T0, '+1 555 0142').detail).toBe('Call direct: +1 555 0142');
  });
  it('cancelled, completed with outcome, queued follow-up, requested', () => {
    expect(describeHandoff(handoff({ state: 'cancelled' }), T0)).toMatchObject({ label: 'Cancelled', tone: 'muted', live: false });
    expect(describeHandoff(handoff({ state: 'completed', outcome: 'referral', acceptedByName: 'Chris' }), T0).label).toBe('Completed — Referral');
    expect(describeHandoff(handoff({ state: 'queued', mode: 'followup' }), T0)).toMatchObject({ label: 'Follow-up requested', tone: 'info' });
    expect(describeHandoff(handoff({ state: 'requested' }), T0)).toMatchObject({ label: 'Calling the clinician…', cancellable: true });
    expect(describeHandoff(handoff({ state: 'requested', mode: 'followup' }), T0).label).toBe('Sending follow-up request…');
  });
  it('has a label and tone for every state of the machine', () => {
    for (const state of HANDOFF_STATES) {
      const v = describeHandoff(handoff({ state }), T0);
      expect(v.label.length).toBeGreaterThan(0);
      expect(v.tone).toBeTruthy();
    }
  });
});

describe('outcomes', () => {
  it('keys 1–5 map to the five outcomes of the contract, in order', () => {
    expect(OUTCOMES.map((o) => o.value)).toEqual(HandoffOutcome.options);
    expect(OUTCOMES.map((o) => o.key)).toEqual(['1', '2', '3', '4', '5']);
    expect(outcomeForKey('1')).toBe('resolved_by_phone');
    expect(outcomeForKey('5')).toBe('follow_up_needed');
    expect(outcomeForKey('6')).toBeNull();
    expect(outcomeLabel('transport')).toBe('Transport');
    expect(outcomeLabel(null)).toBe('no outcome recorded');
  });
});

describe('merging copies of a handoff', () => {
  it('keeps the copy further along its life', () => {
    const ringing = handoff({ state: 'ringing' });
    const accepted = handoff({ state: 'accepted' });
    expect(mergeHandoff(undefined, ringing)).toBe(ringing);
    expect(mergeHandoff(accepted, ringing)).toBe(accepted);
    expect(mergeHandoff(ringing, accepted)).toBe(accepted);
    const again = handoff({ state: 'accepted', acceptedByName: 'x' });
    expect(mergeHandoff(accepted, again)).toBe(again);
  });
  it('ranks terminal states above live ones', () => {
    expect(handoffRank('completed')).toBeGreaterThan(handoffRank('accepted'));
    expect(handoffRank('timed_out')).toBeGreaterThan(handoffRank('ringing'));
    expect(handoffRank('ringing')).toBeGreaterThan(handoffRank('requested'));
  });
});

describe('selecting handoffs', () => {
  const a = handoff({ id: 'a', requestedAt: '2025-01-01T10:00:00.000Z', state: 'declined' });
  const b = handoff({ id: 'b', requestedAt: '2025-01-01T10:05:00.000Z', state: 'ringing' });
  const other = handoff({ id: 'c', incidentId: 'inc-2', requestedAt: '2025-01-01T11:00:00.000Z' });
  it('latest per incident', () => {
    expect(latestHandoffFor('inc-1', [a, b, other])?.id).toBe('b');
    expect(latestHandoffFor('inc-3', [a, b])).toBeUndefined();
  });
  it('a live request blocks another, an ended one does not', () => {
    expect(blocksNewRequest(b)).toBe(true);
    expect(blocksNewRequest(handoff({ state: 'accepted' }))).toBe(true);
    expect(blocksNewRequest(a)).toBe(false);
    expect(blocksNewRequest(handoff({ state: 'queued' }))).toBe(false);
    expect(blocksNewRequest(undefined)).toBe(false);
  });
  it('ringing list is live-mode only, oldest first', () => {
    const older = handoff({ id: 'old', requestedAt: '2025-01-01T09:00:00.000Z' });
    expect(ringingHandoffs([b, older, a, handoff({ id: 'f', mode: 'followup' })]).map((h) => h.id)).toEqual(['old', 'b']);
  });
  it('active conferences are the accepted ones of this user', () => {
    const mine = handoff({ id: 'm', state: 'accepted', acceptedBy: 'u-chris' });
    const theirs = handoff({ id: 't', state: 'accepted', acceptedBy: 'u-sam' });
    expect(activeConferences([mine, theirs, b], 'u-chris').map((h) => h.id)).toEqual(['m']);
    expect(activeConferences([mine], null)).toEqual([]);
  });
});
