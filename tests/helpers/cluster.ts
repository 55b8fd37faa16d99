import path from 'node:path';
import { createSyncServer, type SyncServer, type SyncServerConfig } from '../../src/server/app';
import { createCore, type Core, type CoreConfig } from '../../src/main/core';
import { tempDir, randomKey } from './tmp';

/**
 * A sync server and workstation cores on loopback, for integration tests and benchmarks:
 * real stores in a temp folder, real sockets, nothing shared but the network.
 */
export async function startCluster(opts: { server?: Partial<SyncServerConfig> } = {}) {
  const t = tempDir('tandem-cluster-');
  const dbFile = path.join(t.dir, 'server', 'tandem-server.db');
  const serverConfig: SyncServerConfig = { dbFile, pingIntervalMs: 0, ...opts.server };
  let server: SyncServer = await createSyncServer(serverConfig);
  const users = new Map<string, string>();
  const cores: Core[] = [];
  const keys = new Map<string, Buffer>();

  async function addUser(username: string, role: 'dispatcher' | 'clinician' | 'supervisor', name = username) {
    const password = `pw-${username}-123`;
    await server.admin.addUser({ username, password, name, role, directLine: role === 'clinician' ? '+1 555 0100' : undefined });
    users.set(username, password);
  }

  /** A console on its own profile; the same name again reopens that profile, as after a restart. */
  async function console_(name: string, username: string, extra: Partial<CoreConfig> = {}) {
    if (!keys.has(name)) keys.set(name, randomKey());
    const core = await createCore({
      ...extra,
      profileDir: path.join(t.dir, name),
      key: keys.get(name)!,
      workstationName: name,
      sync: { serverUrl: server.url, enrollmentToken: await server.admin.createEnrollmentToken(name) },
      clinicianDirectLine: '+1 555 0100',
    });
    await core.call('session.signIn', { username, password: users.get(username)! });
    cores.push(core);
    return core;
  }

  return {
    dir: t.dir,
    get server() {
      return server;
    },
    addUser,
    console: console_,
    /** Stops the server; consoles carry on offline. */
    async stopServer() {
      await server.close();
    },
    /** Starts it again on the same port and file, as after a crash or a deploy. */
    async restartServer() {
      server = await createSyncServer({ ...serverConfig, port: server.port });
    },
    async close() {
      for (const c of cores) c.close();
      await server.close();
      t.cleanup();
    },
  };
}

/** Waits until `check` returns true, or fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
}
