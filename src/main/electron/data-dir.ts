import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * Where a console keeps its case store and its wrapped store key: in the machine's own data
 * folder, one folder per OS user, never in a profile that roams. The console's identity is
 * bound to the machine already (the OS machine id); its store lives on the machine too, so a
 * roaming or copied profile carries neither (and a store that arrives some other way is set
 * aside by the core: src/main/core/store/machine-bound.ts).
 *
 * - policy `dataDir`: IT's folder (e.g. D:\Tandem); it must be usable, or the console does not start.
 * - otherwise the machine folder the installer made (/var/lib/tandem, %ProgramData%\Tandem\data);
 *   when a machine has none usable (a portable copy) the user's local, non-roaming app data.
 * - a development build uses the user's app data unless the policy names a dataDir.
 */

/** Machine-wide folders (created by the installer): data and logs shared by every OS user. */
export function machineDirs(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { data: string; logs: string } {
  if (platform === 'win32') {
    const root = path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Tandem');
    return { data: path.win32.join(root, 'data'), logs: path.win32.join(root, 'logs') };
  }
  if (platform === 'darwin') return { data: '/Library/Application Support/Tandem/data', logs: '/Library/Logs/Tandem' };
  return { data: '/var/lib/tandem', logs: '/var/log/tandem' };
}

export interface OsUser {
  username: string;
  /** POSIX uid (-1 on Windows). */
  uid: number;
  /** Windows: the user's domain (USERDOMAIN), so DOMAIN-A\casey and DOMAIN-B\casey differ. */
  domain?: string;
}

/** The user's folder name: readable for IT, safe on every file system, distinct per user. */
export function userFolderName(user: OsUser): string {
  const readable = user.username.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.{2,}/g, '_').replace(/^\./, '_').slice(0, 40) || 'user';
  const who = `${(user.domain ?? '').toLowerCase()}\\${user.username.toLowerCase()}:${user.uid}`;
  return `${readable}-${crypto.createHash('sha256').update(who).digest('hex').slice(0, 8)}`;
}

/**
 * The user's folder under `root`, made if needed and checked: a real folder (not a link),
 * owned by this user and closed to everyone else (POSIX 0700; on Windows the folder's
 * inherited access is replaced by the user, SYSTEM and Administrators). A folder another user
 * made first under the shared root is refused, never used. Throws an Error saying what is wrong.
 */
export function ensureUserStoreDir(root: string, user: OsUser, platform: NodeJS.Platform = process.platform, restrictAcl: (dir: string, user: OsUser) => void = windowsAcl): string {
  const dir = path.join(root, userFolderName(user));
  let created = false;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`Tandem cannot make its data folder ${dir}: ${(err as Error).message}`);
  }
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new Error(`Tandem's data folder ${dir} is not a plain folder (a link or a file is in its place): IT must remove it`);
  if (platform !== 'win32') {
    if (user.uid >= 0 && st.uid !== user.uid) throw new Error(`Tandem's data folder ${dir} belongs to another user (uid ${st.uid}); it is not used: IT must remove it`);
    if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  } else if (created) {
    restrictAcl(dir, user);
  }
  fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  return dir;
}

/** Windows: only this user, SYSTEM and Administrators may open the folder (ProgramData lets every user read). */
function windowsAcl(dir: string, user: OsUser): void {
  const account = user.domain ? `${user.domain}\\${user.username}` : user.username;
  execFileSync('icacls', [dir, '/inheritance:r', '/grant:r', `${account}:(OI)(CI)F`, '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F'], { windowsHide: true, timeout: 10_000, stdio: 'ignore' });
}

export interface StoreDirChoice {
  dir: string;
  /** Where it came from: IT's policy, the machine folder, or the user's local app data. */
  from: 'policy' | 'machine' | 'user';
  /** Said in the log when the machine folder could not be used. */
  warning?: string;
}

/** The folder for this user's store and store key (see the module comment). Throws when the policy's dataDir cannot be used. */
export function chooseStoreDir(opts: {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  packaged: boolean;
  policyDataDir?: string;
  user: OsUser;
  /** The user's local (non-roaming) app data: Electron's userData. */
  userData: string;
  /** Tests: the machine folder instead of /var/lib/tandem or %ProgramData%. */
  machineRoot?: string;
  restrictAcl?: (dir: string, user: OsUser) => void;
}): StoreDirChoice {
  const ensure = (root: string) => ensureUserStoreDir(root, opts.user, opts.platform, opts.restrictAcl);
  if (opts.policyDataDir) {
    try {
      return { dir: ensure(opts.policyDataDir), from: 'policy' };
    } catch (err) {
      throw new Error(`dataDir in the machine policy cannot be used: ${(err as Error).message}`);
    }
  }
  if (!opts.packaged) return { dir: opts.userData, from: 'user' };
  const root = opts.machineRoot ?? machineDirs(opts.platform, opts.env).data;
  try {
    return { dir: ensure(root), from: 'machine' };
  } catch (err) {
    return { dir: opts.userData, from: 'user', warning: `The machine data folder cannot be used (${(err as Error).message}); the case store stays in ${opts.userData}` };
  }
}

/**
 * A store kept in the user's app data by an earlier release (`profile/` and `store.key`)
 * moves into the chosen folder once, when that folder has none yet. Returns what moved.
 */
export function moveLegacyStore(userData: string, dir: string): string[] {
  if (path.resolve(userData) === path.resolve(dir)) return [];
  if (fs.existsSync(path.join(dir, 'store.key')) || fs.existsSync(path.join(dir, 'profile'))) return [];
  if (!fs.existsSync(path.join(userData, 'store.key'))) return [];
  const moved: string[] = [];
  // The store before its key: a key without its store would start an empty store with it.
  for (const name of ['profile', 'store.key']) {
    const from = path.join(userData, name);
    if (!fs.existsSync(from)) continue;
    const to = path.join(dir, name);
    try {
      fs.renameSync(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
      fs.rmSync(from, { recursive: true, force: true });
    }
    moved.push(to);
  }
  return moved;
}
