import { describe, expect, it, vi } from 'vitest';
import { RpcError, type EventName, type EventPayload, type RequestName, type SessionInfo, type User } from '../../src/shared/contract';
import type { ConsoleClient } from '../../src/renderer/client';
import type { ConnectionState } from '../../src/renderer/logic/status';
import { createAppStores } from '../../src/renderer/state/stores';
import { DRAFTS_KEY, type StorageLike } from '../../src/renderer/storage';
import { handoff, incident, presence } from './renderer.fixtures';

const dana: User = { id: 'u-dana', username: 'dana', name: 'Dana Reyes', role: 'dispatcher', directLine: null };
const chris: User = { id: 'u-chris', username: 'chris', name: 'Chris Okafor', role: 'clinician', directLine: '+1 555 0142' };

type Handler = (input: unknown) => unknown;

/** A scripted core: handlers per request, events pushed by the test. */
function fakeCore(handlers: Partial<Record<RequestName, Handler>>, user: User | null = dana) {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: { name: string; input: unknown }[] = [];
  const info = (): SessionInfo => ({ user, workstation: 'ws-1', demo: true, demoUsers: [dana, chris], lockAfterMinutes: 10, locked: false });
  const defaults: Partial<Record<RequestName, Handler>> = {
    'session.get': () => info(),
    'incident.list': () => [],
    'handoff.list': () => [],
    'presence.list': () => [],
  };
  const client: ConsoleClient = {
    async call(name, input) {
      calls.push({ name, input });
      const h = handlers[name] ?? defaults[name];
      if (!h) throw new RpcError('unknown_request', name);
      return (await h(input)) as never;
    },
    on<E extends EventName>(event: E, l: (p: EventPayload<E>) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(l as (p: unknown) => void);
      return () => set.delete(l as (p: unknown) => void);
    },
    connection: (): ConnectionState => 'connected',
    onConnection: () => () => {},
    close() {},
  };
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => listeners.get(event)?.forEach((l) => l(payload));
  return { client, calls, emit };
}

function memoryStorage(): StorageLike & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('session and data loading', () => {
  it('loads the session, then the lists, and refreshes only what data.changed names', async () => {
    let incidents = [incident()];
    const core = fakeCore({ 'incident.list': () => incidents });
    const s = createAppStores({ client: core.client, storage: null });
    s.start();
    await flush();
    await flush();
    expect(s.session.getState().info?.user?.id).toBe('u-dana');
    expect(s.data.getState().incidents.map((i) => i.id)).toEqual(['inc-1']);
    expect(s.ui.getState().route).toBe('dispatch');

    incidents = [incident(), incident({ id: 'inc-2' })];
    const before = core.calls.length;
    core.emit('data.changed', { entities: ['incident'] });
    await flush();
    expect(core.calls.slice(before).map((c) => c.name)).toEqual(['incident.list']);
    expect(s.data.getState().incidents).toHaveLength(2);
  });

  it('sync.status events reach the sync store', async () => {
    const core = fakeCore({});
    const s = createAppStores({ client: core.client, storage: null });
    s.start();
    core.emit('sync.status', { state: 'offline', offlineSince: null, pending: 2, refused: 0, lastSyncedAt: null, error: null, serverUrl: null });
    expect(s.sync.getState().status?.pending).toBe(2);
  });

  it('a list reply that left before an event does not undo the event', async () => {
    let release: (v: unknown) => void = () => {};
    const core = fakeCore({ 'handoff.list': () => new Promise((r) => (release = r)) });
    const s = createAppStores({ client: core.client, storage: null });
    s.start();
    await flush();
    // The list request is in flight; a ringing event arrives; then the (older) list reply.
    core.emit('handoff.ringing', handoff({ id: 'h-new' }));
    release([handoff({ id: 'h-old', state: 'cancelled' })]);
    await flush();
    expect(Object.keys(s.data.getState().handoffs).sort()).toEqual(['h-new', 'h-old']);
  });

  it('signing out clears the data; demo role switch signs in as the other role', async () => {
    let user: User | null = dana;
    const core = fakeCore({
      'session.get': () => ({ user, workstation: 'w', demo: true, demoUsers: [dana, chris], lockAfterMinutes: 10 }),
      'session.signOut': () => {
        user = null;
        return { ok: true };
      },
      'session.demoSignIn': (i) => {
        user = (i as { role: string }).role === 'clinician' ? chris : dana;
        return user;
      },
      'incident.list': () => [incident()],
    });
    const s = createAppStores({ client: core.client, storage: null });
    s.start();
    await flush();
    await flush();
    expect(s.data.getState().incidents).toHaveLength(1);
    await s.session.getState().switchRole('clinician');
    await flush();
    expect(s.session.getState().info?.user?.role).toBe('clinician');
    expect(s.ui.getState().route).toBe('clinician');
    const names = core.calls.map((c) => c.name);
    expect(names.indexOf('session.signOut')).toBeLessThan(names.indexOf('session.demoSignIn'));
    // Clinicians ask for live handoffs only.
    expect(core.calls.filter((c) => c.name === 'handoff.list').pop()?.input).toEqual({ live: true });
  });
});

