import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { RpcError } from '../../src/shared/contract';
import { randomKey, tempDir } from '../helpers/tmp';

/** The core refuses what the dispatcher form refuses, with the same sentences, whatever calls it. */
const open: { core: Core; cleanup: () => void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.core.close();
    o.cleanup();
  }
});

async function dispatcher(priorityCodes?: string[]) {
  const t = tempDir('tandem-incident-');
  const core = await createCore({ profileDir: t.dir, key: randomKey(), demo: true, priorityCodes });
  open.push({ core, cleanup: t.cleanup });
  await core.call('session.demoSignIn', { role: 'dispatcher' });
  return core;
}

async function refusal(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('accepted');
}

describe('hand-entered incidents', () => {
  it('priority is one of the center’s codes from policy, on create and on edit', async () => {
    const core = await dispatcher(['E', 'U', 'R']);
    expect(await core.call('session.get', {})).toMatchObject({ priorityCodes: ['E', 'U', 'R'] });
    const made = (await core.call('incident.create', { type: 'Welfare check', location: '1 Main St', priority: 'U' })) as { id: string; priority: string };
    expect(made.priority).toBe('U');
    const bad = await refusal(core.call('incident.create', { type: 'Welfare check', location: '1 Main St', priority: '9' }));
    expect(bad).toMatchObject({ code: 'bad_request', message: 'Priority must be one of this center’s codes: E, U, R', details: [{ path: ['priority'] }] });
    const badEdit = await refusal(core.call('incident.update', { id: made.id, patch: { priority: 'P1' } }));
    expect(badEdit.message).toBe('Priority must be one of this center’s codes: E, U, R');
  });

  it('defaults to 1–4, and refuses a callback number that is not a phone number, and an over-long field', async () => {
    const core = await dispatcher();
    expect(await core.call('session.get', {})).toMatchObject({ priorityCodes: ['1', '2', '3', '4'] });
    const phone = await refusal(core.call('incident.create', { type: 'T', location: 'L', callbackNumber: 'ask the neighbor' }));
    expect(phone.code).toBe('bad_request');
    expect((phone.details as { message: string }[])[0].message).toBe('Callback number must be a phone number: 7 to 15 digits, with an extension after “x” if needed');
    const long = await refusal(core.call('incident.create', { type: 'x'.repeat(201), location: 'L' }));
    expect((long.details as { message: string }[])[0].message).toBe('Type is too long: at most 200 characters');
  });
});
