import path from 'node:path';
import fs from 'node:fs';
import { app, BrowserWindow, dialog, globalShortcut, ipcMain, Menu, net, protocol, safeStorage, screen, session, Notification, type IpcMainInvokeEvent } from 'electron';
import { pathToFileURL } from 'node:url';
import { RpcError } from '../../shared/contract';
import { forwardEvents } from './forward';
import {
  APP_ORIGIN,
  APP_SCHEME,
  ELECTRON_CSP,
  appResponseHeaders,
  devToolsAllowed,
  isAllowedNavigation,
  isTrustedSender,
  permissionAllowed,
  resolveAppFile,
} from './policy';
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
  /** Builds the core once the store key is unwrapped; `storeDir` holds the key and the store. */
  createCore(key: Buffer, storeDir: string): Promise<ShellCore>;
  /**
   * Where the store key and the store live (src/main/electron/data-dir.ts: the machine's data
   * folder, one per user); called once the app is ready. Default: Electron's userData.
   */
  storeDir?(userData: string): string;
  /** The page shown instead of the console when it cannot start (the error's message). */
  failurePage(message: string): string;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  /** Policy's globalHotkey: an accelerator that acts as F9 (conference) while CAD has focus. */
  globalHotkey?: string;
  /** The "Save diagnostics" report (versions, policy, log; no secrets, no clinical data). */
  diagnostics?(): string;
  /** The machine policy's say on DevTools in a packaged build (off unless it allows them). */
  allowDevTools?: boolean;
}

/**
 * The app menu: editing keys for the forms, zoom, and Help → Save diagnostics for IT. No
 * reload or developer tools in a packaged app unless the machine policy allows DevTools.
 */
