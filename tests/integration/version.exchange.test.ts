import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncServer, type SyncServerConfig } from '../../src/server/app';
import { createCore, type CoreConfig } from '../../src/main/core';
import { requestJson } from '../../src/node/trusted-http';
import { WebSocket } from 'ws';
import { WIRE_PATH } from '../../src/shared/sync/wire';
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

  describe('on the live link (a console signed in before the server changed)', () => {
    /** A signed-in console online against a server started with `before`, which is then restarted (same port and data) with `after`. */
    async function restartedUnder(before: SyncServerConfig['protocol'], after: SyncServerConfig['protocol'], console: NonNullable<CoreConfig['sync']>['protocol']) {
      const t = tempDir('tandem-version-ws-');
      cleanups.push(() => t.cleanup());
      const config: SyncServerConfig = { dataDir: path.join(t.dir, 'server'), host: '127.0.0.1', port: 0, pingIntervalMs: 0 };
      let s = await createSyncServer({ ...config, protocol: before });
      cleanups.push(() => s.close());
      await s.admin.addUser({ username: 'dana', password: 'pw-dana-1234', name: 'Dana', role: 'dispatcher' });
      const core = await createCore({ profileDir: path.join(t.dir, 'c'), key: randomKey(), workstationName: 'c', sync: { serverUrl: s.url, enrollmentToken: await s.admin.createEnrollmentToken('c'), protocol: console } });
      cleanups.push(() => core.close());
      await core.call('session.signIn', { username: 'dana', password: 'pw-dana-1234' });
      await waitFor(() => core.syncStatus().state === 'online', { timeout: 10_000, what: 'online before the server changes' });
      const restart = async (protocol: SyncServerConfig['protocol']) => {
        const port = s.port;
        await s.close();
        s = await createSyncServer({ ...config, port, protocol });
      };
      await restart(after);
      return { core, restart, server: () => s };
    }

    it('a server upgraded past the console refuses the socket (426), and the console says IT must upgrade it; back online once it may', async () => {
      const r = await restartedUnder(undefined, { self: { version: '0.3.0', protocol: 3 }, minConsole: 2 }, undefined);
      const expected = `This console (Tandem ${TANDEM_VERSION}, protocol ${PROTOCOL}) is too old for the sync server (Tandem 0.3.0, which needs protocol 2 or later): IT must upgrade this console`;
      await waitFor(() => r.core.syncStatus().error === expected, { timeout: 15_000, what: `the status bar says: ${expected} (it says ${JSON.stringify(r.core.syncStatus())})` });
      expect(r.core.syncStatus().state).toBe('error');
      // On the wire: 426, naming the server.
      const refused = await new Promise<{ status: number; version: string | undefined }>((resolve, reject) => {
        const ws = new WebSocket(`${r.server().url.replace(/^http/, 'ws')}${WIRE_PATH}`, { headers: { 'x-tandem-version': '0.1.0', 'x-tandem-protocol': '1' } });
        ws.on('unexpected-response', (_req, res) => {
          resolve({ status: res.statusCode ?? 0, version: res.headers['x-tandem-version'] as string | undefined });
          ws.terminate();
        });
        ws.on('open', () => reject(new Error('the socket opened')));
        ws.on('error', () => undefined);
      });
      expect(refused).toEqual({ status: 426, version: '0.3.0' });
      // The server back at a version that speaks this console: online again without a new sign-in.
      await r.restart(undefined);
      await waitFor(() => r.core.syncStatus().state === 'online', { timeout: 15_000, what: 'online again once the server speaks this console' });
    });

    it('a server rolled back below what the console needs: the console asks for the server to be upgraded first', async () => {
      const newer = { self: { version: '0.2.0', protocol: 2 }, minServer: 2 };
      const r = await restartedUnder({ self: { version: '0.2.0', protocol: 2 }, minConsole: 1 }, undefined, newer);
      const expected = `The sync server (Tandem ${TANDEM_VERSION}, protocol ${PROTOCOL}) is too old for this console (Tandem 0.2.0, which needs server protocol 2 or later): IT must upgrade the server first`;
      await waitFor(() => r.core.syncStatus().error === expected, { timeout: 15_000, what: `the status bar says: ${expected} (it says ${JSON.stringify(r.core.syncStatus())})` });
      expect(r.core.syncStatus().state).toBe('error');
    });
  });
});
