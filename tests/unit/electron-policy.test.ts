import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MachinePolicy } from '../../src/main/electron/machine-policy';
import {
  isAllowedNavigation,
  isTrustedSender,
  resolveAppFile,
  isSafeStorageBackendAcceptable,
  permissionAllowed,
  ELECTRON_CSP,
  META_CSP,
  appResponseHeaders,
  devToolsAllowed,
} from '../../src/main/electron/policy';
import { loadOrCreateStoreKey, type KeyWrapper } from '../../src/main/electron/key';
import { visibleBounds } from '../../src/main/electron/window-state';
import { tempDir } from '../helpers/tmp';

let cleanup = () => {};
afterEach(() => cleanup());

describe('Electron shell policy', () => {
  it('allows navigation only within app://tandem', () => {
    expect(isAllowedNavigation('app://tandem/index.html')).toBe(true);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://other/index.html', 'javascript:alert(1)', 'not a url', 'http://tandem/']) {
      expect(isAllowedNavigation(url), url).toBe(false);
    }
  });

  it('trusts IPC only from our main frame', () => {
    expect(isTrustedSender({ url: 'app://tandem/index.html', isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ url: 'app://tandem/index.html', isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ url: 'https://ads.example/', isMainFrame: true })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });

  it('serves files only from inside the renderer folder', () => {
    const root = '/opt/tandem/renderer';
    expect(resolveAppFile('app://tandem/assets/app.js', root)).toBe('/opt/tandem/renderer/assets/app.js');
    expect(resolveAppFile('app://tandem/', root)).toBe('/opt/tandem/renderer/index.html');
    expect(resolveAppFile('app://tandem/..%2F..%2Fetc%2Fpasswd', root)).toBeNull();
    expect(resolveAppFile('app://tandem/%E0%A4%A', root)).toBeNull();
    expect(resolveAppFile('https://tandem/index.html', root)).toBeNull();
  });

  it('denies every permission and keeps scripts to our own origin', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(permissionAllowed(p)).toBe(false);
    expect(ELECTRON_CSP).toContain("script-src 'self'");
    expect(ELECTRON_CSP).not.toContain('unsafe-eval');
  });

  it('refuses Linux safeStorage without a real keyring', () => {
    expect(isSafeStorageBackendAcceptable('linux', 'basic_text')).toBe(false);
    expect(isSafeStorageBackendAcceptable('linux', 'gnome_libsecret')).toBe(true);
    expect(isSafeStorageBackendAcceptable('win32', undefined)).toBe(true);
  });

  it('creates the store key once and unwraps the same key later', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    // A stand-in keyring that really transforms the bytes, so a plain copy on disk would be caught.
    const keyring: KeyWrapper = {
      isEncryptionAvailable: () => true,
      encryptString: (s) => Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ 0x5a)),
      decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
      getSelectedStorageBackend: () => 'gnome_libsecret',
    };
    const file = path.join(t.dir, 'store.key');
    const first = loadOrCreateStoreKey(file, keyring, 'linux');
    expect(first.length).toBe(32);
    expect(fs.readFileSync(file).toString('utf8')).not.toContain(first.toString('hex'));
    expect(loadOrCreateStoreKey(file, keyring, 'linux').equals(first)).toBe(true);
    expect(() => loadOrCreateStoreKey(file, { ...keyring, getSelectedStorageBackend: () => 'basic_text' }, 'linux')).toThrow(/basic_text/);
  });

  it('reopens the window where it was only if that place is still on a display', () => {
    const displays = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(visibleBounds({ x: 1400, y: 0, width: 480, height: 1000 }, displays)).toEqual({ x: 1400, y: 0, width: 480, height: 1000 });
    // Saved on a second monitor that is gone: keep the size, let the OS place it.
    expect(visibleBounds({ x: 2500, y: 0, width: 480, height: 1000 }, displays)).toEqual({ width: 480, height: 1000 });
  });
});

describe('issue 14: CSP on app:// responses, in the page, DevTools', () => {
  it('sets the CSP on every app:// response, replacing whatever the file fetch had', () => {
    const h = appResponseHeaders(new Headers({ 'content-type': 'text/html', 'content-security-policy': "default-src *" }));
    expect(h.get('content-security-policy')).toBe(ELECTRON_CSP);
    expect(h.get('content-type')).toBe('text/html');
    expect(h.get('x-content-type-options')).toBe('nosniff');
  });

  it('keeps the meta CSP the header CSP but for frame-ancestors, which a meta tag may not carry', () => {
    expect(META_CSP).not.toContain('frame-ancestors');
    expect(ELECTRON_CSP.replace("; frame-ancestors 'none'", '')).toBe(META_CSP);
  });

  it('allows DevTools in development, and in a packaged build only by policy', () => {
    expect(devToolsAllowed(false, null)).toBe(true);
    expect(devToolsAllowed(true, null)).toBe(false);
    expect(devToolsAllowed(true, { allowDevTools: false })).toBe(false);
    expect(devToolsAllowed(true, { allowDevTools: true })).toBe(true);
    expect(MachinePolicy.parse({ serverUrl: 'https://sync.ecc.example' }).allowDevTools).toBe(false);
    expect(MachinePolicy.safeParse({ serverUrl: 'https://sync.ecc.example', allowDevTools: 'yes' }).success).toBe(false);
  });
});
