import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from '@playwright/test';
import type { Role } from '../../src/shared/roles';
import { CLI_BUNDLES } from '../helpers/cli-bundles';

/**
 * Child processes for end-to-end tests: headless hosts (src/main/host/cli.ts), each serving
 * dist/renderer and the /bridge socket for one workstation core and printing
 * `Tandem console: <url with token>`; and the ECC sync server (src/server/cli.ts), both run
 * from the bundles the global setup made of them (tests/helpers/cli-bundles.ts). Nothing
 * of the app is imported into the test runner, so a test only depends on the CLIs.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The test seeds (tests/e2e/*.seed.ts) still run under tsx. */
const TSX = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

/**
 * Builds the renderer (vite) into dist/renderer: once per Playwright run, from the global setup
 * (tests/e2e/global-setup.ts), not once per worker (workers building into one folder at once
 * would serve each other half-written files). TANDEM_E2E_NO_BUILD=1 uses the existing build
 * (`npm test` builds it just before, as a step of its own).
 */
export function buildRenderer(): void {
  if (process.env.TANDEM_E2E_NO_BUILD === '1') return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

/** A fresh, empty profile folder under the system temp dir. */
export function tempProfile(prefix = 'tandem-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface StartHostOptions {
  /** Profile folder of the workstation core (created if missing). */
  profile: string;
  /** Port to listen on; default 0 (a free port chosen by the OS, read back from the printed URL). */
  port?: number;
  /** More CLI arguments, e.g. ['--demo'], ['--server', url, '--enroll', token]. */
  extraArgs?: string[];
  /** How long to wait for the URL. */
  timeoutMs?: number;
}

export interface Host {
  /** The console URL, with its per-launch token. */
  url: string;
  port: number;
  /** Everything the host printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL, no goodbye: a console that crashed or was killed. */
  kill(): Promise<void>;
}

export async function startHost(opts: StartHostOptions): Promise<Host> {
  fs.mkdirSync(opts.profile, { recursive: true });
  const args = ['--profile', opts.profile, '--port', String(opts.port ?? 0), ...(opts.extraArgs ?? [])];
  const p = await spawnUntil(CLI_BUNDLES.host, args, /Tandem console[^:]*:\s*(http\S+)/, opts.timeoutMs);
  return { url: p.match, port: Number(new URL(p.match).port), output: p.output, stop: p.stop, kill: p.kill };
}

/** A demo console on a profile seeded by tests/e2e/caseload.seed.ts (the demo caseload plus `cases` more, and the HSDS example). */
export interface SeededConsole {
  readonly host: Host;
  readonly profile: string;
  /** Stops the host and removes the profile. */
  stop(): Promise<void>;
}

export async function startSeededConsole(prefix: string, cases: number): Promise<SeededConsole> {
  const profile = tempProfile(prefix);
  const seed = spawnSync(TSX, [path.join(ROOT, 'tests/e2e/caseload.seed.ts'), profile, String(cases)], { cwd: ROOT, encoding: 'utf8' });
  if (seed.status !== 0) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw new Error(`seeding failed:\n${seed.stdout}\n${seed.stderr}`);
  }
  const host = await startHost({ profile, extraArgs: ['--demo'] });
  return {
    host,
    profile,
    async stop() {
      await host.stop();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A seeded console for each test of the calling spec file (started before, stopped and removed
 * after); returns the running test's console.
 */
export function seededConsoleEachTest(prefix: string, cases: number): () => SeededConsole {
  let seeded: SeededConsole | undefined;
  test.beforeEach(async () => {
    seeded = await startSeededConsole(prefix, cases);
  });
  test.afterEach(async () => {
    await seeded?.stop();
    seeded = undefined;
  });
  return () => {
    if (!seeded) throw new Error('no console: beforeEach did not start one');
    return seeded;
  };
}

export interface SyncServerOptions {
  /** The server's data folder (created if missing). */
  data: string;
  /** Accounts to create before it starts. */
  users?: { username: string; password: string; name: string; role: Role; directLine?: string }[];
  handoffTimeoutMs?: number;
  directLine?: string;
  port?: number;
  extraArgs?: string[];
  timeoutMs?: number;
}

export interface SyncServerProcess {
  url: string;
  /** A one-time enrollment token for a new workstation (`--server URL --enroll TOKEN` on a host). */
  enroll(name: string): string;
  output(): string;
  stop(): Promise<void>;
}

/** The demo accounts of the core's demo profile (src/main/core/services/session.ts), for a server the demo consoles sign in to. */
export const DEMO_ACCOUNTS: NonNullable<SyncServerOptions['users']> = [
  { username: 'dana', password: 'tandem-demo', name: 'Dana Reyes', role: 'dispatcher' },
  { username: 'chris', password: 'tandem-demo', name: 'Chris Okafor', role: 'clinician', directLine: '+1 555 0142' },
  { username: 'sam', password: 'tandem-demo', name: 'Sam Patel', role: 'clinician', directLine: '+1 555 0143' },
  { username: 'morgan', password: 'tandem-demo', name: 'Morgan Lee', role: 'supervisor' },
  { username: 'pat', password: 'tandem-demo', name: 'Pat Moreau', role: 'program_manager' },
];

/** Runs the ECC sync server (src/server/cli.ts serve) as a child process, with users added first. */
export async function startSyncServer(opts: SyncServerOptions): Promise<SyncServerProcess> {
  fs.mkdirSync(opts.data, { recursive: true });
  for (const u of opts.users ?? []) {
    const args = ['user', 'add', u.username, '--role', u.role, '--name', u.name, '--password', u.password, '--data', opts.data];
    if (u.directLine) args.push('--direct-line', u.directLine);
    serverCommand(args);
  }
  const args = ['serve', '--port', String(opts.port ?? 0), '--data', opts.data, ...(opts.extraArgs ?? [])];
  if (opts.handoffTimeoutMs) args.push('--handoff-timeout', String(opts.handoffTimeoutMs));
  if (opts.directLine) args.push('--direct-line', opts.directLine);
  const p = await spawnUntil(CLI_BUNDLES.server, args, /Tandem sync server listening on (http\S+)/, opts.timeoutMs, { TANDEM_LOG_LEVEL: 'warn' });
  return {
    url: p.match,
    enroll: (name) => serverCommand(['workstation', 'enroll', '--name', name, '--data', opts.data]).trim(),
    output: p.output,
    stop: p.stop,
  };
}

/** One run of the sync server's command line (`user add`, `workstation enroll`, `import-hsds` …); its output. */
export function serverCommand(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [CLI_BUNDLES.server, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`server ${args.slice(0, 2).join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface Spawned {
  match: string;
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Starts `node <bundle> <args>` and resolves once stdout matches `pattern` (its first group). */
async function spawnUntil(script: string, args: string[], pattern: RegExp, timeoutMs = 60_000, env: Record<string, string> = {}): Promise<Spawned> {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so stop() reaches any child it starts too.
    detached: process.platform !== 'win32',
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (out += d));

  const match = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill(child, 'SIGKILL');
      reject(new Error(`${script} did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });

  let stopped: Promise<void> | null = null;
  return {
    match,
    output: () => out,
    kill() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        kill(child, 'SIGKILL');
      });
      return stopped;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => kill(child, 'SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        kill(child, 'SIGTERM');
      });
      return stopped;
    },
  };
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid && process.platform !== 'win32') process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}
