import path from 'node:path';
import { createSyncServer, type SyncServer, type SyncServerConfig } from '../../src/server/app';
import { createCore, type Core, type CoreConfig } from '../../src/main/core';
import { forkBundled } from './fork-ts';
import { tempDir, randomKey } from './tmp';
import { waitFor } from './wait-for';
import type { Role } from '../../src/shared/roles';

/**
 * A sync server and workstation cores on loopback, for integration tests and benchmarks:
 * real stores in a temp folder, real sockets, nothing shared but the network.
 */
export async function startCluster<InChild extends boolean = false>(opts: { server?: Partial<SyncServerConfig>; serverProcess?: InChild } = {}) {
  const t = tempDir('tandem-cluster-');
  const dbFile = path.join(t.dir, 'server', 'tandem-server.db');
  const serverConfig: SyncServerConfig = { dbFile, pingIntervalMs: 0, ...opts.server };
  const start = (config: SyncServerConfig): Promise<ClusterServer> => (opts.serverProcess ? startServerProcess(config) : createSyncServer(config));
  let server: ClusterServer = await start(serverConfig);
  const users = new Map<string, string>();
  const cores: Core[] = [];
  const keys = new Map<string, Buffer>();

  async function addUser(username: string, role: Role, name = username) {
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
      // extra.sync adds to the cluster's link (e.g. a private CA), never replaces it.
      sync: { ...extra.sync, serverUrl: server.url, enrollmentToken: await server.admin.createEnrollmentToken(name) },
      clinicianDirectLine: '+1 555 0100',
    });
    await core.call('session.signIn', { username, password: users.get(username)! });
    cores.push(core);
    return core;
  }

  return {
    dir: t.dir,
    /** The whole server when it runs in this process; its admin basics when in a child. */
    get server(): [InChild] extends [true] ? ClusterServer : SyncServer {
      return server as [InChild] extends [true] ? ClusterServer : SyncServer;
    },
    addUser,
    console: console_,
    /** Stops the server; consoles carry on offline. */
    async stopServer() {
      await server.close();
    },
    /** Starts it again on the same port and file, as after a crash or a deploy. */
    async restartServer() {
      server = await start({ ...serverConfig, port: server.port });
    },
    async close() {
      for (const c of cores) c.close();
      await server.close();
      t.cleanup();
    },
  };
}

/** What the cluster needs of a server, in this process or in a child. */
type ClusterServer = Pick<SyncServer, 'url' | 'port' | 'close'> & { admin: Pick<SyncServer['admin'], 'addUser' | 'createEnrollmentToken'> };

/** The server in a child process (tests/helpers/server-child.ts), driven over IPC. */
async function startServerProcess(config: SyncServerConfig): Promise<ClusterServer> {
  const child = await forkBundled(new URL('./server-child.ts', import.meta.url), { TANDEM_SERVER_CHILD_CONFIG: JSON.stringify(config) });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  const ready = new Promise<{ url: string; port: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The server process exited with ${code} before it was ready`)));
    child.on('message', (m: { t?: string; url: string; port: number; id?: number; ok?: boolean; r?: unknown; message?: string }) => {
      if (m.t === 'ready') return resolve({ url: m.url, port: m.port });
      const w = waiting.get(m.id!);
      waiting.delete(m.id!);
      if (m.ok) w?.resolve(m.r);
      else w?.reject(new Error(m.message));
    });
  });
  const call = (method: string, ...args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ id, method, args });
    });
  const { url, port } = await ready;
  return {
    url,
    port,
    admin: {
      addUser: (input) => call('addUser', input) as ReturnType<SyncServer['admin']['addUser']>,
      createEnrollmentToken: (name) => call('createEnrollmentToken', name) as Promise<string>,
    },
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      await call('close');
      await exited;
    },
  };
}

/** Waits until `check` returns true, or fails after `ms` naming `what` (see waitFor). */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  await waitFor(check, { timeout: ms, what });
}
