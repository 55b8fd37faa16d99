import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncServer, type SyncServerConfig } from '../../src/server/app';
import { createCore, type CoreConfig } from '../../src/main/core';
import { requestJson } from '../../src/node/trusted-http';
import { PROTOCOL, TANDEM_VERSION } from '../../src/shared/version';
import { randomKey, tempDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait-for';
import pkg from '../../package.json' with { type: 'json' };

/** Consoles and server name their versions; a console too old or too new for its server says so. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pair(server: Partial<SyncServerConfig>, console: NonNullable<CoreConfig['sync']>['protocol']) {
  const t = tempDir('tandem-version-');
  cleanups.push(() => t.cleanup());
  const s = await createSyncServer({ dataDir: path.join(t.dir, 'server'), host: '127.0.0.1', port: 0, pingIntervalMs: 0, ...server });
  cleanups.push(() => s.close());
  await s.admin.addUser({ username: 'dana', password: 'pw-dana-1234', name: 'Dana', role: 'dispatcher' });
  const core = await createCore({ profileDir: path.join(t.dir, 'c'), key: randomKey(), workstationName: 'c', sync: { serverUrl: s.url, enrollmentToken: await s.admin.createEnrollmentToken('c'), protocol: console } });
  cleanups.push(() => core.close());
  return { server: s, core, signIn: () => core.call('session.signIn', { username: 'dana', password: 'pw-dana-1234' }) };
}

describe('version exchange', () => {
  it('the release constant is the package version, and the server names itself', async () => {
    expect(TANDEM_VERSION).toBe(pkg.version);
    const p = await pair({}, undefined);
    const health = await requestJson(`${p.server.url}/v1/health`, { method: 'GET' });
    expect(health.body).toMatchObject({ version: TANDEM_VERSION, protocol: PROTOCOL });
    expect(health.header('x-tandem-version')).toBe(TANDEM_VERSION);
    await p.signIn();
    await waitFor(() => p.core.syncStatus().state === 'online', { timeout: 10_000, what: 'same versions online' });
  });

  it('a console too old for its server is told to upgrade, not "cannot be reached"', async () => {
    const p = await pair({ protocol: { self: { version: '0.3.0', protocol: 3 }, minConsole: 2 } }, undefined);
    const err = (await p.signIn().catch((e: Error) => e)) as Error;
    expect(err.message).toBe(`This console (Tandem ${TANDEM_VERSION}, protocol ${PROTOCOL}) is too old for the sync server (Tandem 0.3.0, which needs protocol 2 or later): IT must upgrade this console`);
    expect(p.core.store.metaGet('workstationId') ?? null).toBeNull();
  });

  it('a console newer than its server asks for the server to be upgraded first', async () => {
    const p = await pair({}, { self: { version: '0.2.0', protocol: 2 }, minServer: 2 });
    const err = (await p.signIn().catch((e: Error) => e)) as Error;
    expect(err.message).toBe(`The sync server (Tandem ${TANDEM_VERSION}, protocol ${PROTOCOL}) is too old for this console (Tandem 0.2.0, which needs server protocol 2 or later): IT must upgrade the server first`);
  });

  it('a console one protocol ahead that still speaks the server works', async () => {
    const p = await pair({}, { self: { version: '0.2.0', protocol: 2 }, minServer: 1 });
    await p.signIn();
    await waitFor(() => p.core.syncStatus().state === 'online', { timeout: 10_000, what: 'newer console online' });
  });
});
