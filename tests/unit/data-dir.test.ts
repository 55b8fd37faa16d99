import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseStoreDir, ensureUserStoreDir, machineDirs, moveLegacyStore, userFolderName, type OsUser } from '../../src/main/electron/data-dir';
import { checkPolicy } from '../../src/main/electron/machine-policy';

/** Where a console keeps its store: the machine's folder, one closed folder per OS user, never a roaming profile. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-datadir-'));
  dirs.push(d);
  return d;
}
const me: OsUser = { username: os.userInfo().username, uid: os.userInfo().uid };
const isRoot = process.platform !== 'win32' && process.getuid?.() === 0;
const posix = process.platform !== 'win32';
const noAcl = () => undefined;

describe('the console store folder', () => {
  it('machine folders per platform: never in a user profile', () => {
    expect(machineDirs('linux', {}).data).toBe('/var/lib/tandem');
    expect(machineDirs('win32', { ProgramData: 'C:\\ProgramData' }).data).toBe('C:\\ProgramData\\Tandem\\data');
    expect(machineDirs('darwin', {}).data).toBe('/Library/Application Support/Tandem/data');
  });

  it('one folder per OS user, readable for IT, distinct for users whose names clean up alike', () => {
    expect(userFolderName({ username: 'casey', uid: 1000 })).toMatch(/^casey-[0-9a-f]{8}$/);
    expect(userFolderName({ username: 'casey', uid: 1000 })).toBe(userFolderName({ username: 'casey', uid: 1000 }));
    expect(userFolderName({ username: 'casey', uid: 1000 })).not.toBe(userFolderName({ username: 'casey', uid: 1001 }));
    expect(userFolderName({ username: 'casey', uid: -1, domain: 'ECC' })).not.toBe(userFolderName({ username: 'casey', uid: -1, domain: 'COUNTY' }));
    const odd = userFolderName({ username: '../..\\ådmin:x', uid: 7 });
    expect(odd).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*-[0-9a-f]{8}$/);
    expect(odd).not.toContain('..');
  });

  it.skipIf(!posix)('is made 0700 for its user under the shared root, and a too-open one is closed again', () => {
    const root = scratch();
    const dir = ensureUserStoreDir(root, me, 'linux');
    expect(path.dirname(dir)).toBe(root);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    fs.chmodSync(dir, 0o755);
    expect(ensureUserStoreDir(root, me, 'linux')).toBe(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it.skipIf(!isRoot)("refuses a folder another user made first in the user's place (the shared root is open to all)", () => {
    const root = scratch();
    const victim: OsUser = { username: 'casey', uid: 0 };
    const planted = path.join(root, userFolderName(victim));
    fs.mkdirSync(planted, { mode: 0o777 });
    fs.chownSync(planted, 4242, 4242);
    expect(() => ensureUserStoreDir(root, victim, 'linux')).toThrow(/belongs to another user \(uid 4242\); it is not used: IT must remove it/);
  });

  it.skipIf(!posix)('refuses a link in its place', () => {
    const root = scratch();
    const elsewhere = scratch();
    fs.symlinkSync(elsewhere, path.join(root, userFolderName(me)));
    expect(() => ensureUserStoreDir(root, me, 'linux')).toThrow(/is not a plain folder \(a link or a file is in its place\)/);
  });

  it("policy dataDir wins; one that cannot be used stops the console with the reason (never a silent fallback)", () => {
    const root = scratch();
    const userData = path.join(scratch(), 'userData');
    const chosen = chooseStoreDir({ platform: process.platform, env: {}, packaged: true, policyDataDir: path.join(root), user: me, userData, restrictAcl: noAcl });
    expect(chosen).toEqual({ dir: path.join(root, userFolderName(me)), from: 'policy' });
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => chooseStoreDir({ platform: process.platform, env: {}, packaged: true, policyDataDir: file, user: me, userData, restrictAcl: noAcl })).toThrow(
      /^dataDir in the machine policy cannot be used: Tandem cannot make its data folder .*a-file/,
    );
  });

  it('an installed console uses the machine folder; without a usable one, the local app data with a warning; a development build its app data', () => {
    const machineRoot = scratch();
    const userData = path.join(scratch(), 'userData');
    const base = { platform: process.platform, env: {}, user: me, userData, restrictAcl: noAcl };
    expect(chooseStoreDir({ ...base, packaged: true, machineRoot })).toEqual({ dir: path.join(machineRoot, userFolderName(me)), from: 'machine' });
    const notAFolder = path.join(machineRoot, 'file');
    fs.writeFileSync(notAFolder, 'x');
    const fallback = chooseStoreDir({ ...base, packaged: true, machineRoot: notAFolder });
    expect(fallback.dir).toBe(userData);
    expect(fallback.from).toBe('user');
    expect(fallback.warning).toMatch(/^The machine data folder cannot be used \(.*\); the case store stays in /);
    expect(chooseStoreDir({ ...base, packaged: false, machineRoot })).toEqual({ dir: userData, from: 'user' });
  });

  it("an earlier release's store (in the user's app data) moves into the machine folder once, the store with its key", () => {
    const userData = scratch();
    const target = path.join(scratch(), 'casey');
    fs.mkdirSync(target);
    fs.mkdirSync(path.join(userData, 'profile'));
    fs.writeFileSync(path.join(userData, 'profile', 'tandem.db'), 'store');
    fs.writeFileSync(path.join(userData, 'store.key'), 'wrapped');
    expect(moveLegacyStore(userData, target)).toEqual([path.join(target, 'profile'), path.join(target, 'store.key')]);
    expect(fs.readFileSync(path.join(target, 'profile', 'tandem.db'), 'utf8')).toBe('store');
    expect(fs.readFileSync(path.join(target, 'store.key'), 'utf8')).toBe('wrapped');
    expect(fs.existsSync(path.join(userData, 'store.key'))).toBe(false);
    // Never over a store already there.
    fs.writeFileSync(path.join(userData, 'store.key'), 'another');
    expect(moveLegacyStore(userData, target)).toEqual([]);
    expect(fs.readFileSync(path.join(target, 'store.key'), 'utf8')).toBe('wrapped');
    expect(moveLegacyStore(target, target)).toEqual([]);
  });

  it('policy: dataDir must be an absolute path on this machine, every problem said at once', () => {
    const base = { serverUrl: 'https://sync.ecc.example:8443' };
    expect(checkPolicy({ ...base, dataDir: 'D:\\Tandem' })).toMatchObject({ policy: { dataDir: 'D:\\Tandem' } });
    expect(checkPolicy({ ...base, dataDir: '/srv/tandem' })).toMatchObject({ policy: { dataDir: '/srv/tandem' } });
    expect(checkPolicy({ ...base, dataDir: 'tandem', caFile: 'ca.pem' })).toEqual({ problems: ['caFile: "ca.pem" must be an absolute path', 'dataDir: "tandem" must be an absolute path'] });
    expect(checkPolicy({ ...base, dataDir: '\\\\fileserver\\profiles\\tandem' })).toEqual({ problems: [expect.stringMatching(/is a network share; the case store must be on this machine's own disk/)] });
    expect(checkPolicy({ ...base, dataDir: 42 })).toEqual({ problems: [expect.stringMatching(/^dataDir: /)] });
  });
});
