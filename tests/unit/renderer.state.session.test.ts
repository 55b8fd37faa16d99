import { describe, expect, it } from 'vitest';
import { RpcError, type User } from '../../src/shared/contract';
import { createSessionStore, recheckSessionOn } from '../../src/renderer/state/session';
import { chris, dana, fakeCore, type Handlers } from './renderer.fake-core';

async function ready(handlers: Handlers = {}, user: User | null = dana) {
  const core = fakeCore(handlers, user);
  const session = createSessionStore({ client: core.client });
  await session.getState().load();
  return { core, session };
}

describe('signing in', () => {
  it('a failed sign-in shows the core’s message and leaves nobody signed in', async () => {
    const { session } = await ready(
      {
        'session.signIn': () => {
          throw new RpcError('unauthenticated', 'Wrong username or password');
        },
      },
      null,
    );
    expect(await session.getState().signIn('dana', 'nope')).toBe(false);
    expect(session.getState()).toMatchObject({ busy: false, signInError: 'Wrong username or password', info: { user: null } });
  });

  it('trying again clears the old message while it works, and signs in', async () => {
    let answer: (u: unknown) => void = () => {};
    const { session } = await ready({ 'session.signIn': () => new Promise((r) => (answer = r)) }, null);
    session.setState({ signInError: 'Wrong username or password' });
    const signingIn = session.getState().signIn('dana', 'tandem-demo');
    expect(session.getState()).toMatchObject({ busy: true, signInError: null });
    answer(dana);
    expect(await signingIn).toBe(true);
    expect(session.getState().info?.user?.id).toBe('u-dana');
  });

  it('a sign-in before the session was ever loaded loads it', async () => {
    const core = fakeCore({ 'session.demoSignIn': () => chris }, chris);
    const session = createSessionStore({ client: core.client });
    expect(await session.getState().demoSignIn('clinician')).toBe(true);
    expect(core.calls.map((c) => c.name)).toEqual(['session.demoSignIn', 'session.get']);
  });

  it('a session that cannot be loaded says why; the next session.changed clears it', async () => {
    const { session } = await ready({
      'session.get': () => {
        throw new RpcError('unavailable', 'Lost the connection to the console core');
      },
    });
    expect(session.getState()).toMatchObject({ loading: false, loadError: 'Lost the connection to the console core' });
    session.getState().apply({ user: dana, workstation: 'ws-1', demo: true, demoUsers: [], lockAfterMinutes: 10, locked: false });
    expect(session.getState().loadError).toBeNull();
  });
});

describe('signing out', () => {
  it('signs out', async () => {
    const { session } = await ready({ 'session.signOut': () => ({ ok: true }) });
    await session.getState().signOut();
    expect(session.getState()).toMatchObject({ busy: false, info: { user: null } });
  });

  it('a refused sign-out keeps the user signed in and says so', async () => {
    const { session } = await ready({
      'session.signOut': () => {
        throw new RpcError('internal', 'disk full');
      },
    });
    await session.getState().signOut();
    expect(session.getState()).toMatchObject({ busy: false, signInError: 'Could not sign out: disk full', info: { user: { id: 'u-dana' } } });
  });

  it('a session that had already expired counts as signed out', async () => {
    const { session } = await ready({
      'session.signOut': () => {
        throw new RpcError('unauthenticated', 'Not signed in');
      },
    });
    await session.getState().signOut();
    expect(session.getState()).toMatchObject({ signInError: null, info: { user: null } });
  });

  it('switching role stops when the sign-out was refused', async () => {
    const { session, core } = await ready({
      'session.signOut': () => {
        throw new RpcError('internal', 'disk full');
      },
    });
    await session.getState().switchRole('clinician');
    expect(core.calls.map((c) => c.name)).not.toContain('session.demoSignIn');
    expect(session.getState().info?.user?.id).toBe('u-dana');
  });
});

describe('a refusal elsewhere', () => {
  it('an expired session makes the console look at the session again; other refusals do not', async () => {
    const { session, core } = await ready();
    const before = core.calls.length;
    recheckSessionOn(session, new RpcError('forbidden', 'Not for dispatchers'));
    expect(core.namesSince(before)).toEqual([]);
    recheckSessionOn(session, new RpcError('unauthenticated', 'Sign in again'));
    expect(core.namesSince(before)).toEqual(['session.get']);
  });
});