function installMenu(opts: ShellOptions, win: () => BrowserWindow | null): void {
  const dev = devToolsAllowed(app.isPackaged, { allowDevTools: opts.allowDevTools });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      { label: 'File', submenu: [{ role: 'quit' }] },
      { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
      { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, ...(dev ? [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }] : [])] },
      {
        label: 'Help',
        submenu: [
          {
            label: 'Save diagnostics…',
            enabled: !!opts.diagnostics,
            click: async () => {
              const w = win();
              const options = { title: 'Save Tandem diagnostics', defaultPath: `tandem-diagnostics-${new Date().toISOString().slice(0, 10)}.txt` };
              const r = w ? await dialog.showSaveDialog(w, options) : await dialog.showSaveDialog(options);
              if (r.canceled || !r.filePath || !opts.diagnostics) return;
              fs.writeFileSync(r.filePath, opts.diagnostics(), { mode: 0o600 });
              opts.log?.('info', `Diagnostics saved to ${r.filePath}`);
            },
          },
        ],
      },
    ]),
  );
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
    // Sub-frames too (will-navigate covers only the main frame).
    contents.on('will-frame-navigate', (event) => {
      if (!isAllowedNavigation(event.url)) event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

const SCREEN_WINDOW = { width: 900, height: 700, backgroundColor: '#0b0f14', title: 'Tandem' } as const;


/**
 * A console that must not start (no machine policy, a bad one, a store it cannot open) shows
 * why in a window with no preload, no IPC and no script, instead of vanishing. Every window's
 * preferences are written out where it is made (the security scan reads them there), and
 * middle-click (Auxclick) is off in each: it would try to open a link in a new window.
 */
export async function startBlockedShell(html: string): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  hardenContents();
  await app.whenReady();
  // Also reached when the console failed after it had started serving its own pages.
  if (protocol.isProtocolHandled(APP_SCHEME)) protocol.unhandle(APP_SCHEME);
  protocol.handle(APP_SCHEME, () => new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" } }));
  const win = new BrowserWindow({ ...SCREEN_WINDOW, webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, javascript: false, disableBlinkFeatures: 'Auxclick' } });
  await win.loadURL(`${APP_ORIGIN}/not-configured`);
  app.on('window-all-closed', () => app.quit());
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
    // The scanner cannot read a constant here; it evaluates ELECTRON_CSP itself (tests/integration/electronegativity.test.ts).
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } }); // eng-disable CSP_GLOBAL_CHECK
  });
  // The CSP travels on the app:// responses themselves: webRequest.onHeadersReceived (above,
  // for anything else) does not fire for a custom protocol. The built page carries it as a
  // <meta> tag too (vite.config.ts).
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppFile(request.url, opts.rendererDir);
    const target = file && fs.existsSync(file) ? file : path.join(opts.rendererDir, 'index.html');
    const res = await net.fetch(pathToFileURL(target).toString());
    return new Response(res.body, { status: res.status, headers: appResponseHeaders(res.headers) });
  });
  const userData = app.getPath('userData');
  let core: ShellCore;
  try {
    const storeDir = opts.storeDir ? opts.storeDir(userData) : userData;
    const key = loadOrCreateStoreKey(path.join(storeDir, 'store.key'), safeStorage);
    core = await opts.createCore(key, storeDir);
  } catch (err) {
    const message = (err as Error).message;
    opts.log?.('error', `Tandem could not start: ${message}`);
    const html = opts.failurePage(message);
    protocol.unhandle(APP_SCHEME);
    protocol.handle(APP_SCHEME, () => new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } }));
    const win = new BrowserWindow({ ...SCREEN_WINDOW, webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, javascript: false, disableBlinkFeatures: 'Auxclick' } });
    await win.loadURL(`${APP_ORIGIN}/failed`);
    app.on('window-all-closed', () => app.quit());
    return;
  }

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

  let mainWindow: BrowserWindow | null = null;
  installMenu(opts, () => mainWindow);
  const stateFile = path.join(userData, 'window-state.json');
  const bounds = visibleBounds(loadWindowState(stateFile), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...bounds,
    minWidth: 380,
    backgroundColor: '#0b0f14',
    title: 'Tandem',
    webPreferences: {
      // The preload is reviewed (docs/SECURITY.md, "Electronegativity"): sandboxed, it exposes one
      // typed object through contextBridge (call, on) and never ipcRenderer or Node.
      preload: opts.preloadPath, // eng-disable PRELOAD_JS_CHECK
      disableBlinkFeatures: 'Auxclick',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
      devTools: devToolsAllowed(app.isPackaged, { allowDevTools: opts.allowDevTools }),
    },
  });
  mainWindow = win;
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

  // The conference key while another application (CAD) has focus: the console gets the same
  // F9 a dispatcher would press in it, so it acts on the selected incident exactly as F9 does,
  // without taking focus from CAD.
  if (opts.globalHotkey) {
    const ok = globalShortcut.register(opts.globalHotkey, () => {
      if (win.isDestroyed()) return;
      win.webContents.sendInputEvent({ type: 'keyDown', keyCode: 'F9' });
      win.webContents.sendInputEvent({ type: 'keyUp', keyCode: 'F9' });
    });
    opts.log?.(ok ? 'info' : 'warn', ok ? `Global conference key ${opts.globalHotkey} registered` : `Global conference key ${opts.globalHotkey} is held by another application; F9 works only while Tandem has focus`);
    app.on('will-quit', () => globalShortcut.unregisterAll());
  }
  // A renderer that dies (crash, out of memory, killed) is reloaded. Saved work is in the
  // core; conference drafts are in the page's local storage on disk (renderer/storage.ts), so
  // the clinician comes back to them.
  win.webContents.on('render-process-gone', (_e, details) => {
    opts.log?.('error', `The console window's renderer is gone (${details.reason}, exit ${details.exitCode}); reloading`);
    if (details.reason !== 'clean-exit' && !win.isDestroyed()) void win.loadURL(`${APP_ORIGIN}/index.html`);
  });

  app.on('window-all-closed', () => {
    off();
    core.close();
    app.quit();
  });
}
