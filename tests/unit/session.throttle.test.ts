import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { RpcError } from '../../src/shared/contract';
import { randomKey, tempDir } from '../helpers/tmp';

/** Issue 14: console unlock is throttled per user, and the count survives a restart. */

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('expected a rejection');
}

describe('console unlock throttling', () => {
  it('five wrong passwords, then a wait that the right password does not skip; ten, then only a server sign-in', async () => {
    const t = tempDir();
    const key = randomKey();
    let now = Date.parse('2026-12-02T10:00:00Z');
    const open = () => createCore({ profileDir: t.dir, key, demo: true, now: () => now });
    let core: Core = await open();
    cleanup.push(() => t.cleanup());
    await core.call('session.demoSignIn', { role: 'clinician' });
    await core.call('session.lock', {});
    for (let i = 0; i < 5; i++) expect((await rejection(core.call('session.unlock', { password: `guess ${i}` }))).message).toBe('Wrong password');
    const waiting = await rejection(core.call('session.unlock', { password: 'tandem-demo' }));
    expect(waiting.code).toBe('rate_limited');
    expect(waiting.message).toBe('Too many wrong passwords; try again in 30 s');
    // A restart does not reset the count (it is in the encrypted store).
    core.close();
    core = await open();
    await core.call('session.demoSignIn', { role: 'clinician' });
    await core.call('session.lock', {});
    expect((await rejection(core.call('session.unlock', { password: 'tandem-demo' }))).code).toBe('rate_limited');
    now += 30_000;
    await core.call('session.unlock', { password: 'tandem-demo' });
    expect(((await core.call('session.get', {})) as { locked: boolean }).locked).toBe(false);
    // The right password cleared it: ten wrong ones in a row now lock it for good.
    await core.call('session.lock', {});
    for (let i = 0; i < 10; i++) {
      expect((await rejection(core.call('session.unlock', { password: `guess ${i}` }))).message).toBe('Wrong password');
      now += 16 * 60_000;
    }
    const locked = await rejection(core.call('session.unlock', { password: 'tandem-demo' }));
    expect(locked.code).toBe('rate_limited');
    expect(locked.message).toMatch(/^Locked after 10 wrong passwords on this console: sign out/);
    core.close();
  });
});

describe('the core’s own inactivity lock', () => {
  it('locks after the idle time with no window to notice, counting from the last reported activity, and keeps the session', async () => {
    const t = tempDir();
    let now = Date.parse('2026-12-02T10:00:00Z');
    const core = await createCore({ profileDir: t.dir, key: randomKey(), demo: true, lockAfterMinutes: 10, now: () => now });
    cleanup.push(() => {
      core.close();
      t.cleanup();
    });
    const events: { locked: boolean }[] = [];
    core.on('session.changed', (info) => events.push(info as { locked: boolean }));
    await core.call('session.demoSignIn', { role: 'clinician' });
    core.checkIdle();
    now += 9 * 60_000;
    await core.call('session.activity', {});
    now += 9 * 60_000;
    core.checkIdle();
    expect(((await core.call('session.get', {})) as { locked: boolean }).locked).toBe(false);
    now += 60_000;
    core.checkIdle();
    const info = (await core.call('session.get', {})) as { locked: boolean; user: { role: string } | null };
    expect(info).toMatchObject({ locked: true, user: { role: 'clinician' } });
    expect(events.at(-1)?.locked).toBe(true);
    expect((await rejection(core.call('case.queue', {}))).message).toMatch(/locked/);
    // Unlocked, the idle time starts over.
    await core.call('session.unlock', { password: 'tandem-demo' });
    core.checkIdle();
    now += 9 * 60_000;
    core.checkIdle();
    expect(((await core.call('session.get', {})) as { locked: boolean }).locked).toBe(false);
  });
});
