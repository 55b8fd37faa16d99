import { describe, expect, it } from 'vitest';
import { RpcError } from '../../src/shared/contract';
import { createDispatchStore, formSentences } from '../../src/renderer/state/dispatch';
import { NewIncident, isPhoneNumber } from '../../src/shared/contract';
import { changedIncidentFields, incidentFields } from '../../src/renderer/logic/incidents';
import { handoff, incident, presence } from './renderer.fixtures';
import { fakeCore, signedIn, type Handlers } from './renderer.fake-core';

/** The dispatcher's desk, signed in as Dana with one open incident and a clinician on the floor. */
async function ready(handlers: Handlers) {
  const core = fakeCore({ 'incident.list': () => [incident()], 'presence.list': () => [presence({ directLine: '+1 555 0199' })], ...handlers });
  const { session, data, ui } = await signedIn(core.client);
  const dispatch = createDispatchStore({ client: core.client, session, data, ui, now: () => 1_000_000 });
  return { core, session, data, ui, dispatch };
}

describe('asking for the clinician', () => {
  it('an unreachable clinician raises the banner with the direct line from the error, until dismissed', async () => {
    const { dispatch } = await ready({
      'handoff.request': () => {
        throw new RpcError('unavailable', 'The sync server cannot be reached', { directLine: '+1 555 0142' });
      },
    });
    await dispatch.getState().requestHandoff('inc-1', 'live');
    expect(dispatch.getState().banner?.text).toBe('Could not reach the clinician — call direct: +1 555 0142');
    expect(dispatch.getState().banner?.incidentNumber).toBe('M-0001');
    expect(dispatch.getState().banner?.at).toBe(1_000_000);
    expect(dispatch.getState().rowErrors['inc-1']).toBe('Not sent: The sync server cannot be reached');
    expect(dispatch.getState().pending).toEqual({});
    dispatch.getState().dismissBanner();
    expect(dispatch.getState().banner).toBeNull();
  });

  it('falls back to a clinician direct line from presence when the error has none', async () => {
    const { dispatch } = await ready({
      'handoff.request': () => {
        throw new RpcError('unavailable', 'Lost the connection to the console core');
      },
    });
    await dispatch.getState().requestHandoff('inc-1', 'live');
    expect(dispatch.getState().banner?.directLine).toBe('+1 555 0199');
  });

  it('with no direct line anywhere, the banner sends the dispatcher to the floor phone', async () => {
    const { dispatch } = await ready({
      'presence.list': () => [],
      'handoff.request': () => {
        throw new RpcError('unavailable', 'Lost the connection to the console core');
      },
    });
    await dispatch.getState().requestHandoff('inc-1', 'live');
    expect(dispatch.getState().banner).toMatchObject({ directLine: null, text: 'Could not reach the clinician — no direct line on file: use the floor phone' });
  });

  it('a live request that rang out unanswered raises the banner at once, with how long it rang and the direct line', async () => {
    const { dispatch } = await ready({});
    const ringing = handoff();
    dispatch.getState().handoffMoved(ringing, handoff({ state: 'timed_out', endedAt: '2025-01-01T10:00:20.000Z' }));
    expect(dispatch.getState().banner).toMatchObject({
      headline: 'No answer from the clinician in 20 s',
      text: 'No answer from the clinician in 20 s — call direct: +1 555 0199',
      directLine: '+1 555 0199',
      incidentNumber: 'M-0001',
    });
  });

  it('a decline is told the same way, with who declined, why, and the direct line', async () => {
    const { dispatch } = await ready({});
    const declined = handoff({ state: 'declined', declines: [{ by: 'u-chris', name: 'Chris Okafor', reason: 'On another call', at: '2025-01-01T10:00:05.000Z' }] });
    dispatch.getState().handoffMoved(handoff(), declined);
    expect(dispatch.getState().banner?.text).toBe('Declined by Chris Okafor: “On another call” — call direct: +1 555 0199');
  });

  it('no banner for an accepted call, a follow-up, another dispatcher’s request, or a row first seen already ended', async () => {
    const { dispatch } = await ready({});
    const ended = { state: 'timed_out' as const, endedAt: '2025-01-01T10:00:20.000Z' };
    dispatch.getState().handoffMoved(handoff(), handoff({ state: 'accepted', acceptedByName: 'Chris Okafor' }));
    dispatch.getState().handoffMoved(handoff({ mode: 'followup' }), handoff({ mode: 'followup', ...ended }));
    dispatch.getState().handoffMoved(handoff({ requestedBy: 'u-other' }), handoff({ requestedBy: 'u-other', ...ended }));
    dispatch.getState().handoffMoved(undefined, handoff(ended));
    dispatch.getState().handoffMoved(handoff({ state: 'cancelled' }), handoff(ended));
    expect(dispatch.getState().banner).toBeNull();
  });

  it('other errors stay on the row, no banner', async () => {
    const { dispatch } = await ready({
      'handoff.request': () => {
        throw new RpcError('conflict', 'A handoff is already live');
      },
    });
    await dispatch.getState().requestHandoff('inc-1', 'live');
    expect(dispatch.getState().banner).toBeNull();
    expect(dispatch.getState().rowErrors['inc-1']).toBe('A handoff is already live');
  });

  it('a live handoff blocks a second request; Esc-cancel cancels the ringing one', async () => {
    const { dispatch, data, core } = await ready({
      'handoff.request': (i) => handoff({ id: 'h1', incidentId: (i as { incidentId: string }).incidentId }),
      'handoff.cancel': () => handoff({ id: 'h1', state: 'cancelled' }),
    });
    await dispatch.getState().requestHandoff('inc-1', 'live');
    await dispatch.getState().requestHandoff('inc-1', 'live');
    expect(core.calls.filter((c) => c.name === 'handoff.request')).toHaveLength(1);
    expect(core.calls.find((c) => c.name === 'handoff.request')?.input).toEqual({ incidentId: 'inc-1', mode: 'live' });
    await dispatch.getState().cancelHandoff('inc-1');
    expect(data.getState().handoffs.h1.state).toBe('cancelled');
  });

  it('a refused cancel says so on the row and looks again at the handoffs', async () => {
    const { dispatch, core } = await ready({
      'handoff.request': () => handoff({ id: 'h1' }),
      'handoff.cancel': () => {
        throw new RpcError('conflict', 'The clinician already accepted');
      },
    });
    await dispatch.getState().requestHandoff('inc-1', 'live');
    const before = core.calls.length;
    await dispatch.getState().cancelHandoff('inc-1');
    expect(dispatch.getState().rowErrors['inc-1']).toBe('Could not cancel: The clinician already accepted');
    expect(core.namesSince(before)).toEqual(['handoff.cancel', 'handoff.list']);
  });

  it('a second click while the request is on its way sends nothing more', async () => {
    let answer: (v: unknown) => void = () => {};
    const { dispatch, core } = await ready({ 'handoff.request': () => new Promise((r) => (answer = r)) });
    const first = dispatch.getState().requestHandoff('inc-1', 'followup');
    expect(dispatch.getState()).toMatchObject({ pending: { 'inc-1': 'followup' }, selectedId: 'inc-1' });
    await dispatch.getState().requestHandoff('inc-1', 'followup');
    answer(handoff({ id: 'h1', mode: 'followup' }));
    await first;
    expect(core.calls.filter((c) => c.name === 'handoff.request')).toHaveLength(1);
    expect(dispatch.getState().pending).toEqual({});
  });
});

