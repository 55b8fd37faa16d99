import { describe, expect, it, vi } from 'vitest';
import { RpcError, type User } from '../../src/shared/contract';
import { createClinicianStore } from '../../src/renderer/state/clinician';
import { DRAFTS_KEY, type StorageLike } from '../../src/renderer/storage';
import { handoff, incident, presence } from './renderer.fixtures';
import { chris, dana, fakeCore, flush, memoryStorage, signedIn, type Handlers } from './renderer.fake-core';

/** The clinician's desk, signed in as Chris (or whoever is given). */
async function ready(handlers: Handlers, storage: StorageLike | null = memoryStorage(), user: User = chris) {
  const core = fakeCore({ 'incident.list': () => [incident()], ...handlers }, user);
  const { session, data, ui } = await signedIn(core.client);
  const clinician = createClinicianStore({ client: core.client, session, data, ui, storage, now: () => 1_000_000 });
  return { core, data, ui, clinician };
}

describe('answering a handoff', () => {
  it('a conflicting accept says who has it', async () => {
    const { clinician } = await ready({
      'handoff.accept': () => {
        throw new RpcError('conflict', 'Already accepted', { acceptedByName: 'Sam Patel' });
      },
    });
    await clinician.getState().accept('h1');
    expect(clinician.getState().notice).toEqual({ text: 'Already taken by Sam Patel', tone: 'warn' });
  });

  it('without a name, the conflict message is shown', async () => {
    const { clinician } = await ready({
      'handoff.accept': () => {
        throw new RpcError('conflict', 'A handoff that is cancelled cannot accept');
      },
    });
    await clinician.getState().accept('h1');
    expect(clinician.getState().notice?.text).toBe('Already taken: A handoff that is cancelled cannot accept');
  });

  it('any other refusal is a danger notice, and the handoffs are looked at again', async () => {
    const { clinician, core } = await ready({
      'handoff.accept': () => {
        throw new RpcError('unavailable', 'The sync server cannot be reached');
      },
    });
    const before = core.calls.length;
    await clinician.getState().accept('h1');
    expect(clinician.getState()).toMatchObject({ notice: { text: 'Could not accept: The sync server cannot be reached', tone: 'danger' }, acceptBusy: null });
    expect(core.namesSince(before)).toEqual(['handoff.accept', 'handoff.list']);
  });

  it('an error the lost link caused is cleared when the link is back, and the handoffs are read again', async () => {
    const { clinician, core } = await ready({
      'handoff.accept': () => {
        throw new RpcError('unavailable', 'The sync server cannot be reached');
      },
    });
    await clinician.getState().accept('h1');
    expect(clinician.getState().notice?.offline).toBe(true);
    await flush();
    const before = core.calls.length;
    clinician.getState().reconnected();
    expect(clinician.getState().notice).toBeNull();
    await flush();
    expect(core.namesSince(before)).toEqual(expect.arrayContaining(['handoff.list', 'presence.list', 'presence.live']));
  });

  it('“Already taken” is still true after reconnecting, and stays', async () => {
    const { clinician } = await ready({
      'handoff.accept': () => {
        throw new RpcError('conflict', 'Already accepted by Sam Patel', { acceptedByName: 'Sam Patel' });
      },
    });
    await clinician.getState().accept('h1');
    clinician.getState().reconnected();
    expect(clinician.getState().notice?.text).toBe('Already taken by Sam Patel');
  });

  it('an accepted call moves the handoff on', async () => {
    const { clinician, data } = await ready({ 'handoff.accept': () => handoff({ id: 'h1', state: 'accepted', acceptedBy: 'u-chris' }) });
    await clinician.getState().accept('h1');
    expect(data.getState().handoffs.h1.state).toBe('accepted');
    expect(clinician.getState().notice).toBeNull();
  });

  it('decline needs a reason, then sends it', async () => {
    const { clinician, core } = await ready({ 'handoff.decline': () => handoff({ state: 'declined' }) });
    clinician.getState().startDecline('hof-1');
    await clinician.getState().submitDecline();
    expect(clinician.getState().declineError).toMatch(/reason/);
    clinician.getState().setDeclineReason('  On another call ');
    await clinician.getState().submitDecline();
    expect(core.calls.find((c) => c.name === 'handoff.decline')?.input).toEqual({ id: 'hof-1', reason: 'On another call' });
    expect(clinician.getState().declining).toBeNull();
  });

  it('a refused decline keeps the reason typed and says why', async () => {
    const { clinician } = await ready({
      'handoff.decline': () => {
        throw new RpcError('conflict', 'The call was cancelled');
      },
    });
    clinician.getState().startDecline('hof-1');
    clinician.getState().setDeclineReason('On another call');
    await clinician.getState().submitDecline();
    expect(clinician.getState()).toMatchObject({ declining: 'hof-1', declineReason: 'On another call', declineError: 'The call was cancelled', declineBusy: false });
  });

  it('a call ringing here that someone else took: says who has it, and closes a decline begun on it', async () => {
    const { clinician } = await ready({});
    clinician.getState().startDecline('hof-1');
    clinician.getState().handoffMoved(handoff(), handoff({ state: 'accepted', acceptedBy: 'u-sam', acceptedByName: 'Sam Patel' }));
    expect(clinician.getState().notice).toEqual({ text: 'Taken by Sam Patel', tone: 'warn' });
    expect(clinician.getState().declining).toBeNull();
  });

  it('no "taken" notice for a call this clinician took, nor on a dispatcher’s console', async () => {
    const mine = await ready({});
    mine.clinician.getState().handoffMoved(handoff(), handoff({ state: 'accepted', acceptedBy: 'u-chris' }));
    expect(mine.clinician.getState().notice).toBeNull();
    const desk = await ready({}, memoryStorage(), dana);
    desk.clinician.getState().handoffMoved(handoff(), handoff({ state: 'accepted', acceptedBy: 'u-sam' }));
    expect(desk.clinician.getState().notice).toBeNull();
  });
});

