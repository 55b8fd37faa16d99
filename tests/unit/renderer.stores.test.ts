import { describe, expect, it, vi } from 'vitest';
import { RpcError, type User } from '../../src/shared/contract';
import { createAppStores } from '../../src/renderer/state/stores';
import { handoff, incident } from './renderer.fixtures';
import { chris, dana, fakeCore, flush, memoryStorage, type Handlers } from './renderer.fake-core';

/** The composition: the stores together, fed by the core's events. Each store's own rules are in renderer.state.<store>.test.ts. */

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

  it('a console whose core comes back loads the session it never had, and asks how sync stands', async () => {
    let down = true;
    const core = fakeCore({
      'session.get': () => {
        if (down) throw new RpcError('unavailable', 'Lost the connection to the console core');
        return { user: dana, workstation: 'ws-1', demo: true, demoUsers: [dana], lockAfterMinutes: 10, locked: false };
      },
      'sync.status': () => ({ state: 'online', offlineSince: null, pending: 0, refused: 0, lastSyncedAt: null, error: null, serverUrl: null }),
    });
    const s = createAppStores({ client: core.client, storage: null });
    s.start();
    await flush();
    expect(s.session.getState().loadError).toBe('Lost the connection to the console core');
    core.connect('reconnecting');
    expect(s.sync.getState().connection).toBe('reconnecting');
    down = false;
    core.connect('connected');
    await vi.waitFor(() => expect(s.session.getState().info?.user?.id).toBe('u-dana'));
    expect(s.sync.getState()).toMatchObject({ connection: 'connected', status: { state: 'online' } });
  });

  it('after dispose the core’s events no longer reach the stores', async () => {
    const core = fakeCore({});
    const s = createAppStores({ client: core.client, storage: null });
    s.start();
    await flush();
    s.dispose();
    core.emit('handoff.ringing', handoff({ id: 'h-late' }));
    expect(s.data.getState().handoffs['h-late']).toBeUndefined();
  });
});

describe('events between the desks', () => {
  async function ready(handlers: Handlers, user: User = dana) {
    const core = fakeCore({ 'incident.list': () => [incident()], ...handlers }, user);
    const s = createAppStores({ client: core.client, storage: memoryStorage(), now: () => 1_000_000 });
    s.start();
    await flush();
    await flush();
    return { core, s };
  }

  it('handoff.updated events move the incident’s handoff forward', async () => {
    const { s, core } = await ready({ 'handoff.request': () => handoff({ id: 'h1' }) });
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    core.emit('handoff.updated', handoff({ id: 'h1', state: 'accepted', acceptedBy: 'u-chris', acceptedByName: 'Chris Okafor' }));
    expect(s.data.getState().handoffs.h1.acceptedByName).toBe('Chris Okafor');
    // A stale copy arriving later does not move it back.
    core.emit('handoff.updated', handoff({ id: 'h1', state: 'ringing' }));
    expect(s.data.getState().handoffs.h1.state).toBe('accepted');
  });

  it('a ringing event for an unknown incident fetches incidents', async () => {
    const { s, core } = await ready({}, chris);
    const before = core.calls.length;
    core.emit('handoff.ringing', handoff({ id: 'h2', incidentId: 'inc-new' }));
    await flush();
    expect(core.calls.slice(before).map((c) => c.name)).toContain('incident.list');
    expect(s.data.getState().handoffs.h2.state).toBe('ringing');
  });

  it('a call ringing here that another clinician takes says who took it', async () => {
    const { s, core } = await ready({}, chris);
    core.emit('handoff.ringing', handoff({ id: 'h3' }));
    core.emit('handoff.updated', handoff({ id: 'h3', state: 'accepted', acceptedBy: 'u-sam', acceptedByName: 'Sam Patel' }));
    expect(s.clinician.getState().notice).toEqual({ text: 'Taken by Sam Patel', tone: 'warn' });
    expect(s.data.getState().handoffs.h3.state).toBe('accepted');
  });

  it('a draft survives signing out (lock) and back in', async () => {
    const { s } = await ready({ 'session.signOut': () => ({ ok: true }) }, chris);
    s.clinician.getState().setDraft('h1', { notes: 'keep me' });
    await s.session.getState().signOut();
    expect(s.clinician.getState().drafts.h1.notes).toBe('keep me');
  });

  it('signing out leaves nothing of the caseload or the desks behind', async () => {
    const { s } = await ready(
      {
        'session.signOut': () => ({ ok: true }),
        'case.queue': () => ({ rows: [{ id: 'c1' }], total: 1 }),
        'handoff.request': () => {
          throw new RpcError('conflict', 'A handoff is already live');
        },
      },
      chris,
    );
    await s.caseload.getState().loadQueue();
    await s.dispatch.getState().requestHandoff('inc-1', 'live');
    s.ui.getState().openCase('c1');
    expect(s.caseload.getState().rows).toHaveLength(1);
    await s.session.getState().signOut();
    expect(s.caseload.getState()).toMatchObject({ rows: [], loaded: false, screen: { kind: 'queue' } });
    expect(s.dispatch.getState().rowErrors).toEqual({});
    expect(s.data.getState().incidents).toEqual([]);
    expect(s.ui.getState()).toMatchObject({ route: 'dispatch', focusCaseId: null });
  });

  it('a change to the open case reloads its record', async () => {
    let note = 'first';
    const { s, core } = await ready({ 'case.get': () => ({ case: { id: 'c1', note } }) }, chris);
    s.caseload.getState().openCase('c1');
    await vi.waitFor(() => expect(s.caseload.getState().record).toMatchObject({ case: { note: 'first' } }));
    note = 'second';
    core.emit('data.changed', { entities: ['case_event'] });
    await vi.waitFor(() => expect(s.caseload.getState().record).toMatchObject({ case: { note: 'second' } }));
  });
});