describe('the new-incident form and the list', () => {
  it('F9 from the open form saves the incident, then conferences the clinician on it with the one-line note', async () => {
    const requests: unknown[] = [];
    const { dispatch, core } = await ready({
      'incident.create': (i) => incident({ id: 'inc-9', number: 'M-0009', ...(i as object) }),
      'handoff.request': (i) => {
        requests.push(i);
        return handoff({ id: 'h9', incidentId: 'inc-9' });
      },
    });
    dispatch.getState().openForm();
    const before = core.calls.length;
    await dispatch.getState().createAndRequest({ type: 'Welfare check', location: '5 Elm St' }, 'live', '  Caller is the sister; he is in the bathroom  ');
    expect(core.namesSince(before).filter((n) => n !== 'incident.list' && n !== 'handoff.list')).toEqual(['incident.create', 'handoff.request']);
    expect(requests).toEqual([{ incidentId: 'inc-9', mode: 'live', note: 'Caller is the sister; he is in the bathroom' }]);
    expect(dispatch.getState()).toMatchObject({ formOpen: false, selectedId: 'inc-9' });
  });

  it('F9 on a form the core refuses conferences nobody, and keeps what was typed', async () => {
    const { dispatch, core } = await ready({
      'incident.create': () => {
        throw new RpcError('bad_request', 'Invalid incident.create: location: Location is required', [{ path: ['location'], message: 'Location is required' }]);
      },
    });
    dispatch.getState().openForm();
    const before = core.calls.length;
    await dispatch.getState().createAndRequest({ type: 'Welfare check', location: '' }, 'live', 'note');
    expect(core.namesSince(before)).not.toContain('handoff.request');
    expect(dispatch.getState()).toMatchObject({ formOpen: true, formError: { message: 'Location is required.' } });
  });

  it('closing an incident takes it off the open list; not while its conference is live', async () => {
    const updates: unknown[] = [];
    const { dispatch, data } = await ready({
      'incident.update': (i) => {
        updates.push(i);
        return incident({ status: 'closed' });
      },
    });
    data.getState().upsertHandoff(handoff({ state: 'ringing' }));
    await dispatch.getState().closeIncident('inc-1');
    expect(updates).toEqual([]);
    expect(dispatch.getState().rowErrors['inc-1']).toBe('A conference on this incident is still live: finish or cancel it before closing');

    data.getState().upsertHandoff(handoff({ state: 'completed', outcome: 'resolved_by_phone' }));
    dispatch.getState().select('inc-1');
    await dispatch.getState().closeIncident('inc-1');
    expect(updates).toEqual([{ id: 'inc-1', patch: { status: 'closed' } }]);
    expect(data.getState().incidents.find((i) => i.id === 'inc-1')?.status).toBe('closed');
    expect(dispatch.getState()).toMatchObject({ selectedId: null, rowErrors: {} });
  });

  it('the core’s refusals read as sentences, each field once, never “Invalid incident.create: type: Too big”', async () => {
    const issues = NewIncident.safeParse({ type: 'x'.repeat(201), location: '', callbackNumber: 'call me maybe' }).error!.issues;
    expect(formSentences(issues, 'fallback')).toBe(
      'Type is too long: at most 200 characters. Location is required. Callback number must be a phone number: 7 to 15 digits, with an extension after “x” if needed.',
    );
    expect(formSentences(undefined, 'The console is locked')).toBe('The console is locked');
  });

  it('callback numbers are checked as phone numbers, with the attack as well as the happy path', () => {
    for (const ok of ['617-555-0188', '(617) 555-0188', '+1 617 555 0188', '617.555.0188', '5550188', '617-555-0188 x123', '617 555 0188 ext. 42', '+44 20 7946 0958']) {
      expect(isPhoneNumber(ok), ok).toBe(true);
    }
    for (const bad of ['call me maybe', '911', '555-01', '617-555-0188-1234-5678-9', '+', '617-555-01AB', "'; DROP TABLE incident;--", '617 555 0188 x', '１２３４５６７']) {
      expect(isPhoneNumber(bad), bad).toBe(false);
    }
    expect(NewIncident.safeParse({ type: 't', location: 'l', callbackNumber: '' }).success).toBe(true);
    expect(NewIncident.safeParse({ type: 't', location: 'l', callbackNumber: 'x'.repeat(33) }).error?.issues[0].message).toBe('Callback number is too long: at most 32 characters');
  });

  it('creating an incident selects it; a bad_request keeps the form open with the core’s message and fields', async () => {
    const { dispatch, data, ui } = await ready({
      'incident.create': (i) => {
        const input = i as { type: string; location: string };
        if (!input.location.trim()) throw new RpcError('bad_request', 'Invalid incident.create: location: Location is required', [{ path: ['location'], message: 'Location is required' }]);
        return incident({ id: 'inc-9', number: 'M-0009', ...input });
      },
    });
    dispatch.getState().openForm();
    expect(await dispatch.getState().createIncident({ type: 'x', location: ' ' })).toBeNull();
    expect(dispatch.getState().formOpen).toBe(true);
    expect(dispatch.getState().formError).toEqual({ message: 'Location is required.', fields: ['location'] });
    const created = await dispatch.getState().createIncident({ type: 'Welfare', location: '5 Elm St' });
    expect(created?.id).toBe('inc-9');
    expect(dispatch.getState()).toMatchObject({ formOpen: false, selectedId: 'inc-9', formError: null });
    expect(data.getState().incidents.map((i) => i.id)).toContain('inc-9');
    expect(ui.getState().announcement.text).toBe('Incident M-0009 created: Welfare');
  });

  it('an expired session keeps the form open and looks at the session again', async () => {
    const { dispatch, core } = await ready({
      'incident.create': () => {
        throw new RpcError('unauthenticated', 'Sign in again');
      },
    });
    dispatch.getState().openForm();
    const before = core.calls.length;
    await dispatch.getState().createIncident({ type: 'Welfare', location: '5 Elm St' });
    expect(dispatch.getState()).toMatchObject({ formOpen: true, formBusy: false, formError: { message: 'Not saved: Sign in again', fields: [] } });
    expect(core.namesSince(before)).toEqual(['incident.create', 'session.get']);
  });

  it('keyboard selection moves through open incidents newest first', async () => {
    const { dispatch } = await ready({
      'incident.list': () => [
        incident({ id: 'a', createdAt: '2025-01-01T10:00:00.000Z' }),
        incident({ id: 'b', createdAt: '2025-01-01T11:00:00.000Z' }),
      ],
    });
    dispatch.getState().move(1);
    expect(dispatch.getState().selectedId).toBe('b');
    dispatch.getState().move(1);
    expect(dispatch.getState().selectedId).toBe('a');
    dispatch.getState().edge('first');
    expect(dispatch.getState().selectedId).toBe('b');
    dispatch.getState().edge('last');
    expect(dispatch.getState().selectedId).toBe('a');
  });

  it('reset forgets the selection, the form and the banner', async () => {
    const { dispatch } = await ready({
      'handoff.request': () => {
        throw new RpcError('unavailable', 'Lost the connection to the console core');
      },
    });
    dispatch.getState().openForm();
    await dispatch.getState().requestHandoff('inc-1', 'live');
    dispatch.getState().reset();
    expect(dispatch.getState()).toMatchObject({ selectedId: null, formOpen: false, banner: null, rowErrors: {}, pending: {} });
  });
});

