import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { app } from 'electron';
import log from 'electron-log/main';
import { autoUpdater } from 'electron-updater';
import type { PolicyMachine } from './machine-policy';
import { machineDirs } from './data-dir';

/** The machine the Electron app runs on, as the policy loader sees it. */
export function electronMachine(): PolicyMachine {
  return {
    platform: process.platform,
    env: process.env,
    packaged: app.isPackaged,
    readFile(file) {
      try {
        return fs.readFileSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new Error(`${file} cannot be read: ${(err as Error).message}`);
      }
    },
    readRegistry(key) {
      try {
        return execFileSync('reg', ['query', key], { encoding: 'utf8', windowsHide: true, timeout: 10_000 });
      } catch {
        return null; // The key does not exist (reg exits 1).
      }
    },
  };
}

/**
 * On Windows, Electron's userData is in the roaming profile (%APPDATA%), which would carry
 * the encrypted store and the console's identity to other machines; keep it in the local,
 * non-roaming profile instead. Must run before the app is ready.
 */
export function keepUserDataLocal(): void {
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) app.setPath('userData', path.win32.join(process.env.LOCALAPPDATA, 'Tandem'));
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export type ShellLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/**
 * Rotating workstation log (electron-log: tandem.log, 5 MB, then tandem.old.log) in the
 * machine's log folder when the installer made it writable, else in the user's log folder.
 * Messages are operational; callers never log clinical text.
 */
export function startLog(): { log: ShellLog; file: string } {
  const dirs = machineDirs(process.platform, process.env);
  const dir = writable(dirs.logs) ? dirs.logs : app.getPath('logs');
  const file = path.join(dir, `tandem-${process.env.USER ?? process.env.USERNAME ?? 'user'}.log`);
  log.transports.file.resolvePathFn = () => file;
  log.transports.file.maxSize = 5 * 1024 * 1024;
  log.initialize();
  log.info(`Tandem ${app.getVersion()} (Electron ${process.versions.electron}, Node ${process.versions.node}) starting; log ${file}`);
  return { log: (level, message) => log[level](message), file };
}

/**
 * Self-updates from the ECC's update server (policy `updates`; off unless set), with
 * electron-updater's generic provider: the download is checked against the SHA-512 in the
 * feed's latest.yml and, on Windows, its Authenticode signature must name the publisher in
 * resources/app-update.yml. An update downloads in the background and installs when Tandem
 * quits: never a restart in the middle of a call. The update server's certificate must be
 * trusted by the OS (electron-updater uses Chromium's network stack, not caFile).
 */
export function startUpdates(updates: { url: string; channel: 'latest' | 'pilot' } | undefined, say: ShellLog): void {
  if (!updates) return;
  if (!app.isPackaged) {
    say('info', `Updates from ${updates.url} are for installed builds; this is a development build`);
    return;
  }
  autoUpdater.logger = log;
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.allowDowngrade = false;
  autoUpdater.allowPrerelease = updates.channel === 'pilot';
  autoUpdater.channel = updates.channel;
  autoUpdater.setFeedURL({ provider: 'generic', url: updates.url, channel: updates.channel });
  autoUpdater.on('update-downloaded', (info) => say('info', `Tandem ${info.version} downloaded; it installs when Tandem quits`));
  autoUpdater.on('error', (err) => say('warn', `Update check failed: ${err.message}`));
  const check = () => void autoUpdater.checkForUpdates().catch((err: Error) => say('warn', `Update check failed: ${err.message}`));
  void app.whenReady().then(() => {
    check();
    setInterval(check, 4 * 60 * 60_000).unref();
  });
}