describe('dispatcher', () => {
  async function ready(handlers: Partial<Record<RequestName, Handler>>) {
    const core = fakeCore({ 'incident.list': () => [incident()], 'presence.list': () => [presence({ directLine: '+1 555 0199' })], ...handlers });
    const s = createAppStores({ client: core.client, storage: null });
    s.start();
    await flush();
    await flush();
    return { core, s };
  }

  it('an unreachable clinician raises the banner with the direct line from the error, until dismissed', async () => {
    const { s } = await ready({
      'handoff.request': () => {
        throw new RpcError('unavailable', 'The sync server cannot be reached', { directLine: '+1 555 0142' });
      },
    });
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    expect(s.dispatch.getState().banner?.text).toBe('Could not reach the clinician — call direct: +1 555 0142');
    expect(s.dispatch.getState().banner?.incidentNumber).toBe('M-0001');
    expect(s.dispatch.getState().pending).toEqual({});
    s.dispatch.getState().dismissBanner();
    expect(s.dispatch.getState().banner).toBeNull();
  });

  it('falls back to a clinician direct line from presence when the error has none', async () => {
    const { s } = await ready({
      'handoff.request': () => {
        throw new RpcError('unavailable', 'Lost the connection to the console core');
      },
    });
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    expect(s.dispatch.getState().banner?.directLine).toBe('+1 555 0199');
  });

  it('other errors stay on the row, no banner', async () => {
    const { s } = await ready({
      'handoff.request': () => {
        throw new RpcError('conflict', 'A handoff is already live');
      },
    });
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    expect(s.dispatch.getState().banner).toBeNull();
    expect(s.dispatch.getState().rowErrors['inc-1']).toBe('A handoff is already live');
  });

  it('a live handoff blocks a second request; Esc-cancel cancels the ringing one', async () => {
    const { s, core } = await ready({
      'handoff.request': (i) => handoff({ id: 'h1', incidentId: (i as { incidentId: string }).incidentId }),
      'handoff.cancel': () => handoff({ id: 'h1', state: 'cancelled' }),
    });
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    expect(core.calls.filter((c) => c.name === 'handoff.request')).toHaveLength(1);
    expect(core.calls.find((c) => c.name === 'handoff.request')?.input).toEqual({ incidentId: 'inc-1', mode: 'live' });
    await s.dispatch.getState().cancelHandoff('inc-1');
    expect(s.data.getState().handoffs.h1.state).toBe('cancelled');
  });

  it('handoff.updated events move the incident’s handoff forward', async () => {
    const { s, core } = await ready({ 'handoff.request': () => handoff({ id: 'h1' }) });
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    core.emit('handoff.updated', handoff({ id: 'h1', state: 'accepted', acceptedBy: 'u-chris', acceptedByName: 'Chris Okafor' }));
    expect(s.data.getState().handoffs.h1.acceptedByName).toBe('Chris Okafor');
    // A stale copy arriving later does not move it back.
    core.emit('handoff.updated', handoff({ id: 'h1', state: 'ringing' }));
    expect(s.data.getState().handoffs.h1.state).toBe('accepted');
  });

  it('creating an incident selects it; a bad_request keeps the form open with the core’s message and fields', async () => {
    const { s } = await ready({
      'incident.create': (i) => {
        const input = i as { type: string; location: string };
        if (!input.location.trim()) throw new RpcError('bad_request', 'Invalid incident.create: location: Location is required', [{ path: ['location'], message: 'Location is required' }]);
        return incident({ id: 'inc-9', number: 'M-0009', ...input });
      },
    });
    s.dispatch.getState().openForm();
    expect(await s.dispatch.getState().createIncident({ type: 'x', location: ' ' })).toBeNull();
    expect(s.dispatch.getState().formOpen).toBe(true);
    expect(s.dispatch.getState().formError).toEqual({ message: 'Invalid incident.create: location: Location is required', fields: ['location'] });
    const created = await s.dispatch.getState().createIncident({ type: 'Welfare', location: '5 Elm St' });
    expect(created?.id).toBe('inc-9');
    expect(s.dispatch.getState()).toMatchObject({ formOpen: false, selectedId: 'inc-9', formError: null });
    expect(s.data.getState().incidents.map((i) => i.id)).toContain('inc-9');
  });

  it('keyboard selection moves through open incidents newest first', async () => {
    const { s } = await ready({
      'incident.list': () => [
        incident({ id: 'a', createdAt: '2025-01-01T10:00:00.000Z' }),
        incident({ id: 'b', createdAt: '2025-01-01T11:00:00.000Z' }),
      ],
    });
    s.dispatch.getState().move(1);
    expect(s.dispatch.getState().selectedId).toBe('b');
    s.dispatch.getState().move(1);
    expect(s.dispatch.getState().selectedId).toBe('a');
    s.dispatch.getState().edge('first');
    expect(s.dispatch.getState().selectedId).toBe('b');
  });
});

