import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './server-helpers';
import { waitFor } from '../helpers/wait-for';

/**
 * The sync server as IT runs it: the plain-JavaScript bundle (dist/server/cli.cjs) under
 * node, no tsx, as the systemd unit and the Windows service start it; the fleet's
 * enrollment keys and a backup from its command line.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'server', 'cli.cjs');
const dir = tempDir();
const data = path.join(dir, 'data');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const res = spawnSync(process.execPath, [CLI, ...args, '--data', data], { cwd: dir, env: { ...process.env, TANDEM_LOG_LEVEL: 'silent', TANDEM_PASSWORD: 'long enough pw' }, encoding: 'utf8', timeout: 30_000 });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

beforeAll(() => {
  const r = spawnSync('npm', ['run', '--silent', 'build:node'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(r.stderr);
}, 150_000);

describe('server as a service', { timeout: 120_000 }, () => {
  it('runs from the built bundle and serves', async () => {
    expect(fs.readFileSync(CLI, 'utf8')).not.toMatch(/require\("tsx/);
    expect(cli(['user', 'add', 'ops', '--role', 'supervisor', '--name', 'Ops']).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data', data], { cwd: dir, env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], { timeout: 30_000, what: 'the server to listen' });
      const health = (await (await fetch(`${url}/v1/health`)).json()) as { ok: boolean; protocol: number };
      expect(health).toMatchObject({ ok: true, protocol: 1 });
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('manages fleet enrollment keys', () => {
    const add = cli(['enrollment-key', 'add', 'dispatch-floor']);
    expect(add.code).toBe(0);
    const key = add.out.trim();
    expect(key).toMatch(/^tnd-site-\S+$/);
    expect(add.err).toContain('Put it in the machine policy as "enrollmentKey"');
    const rotated = cli(['enrollment-key', 'rotate', 'dispatch-floor', '--grace-days', '3']);
    expect(rotated.code).toBe(0);
    expect(rotated.out.trim()).not.toBe(key);
    expect(rotated.err).toContain('1 older key(s) stop enrolling in 3 day(s)');
    const list = cli(['enrollment-key', 'list']);
    expect(list.out.trim().split('\n')).toHaveLength(2);
    expect(list.out).toMatch(/dispatch-floor\tenk_\S+\tcreated .*\texpires /);
    expect(cli(['enrollment-key', 'rotate', 'nobody']).err).toContain('No live enrollment key named nobody');
    expect(cli(['enrollment-key', 'revoke', 'dispatch-floor', '--workstations', 'maybe']).err).toContain('--workstations takes the word "revoke"');
    const revoked = cli(['enrollment-key', 'revoke', 'dispatch-floor', '--workstations', 'revoke']);
    expect(revoked.out).toMatch(/Revoked enrollment key\(s\) enk_\S+, enk_\S+; revoked 0 workstation\(s\)/);
    expect(cli(['enrollment-key', 'list']).out.match(/REVOKED/g)).toHaveLength(2);
  });

  it('backs up to a new file that opens as the same database', () => {
    const target = path.join(dir, 'backup', 'tandem-server-backup.db');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const r = cli(['backup', target]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`to ${target}`);
    const db = new Database(target, { readonly: true });
    try {
      expect(db.prepare('SELECT username FROM users').all()).toEqual([{ username: 'ops' }]);
      expect(db.prepare('SELECT count(*) AS n FROM enrollment_keys').get()).toEqual({ n: 2 });
    } finally {
      db.close();
    }
    expect(fs.existsSync(`${target}.partial`)).toBe(false);
    expect(cli(['backup', target]).err).toContain('already exists; a backup never overwrites a file');
  });
});
