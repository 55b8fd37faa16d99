import { expect } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { RpcError, type RequestInput, type RequestName, type RequestOutput } from '../../src/shared/contract';
import type { Role } from '../../src/shared/roles';
import { tempDir, randomKey } from '../helpers/tmp';

/** A real workstation core on a real (encrypted) SQLite file in a temporary folder. */
export interface TestCore {
  core: Core;
  dir: string;
  call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>>;
  count(table: string, where?: string, ...params: unknown[]): number;
  close(): void;
}

export async function startCore(opts: { role?: Role; now?: () => number } = {}): Promise<TestCore> {
  const t = tempDir('tandem-caseload-');
  const core = await createCore({ profileDir: t.dir, key: randomKey(), demo: true, now: opts.now });
  await core.call('session.demoSignIn', { role: opts.role ?? 'clinician' });
  return {
    core,
    dir: t.dir,
    call: <N extends RequestName>(name: N, input: RequestInput<N>) => core.call(name, input) as Promise<RequestOutput<N>>,
    count(table, where = '', ...params) {
      return (core.store.db.prepare(`SELECT count(*) AS n FROM ${table} ${where}`).get(...params) as { n: number }).n;
    },
    close() {
      core.close();
      t.cleanup();
    },
  };
}

/**
 * Imports a directory package as the demo supervisor (directory.manage), then signs the
 * previous role back in: clinicians may not change the shared directory (issue 13).
 */
export async function importDirectoryAsSupervisor(t: TestCore, dir: string, back: Role = 'clinician'): Promise<RequestOutput<'directory.import'>> {
  await t.call('session.demoSignIn', { role: 'supervisor' });
  try {
    return await t.call('directory.import', { dir });
  } finally {
    await t.call('session.demoSignIn', { role: back });
  }
}

export async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return err as RpcError;
  }
  throw new Error('expected the call to be rejected');
}

export async function newCase(
  t: TestCore,
  over: Partial<RequestInput<'case.create'>> & { name?: string; phones?: string[] } = {},
): Promise<RequestOutput<'case.create'>> {
  const { name, phones, ...rest } = over;
  return t.call('case.create', {
    person: { name: name ?? 'Riley Thompson', phones: phones ?? ['617-555-0150'] },
    origin: 'live_call',
    reason: 'Call-back after crisis call',
    risk: 'unknown',
    ...rest,
  });
}

/** Everything a change can touch, to prove a refused request wrote nothing. */
export function snapshot(t: TestCore) {
  return {
    events: t.count('case_event'),
    outbox: t.count('outbox'),
    cases: JSON.stringify(t.core.store.db.prepare('SELECT * FROM case_file ORDER BY id').all()),
    referrals: t.count('referral'),
    tasks: t.count('task'),
  };
}
