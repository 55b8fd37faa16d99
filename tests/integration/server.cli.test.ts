import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLES } from '../helpers/cli-bundles';
import { tempDir } from './server-helpers';

const ROOT = path.resolve(__dirname, '../..');
/** The server's CLI as the global setup bundled it (tests/helpers/cli-bundles.ts), run by this Node. */
const CLI = CLI_BUNDLES.server;
const NODE = process.execPath;
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(NODE, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, TANDEM_SERVER_DATA: path.join(dir, 'data'), TANDEM_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

// Each run starts a Node process (a second or more on a busy machine), hence the long timeouts.
describe('server CLI', { timeout: 180_000 }, () => {
  it('adds users, enrolls workstations and reports status', () => {
    const add = cli(['user', 'add', 'maria', '--role', 'clinician', '--name', 'Maria Lopez', '--password', 'long enough pw']);
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    expect(add.out).toContain('Added clinician maria (Maria Lopez)');
    const fromEnv = cli(['user', 'add', 'dan', '--role', 'dispatcher', '--name', 'Dan'], { TANDEM_PASSWORD: 'another long pw' });
    expect(fromEnv.code).toBe(0);
    const token = cli(['workstation', 'enroll', '--name', 'DISP-1']);
    expect(token.code).toBe(0);
    expect(token.out.trim()).toMatch(/^tnd-enr-[A-Za-z0-9_-]{40,}$/);
    const status = cli(['status']);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/users:\s+2/);
    expect(status.out).toMatch(/workstations:\s+0/);
    expect(status.out).toMatch(/cursor 0/);
    const list = cli(['user', 'list']);
    expect(list.out).toContain('maria\tclinician\tMaria Lopez');
  });

  it('import-hsds prints the per-table summary and always writes every problem to a file', () => {
    const run = cli(['import-hsds', path.join(ROOT, 'tests', 'fixtures', 'hsds-1x')]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Imported 5 services from .* \(HSDS 1\.x\/2\.x\)/);
    expect(run.out).toMatch(/regular_schedules\s+7\s+5\s+2\s+1\s+1/);
    const [, count, file] = run.out.match(/(\d+) problems written to (.*-problems\.csv)$/m) ?? [];
    expect(path.dirname(file!)).toBe(path.join(dir, 'data', 'hsds-imports'));
    const lines = fs.readFileSync(file!, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('table,file,line,outcome,reason');
    expect(lines.length - 1).toBe(Number(count));
  });

  it('exits non-zero with a clear message on bad arguments', () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['user', 'add', 'x', '--role', 'janitor', '--name', 'X', '--password', 'long enough pw'], /--role must be one of dispatcher, clinician, supervisor, admin/],
      [['user', 'add', 'x', '--role', 'admin', '--password', 'long enough pw'], /--name "Full Name" is required/],
      [['user', 'add', 'x', '--role', 'admin', '--name', 'X'], /TANDEM_PASSWORD/],
      [['serve', '--port', 'eighty'], /--port must be a whole number/],
      [['serve', '--cert', 'a.pem'], /--cert and --key go together/],
      [['serve', '--ring-timeout', '2'], /--ring-timeout must be a whole number from 5 to 600, got "2"/],
      [['serve', '--ring-timeout', '20', '--handoff-timeout', '20000'], /--ring-timeout and --handoff-timeout say the same thing/],
      [['status', '--bogus'], /Unknown option '--bogus'/],
      [['status', '--data', path.join(dir, 'empty')], /No server data in/],
    ];
    for (const [args, message] of cases) {
      const res = cli(args);
      expect(res.code, args.join(' ')).not.toBe(0);
      expect(res.err, args.join(' ')).toMatch(message);
    }
    const dup = cli(['user', 'add', 'maria', '--role', 'clinician', '--name', 'M', '--password', 'long enough pw']);
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('already exists');
  });

  it('disables, enables, resets passwords, unlocks, lists and ends sessions, and keeps the database under a key file', async () => {
    const keyDir = path.join(dir, 'keyed');
    const keyFile = path.join(dir, 'db.key');
    const keyed = (args: string[], env: Record<string, string> = {}) => cli([...args, '--data', keyDir, '--db-key-file', keyFile], env);
    expect(cli(['db-key', 'new', keyFile]).code).toBe(0);
    expect((fs.statSync(keyFile).mode & 0o777).toString(8)).toBe('600');
    expect(cli(['db-key', 'new', keyFile]).err).toContain('never overwritten');
    expect(keyed(['user', 'add', 'ana', '--role', 'supervisor', '--name', 'Ana', '--password', 'long enough pw']).code).toBe(0);
    expect(keyed(['status']).out).toContain('(encrypted at rest)');
    // Without its key the database is refused, and says how to give it.
    const noKey = cli(['status', '--data', keyDir]);
    expect(noKey.code).toBe(1);
    expect(noKey.err).toMatch(/is encrypted: give its key \(--db-key-file FILE/);
    const disabled = keyed(['user', 'disable', 'ana']);
    expect(disabled.out).toContain('Disabled ana (Ana); their sessions have ended');
    expect(keyed(['user', 'enable', 'ana']).out).toContain('Enabled ana (Ana)');
    expect(keyed(['user', 'reset-password', 'ana'], { TANDEM_PASSWORD: 'another long pw' }).out).toContain('New password set for ana');
    expect(keyed(['user', 'reset-password', 'ana', '--password', 'short']).err).toContain('at least 8 characters');
    expect(keyed(['user', 'unlock', 'ana']).out).toContain('ana had no failed sign-ins to clear');
    expect(keyed(['user', 'disable', 'nobody']).err).toContain('No user nobody');
    expect(keyed(['session', 'list']).code).toBe(0);
    expect(keyed(['session', 'revoke', 'abcdef12']).err).toContain('No live session abcdef12');
    expect(keyed(['session', 'revoke', 'zz']).err).toContain('8 to 64 lower-case hex digits');
    // Every one of those actions is in the audit log, under the operating-system user who ran it.
    const verified = keyed(['audit', 'verify']);
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(/OK\s+server\t\d+ entries/);
    const csvFile = path.join(dir, 'audit.csv');
    const exported = keyed(['audit', 'export', '--from', '2000-01-01', '--to', '2100-01-01', '--out', csvFile]);
    expect(exported.code).toBe(0);
    const csv = fs.readFileSync(csvFile, 'utf8');
    expect(csv.split('\n')[0]).toBe('at,source,seq,actor,workstation,action,subject,detail,ip,hash');
    for (const action of ['user.add', 'user.disable', 'user.enable', 'user.reset_password', 'audit.verify']) expect(csv).toContain(`,${action},`);
    expect(csv).toMatch(/,cli:[^,]+,,user\.disable,ana,/);
    expect(keyed(['audit', 'export', '--from', 'yesterday', '--to', '2100-01-01']).err).toContain('--from must be an ISO date');
  });

  it('serves, prints where, and stops on SIGTERM', async () => {
    const child = spawn(NODE, [CLI, 'serve', '--port', '0', '--data', path.join(dir, 'data')], {
      cwd: dir,
      env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line; got ${out}`)), 20_000);
        child.stdout.on('data', (chunk) => {
          out += String(chunk);
          const m = /Tandem sync server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const health = await fetch(`${url}/v1/health`);
      expect(health.status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
