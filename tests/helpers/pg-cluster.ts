import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitFor } from './wait-for';

/**
 * A throwaway PostgreSQL cluster for one test file: `initdb` in a temp folder, `postgres`
 * listening on 127.0.0.1 on a free port (and a socket in that folder only), stopped and removed
 * by `stop()`, and killed on process exit if a test run dies first: no service is left running.
 *
 * Works the same here and on a fresh CI machine with Debian's `postgresql` package: the binaries
 * are taken from PATH, else from the newest /usr/lib/postgresql/<N>/bin. initdb and postgres
 * refuse to run as root, so as root (CI and these sessions) they run as the `postgres` user the
 * package creates (spawn's uid/gid, no su), in a temp folder owned by that user.
 */
export interface PgCluster {
  /** A superuser URL for the cluster's `postgres` database. */
  adminUrl: string;
  port: number;
  /** The processes this cluster runs as children of this one (postgres, its watchdog). */
  pids: number[];
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Fast shutdown, then the folder is removed. Idempotent. */
  stop(): Promise<void>;
}

function findBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  throw new Error('PostgreSQL is not installed: no initdb on PATH or under /usr/lib/postgresql/*/bin (apt-get install postgresql)');
}

/** As root: the uid/gid of the `postgres` user, whom initdb and postgres will run as. */
function runAs(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('Running as root, and there is no "postgres" user to run initdb as (Debian\'s postgresql package creates it)');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGQUIT'); // immediate shutdown: the folder is thrown away anyway
  });
}

/**
 * If this process dies without running its exit hooks (SIGKILL, a crashed worker), a tiny shell
 * still holding our pipe sees it close and stops the cluster: no service outlives the tests.
 */
function watchdog(pid: number, dir: string, ids: { uid?: number; gid?: number }): { pid: number; release(): void } {
  const script = `cat >/dev/null; kill -QUIT ${pid} 2>/dev/null; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done; rm -rf "$0"`;
  const dog = spawn('sh', ['-c', script, dir], { ...ids, stdio: ['pipe', 'ignore', 'ignore'] });
  dog.on('error', () => undefined);
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return { pid: dog.pid ?? -1, release: () => dog.stdin?.end() };
}

let databases = 0;

/** `durable`: fsync and full-page writes on, as a production cluster (benchmarks); tests leave them off. */
export async function startPgCluster(opts: { durable?: boolean } = {}): Promise<PgCluster> {
  const bin = findBinDir();
  const user = runAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-pg-'));
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
  try {
    execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'tandem', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions'], {
      ...ids,
      cwd: dir,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }

  let child: ChildProcess | null = null;
  let dog: { pid: number; release(): void } | null = null;
  let port = 0;
  let log = '';
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    // Durability off: a test cluster is thrown away; what is tested is the SQL, not the disk.
    const c = spawn(
      path.join(bin, 'postgres'),
      [
        ...['-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', dir, '-c', 'max_connections=200'],
        ...(opts.durable ? ['-c', 'shared_buffers=128MB'] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=32MB']),
      ],
      { ...ids, cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    killOnExit(c);
    c.stderr?.on('data', (b: Buffer) => (log += b.toString()).length > 20_000 && (log = log.slice(-10_000)));
    let exited = false;
    c.once('exit', () => (exited = true));
    const ready = await waitFor(
      async () => {
        if (exited) return 'exited';
        return (await canConnect(port)) ? 'ready' : false;
      },
      { what: `PostgreSQL to accept connections on port ${port}`, timeout: 30_000, every: 50 },
    );
    if (ready === 'ready') {
      child = c;
      dog = watchdog(c.pid!, dir, ids);
    }
    else if (!/could not bind|Address already in use/i.test(log)) throw new Error(`PostgreSQL exited at start:\n${log}`);
  }
  if (!child) throw new Error(`PostgreSQL found no free port:\n${log}`);
  const server = child;
  const adminUrl = `postgres://tandem@127.0.0.1:${port}/postgres`;

  let stopped: Promise<void> | null = null;
  return {
    adminUrl,
    port,
    pids: [server.pid ?? -1, dog?.pid ?? -1],
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://tandem@127.0.0.1:${port}/${name}`;
    },
    stop: () =>
      (stopped ??= (async () => {
        if (server.exitCode === null && server.signalCode === null) {
          const gone = new Promise<void>((resolve) => server.once('exit', () => resolve()));
          server.kill('SIGINT'); // fast shutdown: ends sessions, no service left behind
          await gone;
        }
        fs.rmSync(dir, { recursive: true, force: true });
        dog?.release();
      })()),
  };
}

async function canConnect(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'tandem', database: 'postgres', connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
