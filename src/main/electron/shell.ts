import path from 'node:path';
import fs from 'node:fs';
import { app, BrowserWindow, ipcMain, net, protocol, safeStorage, screen, session, Notification, type IpcMainInvokeEvent } from 'electron';
import { pathToFileURL } from 'node:url';
import { RpcError } from '../../shared/contract';
import { forwardEvents } from './forward';
import { APP_ORIGIN, APP_SCHEME, ELECTRON_CSP, isAllowedNavigation, isTrustedSender, permissionAllowed, resolveAppFile } from './policy';
import { loadOrCreateStoreKey } from './key';
import { loadWindowState, saveWindowState, visibleBounds } from './window-state';

/** What the shell needs from a core: the same surface the headless host uses. */
export interface ShellCore {
  call(name: unknown, input: unknown): Promise<unknown>;
  onAny(listener: (event: string, payload: unknown) => void): () => void;
  /** A window opened; returns what to call when it closes (a console with no window is not present). */
  attach(): () => void;
  close(): void;
}

export interface ShellOptions {
  rendererDir: string;
  preloadPath: string;
  /** Builds the core once the store key is unwrapped. */
  createCore(key: Buffer, userData: string): Promise<ShellCore>;
}

// Must run before the app is ready: our scheme behaves like https (secure, fetch, CSP).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

/** Locks down every web contents the app ever creates. */
function hardenContents(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

export async function startShell(opts: ShellOptions): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  hardenContents();
  await app.whenReady();

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionAllowed(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission));
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
  });
  protocol.handle(APP_SCHEME, (request) => {
    const file = resolveAppFile(request.url, opts.rendererDir);
    const target = file && fs.existsSync(file) ? file : path.join(opts.rendererDir, 'index.html');
    return net.fetch(pathToFileURL(target).toString());
  });

  const userData = app.getPath('userData');
  const key = loadOrCreateStoreKey(path.join(userData, 'store.key'), safeStorage);
  const core = await opts.createCore(key, userData);

  // The one IPC entry point, wrapped once: a sender that is not our main frame gets nothing.
  ipcMain.handle('tandem:call', async (event: IpcMainInvokeEvent, name: unknown, input: unknown) => {
    const frame = event.senderFrame;
    if (!isTrustedSender(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null)) return { ok: false, error: new RpcError('forbidden', 'Untrusted sender').toJSON() };
    try {
      return { ok: true, value: await core.call(name, input) };
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError('internal', (err as Error).message);
      return { ok: false, error: e.toJSON() };
    }
  });

  const stateFile = path.join(userData, 'window-state.json');
  const bounds = visibleBounds(loadWindowState(stateFile), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...bounds,
    minWidth: 380,
    backgroundColor: '#0b0f14',
    title: 'Tandem',
    webPreferences: {
      preload: opts.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const remember = () => {
    const b = win.getBounds();
    saveWindowState(stateFile, { ...b, displayId: screen.getDisplayMatching(b).id });
  };
  win.on('moved', remember);
  win.on('resized', remember);
  // A closed (or crashed) window is not a present clinician: the server stops ringing this console.
  const detach = core.attach();
  win.on('closed', detach);
  win.webContents.on('render-process-gone', detach);

  const off = forwardEvents(
    core,
    () => (win.isDestroyed() ? null : win.webContents),
    // A native notification, and the window brought forward.
    (h) => {
      new Notification({ title: 'Clinician handoff ringing', body: `${h.requestedByName} is conferencing you in`, urgency: 'critical' }).show();
      if (win.isMinimized()) win.restore();
      win.flashFrame(true);
    },
  );
  await win.loadURL(`${APP_ORIGIN}/index.html`);

  app.on('window-all-closed', () => {
    off();
    core.close();
    app.quit();
  });
}
