import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { createRouter, type Handlers } from '../../src/main/core/router';
import type { CoreContext } from '../../src/main/core/context';
import { caseService } from '../../src/main/core/services/cases';
import { DEMO_USERS } from '../../src/main/core/services/session';
import { loadCoreEligibilityRules } from '../../src/main/core/services/cad';
import { RpcError } from '../../src/shared/contract';
import { tempDir, randomKey } from '../helpers/tmp';

let core: Core;
let cleanup: () => void;

beforeEach(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  core = await createCore({ profileDir: t.dir, key: randomKey(), demo: true });
});
afterEach(() => {
  core.close();
  cleanup();
});

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return err as RpcError;
  }
  throw new Error('expected the call to be rejected');
}

function count(table: string): number {
  return (core.store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

describe('core router', () => {
  it('rejects an unknown request by name', async () => {
    const err = await rejection(core.call('incident.delete', {}));
    expect(err.code).toBe('unknown_request');
    expect(err.message).toBe('Unknown request "incident.delete"');
    const proto = await rejection(core.call('__proto__', {}));
    expect(proto.code).toBe('unknown_request');
  });

  it('asks for sign-in before any role-checked request', async () => {
    const err = await rejection(core.call('incident.create', { type: 'x', location: 'y' }));
    expect(err.code).toBe('unauthenticated');
    expect(count('incident')).toBe(0);
  });

  it('rejects a malformed payload naming the field, and writes nothing', async () => {
    await core.call('session.demoSignIn', { role: 'dispatcher' });
    const before = { incident: count('incident'), outbox: count('outbox'), audit: count('audit') };
    const err = await rejection(core.call('incident.create', { type: '  ', location: 42 }));
    expect(err.code).toBe('bad_request');
    expect(err.message).toContain('type: Type is required');
    expect(err.message).toContain('location:');
    expect({ incident: count('incident'), outbox: count('outbox'), audit: count('audit') }).toEqual(before);
  });

  it('rejects a role that may not call the request before its handler runs', async () => {
    await core.call('session.demoSignIn', { role: 'dispatcher' });
    const auditBefore = count('audit');
    const err = await rejection(core.call('case.queue', {}));
    expect(err.code).toBe('forbidden');
    expect(err.message).toBe('A dispatcher may not use case.queue');
    const create = await rejection(core.call('case.create', { person: { name: 'X' }, origin: 'manual', reason: 'y' }));
    expect(create.code).toBe('forbidden');
    expect(count('case_file')).toBe(0);
    expect(count('audit')).toBe(auditBefore);
  });

  it('runs a valid request and records it in the outbox and the audit log', async () => {
    await core.call('session.demoSignIn', { role: 'dispatcher' });
    const incident = (await core.call('incident.create', { type: 'Welfare check', location: '1 Main St' })) as { id: string; number: string };
    expect(incident.number).toMatch(/^M\d{6}-\w{4}-0001$/);
    const listed = (await core.call('incident.list', {})) as { id: string }[];
    expect(listed.map((i) => i.id)).toEqual([incident.id]);
    expect(count('outbox')).toBe(1);
    expect(core.store.db.prepare("SELECT action, entityId FROM audit WHERE action = 'incident.create'").get()).toEqual({
      action: 'incident.create',
      entityId: incident.id,
    });
  });

  it('answers a request whose session ended while it ran as unauthenticated, not as an internal error', async () => {
    // The router let the request in (its caller was signed in); the session then ended before
    // the service asked who it is for (a sign-out from another window of the same console).
    const signedOut: CoreContext = {
      store: core.store,
      sync: null,
      workstation: 'ws-test',
      now: () => new Date(),
      emit: () => {},
      user: () => null,
      audit: () => {},
      log: () => {},
      config: { clinicianDirectLine: null, demo: true, eligibilityRules: loadCoreEligibilityRules(null), priorityCodes: ['1', '2', '3', '4'] },
    };
    const cases = caseService(signedOut);
    const dispatch = createRouter({ 'case.queue': (i) => cases.queue(i), 'case.create': (i) => cases.create(i) } as Partial<Handlers> as Handlers);
    const clinician = DEMO_USERS.find((u) => u.role === 'clinician')!;
    const queue = await rejection(dispatch('case.queue', {}, { user: clinician }));
    expect(queue.code).toBe('unauthenticated');
    expect(queue.message).toBe('No one is signed in on this console: sign in again');
    const create = await rejection(dispatch('case.create', { person: { name: 'X' }, origin: 'manual', reason: 'y' }, { user: clinician }));
    expect(create.code).toBe('unauthenticated');
    expect(count('case_file')).toBe(0);
  });

  it('refuses demo sign-in outside the demo profile', async () => {
    const t = tempDir();
    const plain = await createCore({ profileDir: t.dir, key: randomKey() });
    const err = await rejection(plain.call('session.demoSignIn', { role: 'clinician' }));
    expect(err.code).toBe('forbidden');
    plain.close();
    t.cleanup();
  });

  it('refuses everything but unlocking while locked, and opens only to the same password', async () => {
    await core.call('session.demoSignIn', { role: 'dispatcher' });
    await core.call('session.lock', {});
    expect(((await core.call('session.get', {})) as { locked: boolean }).locked).toBe(true);
    const refused = await rejection(core.call('incident.create', { type: 'x', location: 'y' }));
    expect(refused.code).toBe('unauthenticated');
    expect(refused.message).toMatch(/locked/);
    expect(count('incident')).toBe(0);
    const wrong = await rejection(core.call('session.unlock', { password: 'guess' }));
    expect(wrong.message).toBe('Wrong password');
    await core.call('session.unlock', { password: 'tandem-demo' });
    expect(((await core.call('session.get', {})) as { locked: boolean; user: { username: string } }).user.username).toBe('dana');
    await core.call('incident.create', { type: 'Welfare check', location: '1 Main St' });
    expect(count('incident')).toBe(1);
  });
});