describe('the conference draft and closing', () => {
  it('drafts are saved to storage as typed and come back after a reload', async () => {
    const storage = memoryStorage();
    const { clinician } = await ready({}, storage);
    clinician.getState().setDraft('h1', { notes: 'Caller calmer now' });
    clinician.getState().setDraft('h1', { outcome: 'referral' });
    expect(JSON.parse(storage.map.get(DRAFTS_KEY)!).h1).toMatchObject({ notes: 'Caller calmer now', outcome: 'referral' });
    const again = await ready({}, storage);
    expect(again.clinician.getState().drafts.h1).toMatchObject({ notes: 'Caller calmer now', outcome: 'referral', personName: '', shareableSummary: '' });
  });

  it('closing needs an outcome; then completes with notes and name, clears the draft and offers the case', async () => {
    const storage = memoryStorage();
    const complete = vi.fn(() => ({ handoff: handoff({ id: 'h1', state: 'completed', outcome: 'transport' }), caseId: 'case-h1' }));
    const { clinician, ui } = await ready({ 'handoff.complete': complete }, storage);
    clinician.getState().setDraft('h1', { notes: 'Notes', personName: ' Riley ' });
    await clinician.getState().complete('h1');
    expect(complete).not.toHaveBeenCalled();
    expect(clinician.getState().completeError).toMatch(/outcome/);
    clinician.getState().setDraft('h1', { outcome: 'transport' });
    // Choosing the outcome takes the complaint away.
    expect(clinician.getState().completeError).toBeNull();
    await clinician.getState().complete('h1');
    expect(complete).toHaveBeenCalledWith({ id: 'h1', outcome: 'transport', notes: 'Notes', personName: 'Riley' });
    // Only what the clinician filled in is sent: no empty summary for dispatch.
    expect(complete.mock.calls[0]).not.toHaveProperty('0.shareableSummary');
    expect(clinician.getState().completed).toEqual({ caseId: 'case-h1', handoffId: 'h1', incidentId: 'inc-1' });
    expect(clinician.getState().drafts.h1).toBeUndefined();
    expect(storage.map.has(DRAFTS_KEY)).toBe(false);
    expect(ui.getState().announcement.text).toBe('Conference closed. Follow-up case opened.');
    ui.getState().openCase('case-h1');
    expect(ui.getState()).toMatchObject({ route: 'caseload', focusCaseId: 'case-h1' });
  });

  it('sends the summary for dispatch when there is one', async () => {
    const complete = vi.fn((_input: unknown) => ({ handoff: handoff({ id: 'h1', state: 'completed' }), caseId: 'case-h1' }));
    const { clinician } = await ready({ 'handoff.complete': complete });
    clinician.getState().setDraft('h1', { outcome: 'referral', shareableSummary: '  Caller safe, referred to counseling. ' });
    await clinician.getState().complete('h1');
    expect(complete.mock.calls[0][0]).toMatchObject({ shareableSummary: 'Caller safe, referred to counseling.' });
  });

  it('a failed close keeps the draft', async () => {
    const { clinician } = await ready({
      'handoff.complete': () => {
        throw new RpcError('internal', 'disk full');
      },
    });
    clinician.getState().setDraft('h1', { notes: 'precious', outcome: 'referral' });
    await clinician.getState().complete('h1');
    expect(clinician.getState().completeError).toMatch(/disk full/);
    expect(clinician.getState().completeError).toMatch(/kept on this workstation/);
    expect(clinician.getState().drafts.h1.notes).toBe('precious');
  });

  it('without storage the draft stays in memory and says it was not saved', async () => {
    const { clinician } = await ready({}, null);
    clinician.getState().setDraft('h1', { notes: 'x' });
    expect(clinician.getState().drafts.h1.notes).toBe('x');
    expect(clinician.getState().draftSaveFailed).toBe(true);
  });

  it('reset clears notices and errors but keeps every draft', async () => {
    const { clinician } = await ready({});
    clinician.getState().setDraft('h1', { notes: 'keep me' });
    await clinician.getState().complete('h1');
    clinician.getState().reset();
    expect(clinician.getState()).toMatchObject({ completeError: null, notice: null, declining: null });
    expect(clinician.getState().drafts.h1.notes).toBe('keep me');
  });
});

describe('availability', () => {
  it('presence.set updates the presence list', async () => {
    const { clinician, data } = await ready({ 'presence.set': (i) => presence({ status: (i as { status: 'on_call' }).status }) });
    await clinician.getState().setPresence('on_call');
    expect(data.getState().presence[0].status).toBe('on_call');
  });

  it('a refused change of availability says why', async () => {
    const { clinician } = await ready({
      'presence.set': () => {
        throw new RpcError('unavailable', 'The sync server cannot be reached');
      },
    });
    await clinician.getState().setPresence('away');
    expect(clinician.getState()).toMatchObject({ presenceBusy: null, presenceError: 'The sync server cannot be reached' });
  });
});
