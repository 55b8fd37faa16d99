import { describe, expect, it } from 'vitest';
import { RpcError, type User } from '../../src/shared/contract';
import { createDataStore } from '../../src/renderer/state/data';
import { createSessionStore } from '../../src/renderer/state/session';
import { handoff, incident, presence } from './renderer.fixtures';
import { chris, dana, fakeCore, flush, pending, type Handlers } from './renderer.fake-core';

async function ready(handlers: Handlers, user: User | null = dana) {
  const core = fakeCore(handlers, user);
  const session = createSessionStore({ client: core.client });
  await session.getState().load();
  const data = createDataStore({ client: core.client, session });
  return { core, session, data };
}

describe('loading the lists', () => {
  it('loads incidents, handoffs and presence once someone is signed in, and nothing before', async () => {
    const nobody = await ready({}, null);
    nobody.data.getState().refreshAll();
    expect(nobody.core.namesSince(1)).toEqual([]);

    const live = { known: true, answerers: [{ id: 'u-chris', name: 'Chris Okafor' }] };
    const { data, core } = await ready({
      'incident.list': () => [incident()],
      'presence.list': () => [presence()],
      'presence.live': () => live,
      'handoff.list': () => [handoff()],
    });
    data.getState().refreshAll();
    await flush();
    expect(core.namesSince(1)).toEqual(['incident.list', 'handoff.list', 'presence.list', 'presence.live']);
    expect(data.getState()).toMatchObject({
      incidentsLoaded: true,
      incidents: [{ id: 'inc-1' }],
      handoffs: { 'hof-1': { state: 'ringing' } },
      presence: [{ id: 'u-chris' }],
      live,
    });
  });

  it('dispatch sees how recent requests ended; clinicians ask for live handoffs only', async () => {
    const desk = await ready({});
    desk.data.getState().refresh(['handoff']);
    expect(desk.core.calls.pop()?.input).toEqual({ live: false });
    const clinician = await ready({}, chris);
    clinician.data.getState().refresh(['handoff']);
    expect(clinician.core.calls.pop()?.input).toEqual({ live: true });
  });

  it('asked again while a list is loading, loads it once more afterwards (not once per ask)', async () => {
    const replies = [pending(), pending()];
    let n = 0;
    const { data, core } = await ready({ 'incident.list': () => replies[n++].promise });
    data.getState().refresh(['incident']);
    data.getState().refresh(['incident']);
    data.getState().refresh(['incident']);
    replies[0].reply([incident()]);
    await flush();
    replies[1].reply([incident(), incident({ id: 'inc-2' })]);
    await flush();
    expect(core.calls.filter((c) => c.name === 'incident.list')).toHaveLength(2);
    expect(data.getState().incidents.map((i) => i.id)).toEqual(['inc-1', 'inc-2']);
  });

  it('a list that cannot load says why under its own name, and keeps the rows it had', async () => {
    let fail = false;
    const { data } = await ready({
      'presence.list': () => {
        if (fail) throw new RpcError('internal', 'disk full');
        return [presence()];
      },
    });
    data.getState().refresh(['presence']);
    await flush();
    fail = true;
    data.getState().refresh(['presence']);
    await flush();
    expect(data.getState()).toMatchObject({ presenceError: 'disk full', incidentsError: null, presence: [{ id: 'u-chris' }] });
  });

  it('an expired session on a list makes the console look at the session again', async () => {
    const { data, core } = await ready({
      'incident.list': () => {
        throw new RpcError('unauthenticated', 'Sign in again');
      },
    });
    data.getState().refresh(['incident']);
    await flush();
    expect(core.namesSince(1)).toEqual(['incident.list', 'session.get']);
    expect(data.getState().incidentsError).toBe('Sign in again');
  });
});

describe('replies and local writes', () => {
  it('an incident created while the list was on its way stays in the list', async () => {
    const list = pending();
    const { data } = await ready({ 'incident.list': () => list.promise });
    data.getState().refresh(['incident']);
    data.getState().upsertIncident(incident({ id: 'inc-new', type: 'Welfare' }));
    list.reply([incident()]);
    await flush();
    expect(data.getState().incidents.map((i) => i.id).sort()).toEqual(['inc-1', 'inc-new']);
  });

  it('a handoff update that arrived after the list left wins over the list’s older copy', async () => {
    const list = pending();
    const { data } = await ready({ 'handoff.list': () => list.promise });
    data.getState().refresh(['handoff']);
    data.getState().upsertHandoff(handoff({ id: 'h1', state: 'accepted', acceptedBy: 'u-chris', acceptedByName: 'Chris Okafor' }));
    list.reply([handoff({ id: 'h1', state: 'ringing' })]);
    await flush();
    expect(data.getState().handoffs.h1).toMatchObject({ state: 'accepted', acceptedByName: 'Chris Okafor' });
  });

  it('a reply for the previous user is dropped after a reset', async () => {
    const list = pending();
    const { data } = await ready({ 'incident.list': () => list.promise });
    data.getState().refresh(['incident']);
    data.getState().reset();
    list.reply([incident()]);
    await flush();
    expect(data.getState()).toMatchObject({ incidents: [], incidentsLoaded: false });
  });

  it('presence updates replace the clinician’s row or add a new one', async () => {
    const { data } = await ready({});
    data.getState().upsertPresence(presence());
    data.getState().upsertPresence(presence({ status: 'on_call' }));
    data.getState().upsertPresence(presence({ id: 'u-sam', name: 'Sam Patel' }));
    expect(data.getState().presence.map((p) => `${p.id}:${p.status}`)).toEqual(['u-chris:on_call', 'u-sam:available']);
  });
});