describe('clinician', () => {
  async function ready(handlers: Partial<Record<RequestName, Handler>>, storage: StorageLike | null = memoryStorage()) {
    const core = fakeCore({ 'incident.list': () => [incident()], ...handlers }, chris);
    const s = createAppStores({ client: core.client, storage, now: () => 1_000_000 });
    s.start();
    await flush();
    await flush();
    return { core, s };
  }

  it('a conflicting accept says who has it', async () => {
    const { s } = await ready({
      'handoff.accept': () => {
        throw new RpcError('conflict', 'Already accepted', { acceptedByName: 'Sam Patel' });
      },
    });
    await s.clinician.getState().accept('h1');
    expect(s.clinician.getState().notice).toEqual({ text: 'Already taken by Sam Patel', tone: 'warn' });
  });

  it('without a name, the conflict message is shown', async () => {
    const { s } = await ready({
      'handoff.accept': () => {
        throw new RpcError('conflict', 'A handoff that is cancelled cannot accept');
      },
    });
    await s.clinician.getState().accept('h1');
    expect(s.clinician.getState().notice?.text).toBe('Already taken: A handoff that is cancelled cannot accept');
  });

  it('decline needs a reason, then sends it', async () => {
    const { s, core } = await ready({ 'handoff.decline': () => handoff({ state: 'declined' }) });
    s.clinician.getState().startDecline('hof-1');
    await s.clinician.getState().submitDecline();
    expect(s.clinician.getState().declineError).toMatch(/reason/);
    s.clinician.getState().setDeclineReason('  On another call ');
    await s.clinician.getState().submitDecline();
    expect(core.calls.find((c) => c.name === 'handoff.decline')?.input).toEqual({ id: 'hof-1', reason: 'On another call' });
    expect(s.clinician.getState().declining).toBeNull();
  });

  it('drafts are saved to storage as typed and come back after a reload', async () => {
    const storage = memoryStorage();
    const { s } = await ready({}, storage);
    s.clinician.getState().setDraft('h1', { notes: 'Caller calmer now' });
    s.clinician.getState().setDraft('h1', { outcome: 'referral' });
    expect(JSON.parse(storage.map.get(DRAFTS_KEY)!).h1).toMatchObject({ notes: 'Caller calmer now', outcome: 'referral' });
    const again = await ready({}, storage);
    expect(again.s.clinician.getState().drafts.h1).toMatchObject({ notes: 'Caller calmer now', outcome: 'referral', personName: '', shareableSummary: '' });
  });

  it('a draft survives signing out (lock) and back in', async () => {
    const storage = memoryStorage();
    const { s } = await ready({ 'session.signOut': () => ({ ok: true }) }, storage);
    s.clinician.getState().setDraft('h1', { notes: 'keep me' });
    await s.session.getState().signOut();
    expect(s.clinician.getState().drafts.h1.notes).toBe('keep me');
  });

  it('closing needs an outcome; then completes with notes and name, clears the draft and offers the case', async () => {
    const storage = memoryStorage();
    const complete = vi.fn(() => ({ handoff: handoff({ id: 'h1', state: 'completed', outcome: 'transport' }), caseId: 'case-h1' }));
    const { s } = await ready({ 'handoff.complete': complete }, storage);
    s.clinician.getState().setDraft('h1', { notes: 'Notes', personName: ' Riley ' });
    await s.clinician.getState().complete('h1');
    expect(complete).not.toHaveBeenCalled();
    expect(s.clinician.getState().completeError).toMatch(/outcome/);
    s.clinician.getState().setDraft('h1', { outcome: 'transport' });
    await s.clinician.getState().complete('h1');
    expect(complete).toHaveBeenCalledWith({ id: 'h1', outcome: 'transport', notes: 'Notes', personName: 'Riley' });
    // Only what the clinician filled in is sent: no empty summary for dispatch.
    expect(complete.mock.calls[0]).not.toHaveProperty('0.shareableSummary');
    expect(s.clinician.getState().completed).toEqual({ caseId: 'case-h1', handoffId: 'h1', incidentId: 'inc-1' });
    expect(s.clinician.getState().drafts.h1).toBeUndefined();
    expect(storage.map.has(DRAFTS_KEY)).toBe(false);
    s.ui.getState().openCase('case-h1');
    expect(s.ui.getState()).toMatchObject({ route: 'caseload', focusCaseId: 'case-h1' });
  });

  it('sends the summary for dispatch when there is one', async () => {
    const complete = vi.fn((_input: unknown) => ({ handoff: handoff({ id: 'h1', state: 'completed' }), caseId: 'case-h1' }));
    const { s } = await ready({ 'handoff.complete': complete });
    s.clinician.getState().setDraft('h1', { outcome: 'referral', shareableSummary: '  Caller safe, referred to counseling. ' });
    await s.clinician.getState().complete('h1');
    expect(complete.mock.calls[0][0]).toMatchObject({ shareableSummary: 'Caller safe, referred to counseling.' });
  });

  it('a failed close keeps the draft', async () => {
    const { s } = await ready({
      'handoff.complete': () => {
        throw new RpcError('internal', 'disk full');
      },
    });
    s.clinician.getState().setDraft('h1', { notes: 'precious', outcome: 'referral' });
    await s.clinician.getState().complete('h1');
    expect(s.clinician.getState().completeError).toMatch(/disk full/);
    expect(s.clinician.getState().drafts.h1.notes).toBe('precious');
  });

  it('without storage the draft stays in memory and says it was not saved', async () => {
    const { s } = await ready({}, null);
    s.clinician.getState().setDraft('h1', { notes: 'x' });
    expect(s.clinician.getState().drafts.h1.notes).toBe('x');
    expect(s.clinician.getState().draftSaveFailed).toBe(true);
  });

  it('presence.set updates the presence list', async () => {
    const { s } = await ready({ 'presence.set': (i) => presence({ status: (i as { status: 'on_call' }).status }) });
    await s.clinician.getState().setPresence('on_call');
    expect(s.data.getState().presence[0].status).toBe('on_call');
  });

  it('a ringing event for an unknown incident fetches incidents', async () => {
    const { s, core } = await ready({});
    const before = core.calls.length;
    core.emit('handoff.ringing', handoff({ id: 'h2', incidentId: 'inc-new' }));
    await flush();
    expect(core.calls.slice(before).map((c) => c.name)).toContain('incident.list');
    expect(s.data.getState().handoffs.h2.state).toBe('ringing');
  });
});