describe('editing an incident', () => {
  it('opens the form on an open incident and selects it; not on a closed or unknown one', async () => {
    const { dispatch, data } = await ready({});
    dispatch.getState().openEdit('nope');
    expect(dispatch.getState()).toMatchObject({ formOpen: false, editingId: null });
    dispatch.getState().openEdit('inc-1');
    expect(dispatch.getState()).toMatchObject({ formOpen: true, editingId: 'inc-1', selectedId: 'inc-1' });
    dispatch.getState().closeForm();
    expect(dispatch.getState()).toMatchObject({ formOpen: false, editingId: null });
    data.getState().upsertIncident(incident({ status: 'closed' }));
    dispatch.getState().openEdit('inc-1');
    expect(dispatch.getState().formOpen).toBe(false);
    // N after an edit opens an empty form, not the last edit.
    dispatch.getState().openForm();
    expect(dispatch.getState()).toMatchObject({ formOpen: true, editingId: null });
  });

  it('sends only the fields the dispatcher changed, and the list shows the saved incident', async () => {
    const updates: unknown[] = [];
    const { dispatch, data, ui } = await ready({
      'incident.update': (i) => {
        updates.push(i);
        const { patch } = i as { patch: Record<string, string> };
        return incident({ location: patch.location, priority: patch.priority });
      },
    });
    dispatch.getState().openEdit('inc-1');
    const before = incidentFields(incident());
    const patch = changedIncidentFields(before, { ...before, location: ' 9 Elm St ', priority: '1', type: ' Welfare check ' }, false);
    expect(patch).toEqual({ location: '9 Elm St', priority: '1' });
    await dispatch.getState().updateIncident('inc-1', patch);
    expect(updates).toEqual([{ id: 'inc-1', patch: { location: '9 Elm St', priority: '1' } }]);
    expect(data.getState().incidents.find((i) => i.id === 'inc-1')).toMatchObject({ location: '9 Elm St', priority: '1' });
    expect(dispatch.getState()).toMatchObject({ formOpen: false, editingId: null, selectedId: 'inc-1', formError: null });
    expect(ui.getState().announcement.text).toBe('Incident M-0001 saved');
  });

  it('nothing changed: the form closes and nothing is sent', async () => {
    const { dispatch, core } = await ready({});
    dispatch.getState().openEdit('inc-1');
    const before = core.calls.length;
    const f = incidentFields(incident());
    await dispatch.getState().updateIncident('inc-1', changedIncidentFields(f, { ...f, notes: '   ' }, false));
    expect(core.namesSince(before)).not.toContain('incident.update');
    expect(dispatch.getState()).toMatchObject({ formOpen: false, editingId: null });
  });

  it('clearing an optional field sends it empty (the core clears it); emptied notes are empty, not spaces', () => {
    const f = incidentFields(incident({ callerName: 'Sam', notes: 'old note' }));
    expect(changedIncidentFields(f, { ...f, callerName: '  ', notes: '  \n ' }, false)).toEqual({ callerName: '', notes: '' });
  });

  it('on a CAD incident only the notes are ever sent', () => {
    const f = incidentFields(incident({ source: 'eido' }));
    expect(changedIncidentFields(f, { ...f, location: 'Elsewhere', priority: '1', notes: 'Caller calmer now' }, true)).toEqual({ notes: 'Caller calmer now' });
  });

  it('a refusal keeps the form open with the core’s sentence and marks the field', async () => {
    const message = 'Location comes from CAD on incident CAD-1: change it in CAD';
    const { dispatch } = await ready({
      'incident.update': () => {
        throw new RpcError('bad_request', message, [{ path: ['location'], message }]);
      },
    });
    dispatch.getState().openEdit('inc-1');
    expect(await dispatch.getState().updateIncident('inc-1', { location: 'x' })).toBeNull();
    expect(dispatch.getState()).toMatchObject({ formOpen: true, editingId: 'inc-1', formBusy: false, formError: { message: `${message}.`, fields: ['location'] } });
  });

  it('the router’s refusal of an update (path under “patch”) marks the form’s own fields', async () => {
    const { dispatch } = await ready({
      'incident.update': () => {
        throw new RpcError('bad_request', 'Invalid incident.update: patch.type: Type is required', [{ path: ['patch', 'type'], message: 'Type is required' }]);
      },
    });
    dispatch.getState().openEdit('inc-1');
    await dispatch.getState().updateIncident('inc-1', { type: '' });
    expect(dispatch.getState().formError).toEqual({ message: 'Type is required.', fields: ['type'] });
  });

  it('F9 in the edit form saves, then conferences the clinician on the incident', async () => {
    const requests: unknown[] = [];
    const { dispatch, core } = await ready({
      'incident.update': () => incident({ location: '9 Elm St' }),
      'handoff.request': (i) => {
        requests.push(i);
        return handoff();
      },
    });
    dispatch.getState().openEdit('inc-1');
    const before = core.calls.length;
    await dispatch.getState().updateAndRequest('inc-1', { location: '9 Elm St' }, 'live', 'He is calmer');
    expect(core.namesSince(before).filter((n) => n !== 'incident.list' && n !== 'handoff.list')).toEqual(['incident.update', 'handoff.request']);
    expect(requests).toEqual([{ incidentId: 'inc-1', mode: 'live', note: 'He is calmer' }]);
  });

  it('closing the incident being edited closes its form', async () => {
    const { dispatch } = await ready({ 'incident.update': () => incident({ status: 'closed' }) });
    dispatch.getState().openEdit('inc-1');
    await dispatch.getState().closeIncident('inc-1');
    expect(dispatch.getState()).toMatchObject({ formOpen: false, editingId: null });
  });
});
