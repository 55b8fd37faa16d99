import path from 'node:path';

/**
 * The Electron shell's security decisions as plain functions, so they are unit-tested
 * without an Electron binary. The shell only wires them to Electron's hooks.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'tandem';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The UI may only ever be at our own origin; every other navigation is denied. */
export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** An IPC message is ours only if it comes from our main frame at our origin. */
export function isTrustedSender(frame: { url: string; isMainFrame: boolean } | null | undefined): boolean {
  return !!frame && frame.isMainFrame && isAllowedNavigation(frame.url);
}

/** Maps app://tandem/<path> to a file inside the renderer folder, or null if it would leave it. */
export function resolveAppFile(requestUrl: string, rendererDir: string): string | null {
  if (!isAllowedNavigation(requestUrl)) return null;
  const u = new URL(requestUrl);
  let p: string;
  try {
    p = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (p.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + (p === '/' || p === '' ? '/index.html' : p));
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

export const ELECTRON_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** The CSP as a `<meta>` tag carries it: frame-ancestors is not allowed there (the header has it). */
export const META_CSP = ELECTRON_CSP.split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ');

/** Headers every `app://` response carries, set by the protocol handler itself (webRequest does not see custom protocols). */
export function appResponseHeaders(base: Headers): Headers {
  const h = new Headers(base);
  h.set('Content-Security-Policy', ELECTRON_CSP);
  h.set('X-Content-Type-Options', 'nosniff');
  h.set('Referrer-Policy', 'no-referrer');
  h.set('Cache-Control', 'no-store');
  return h;
}

/** DevTools: on in development; in a packaged build only when the machine policy allows them. */
export function devToolsAllowed(isPackaged: boolean, policy: { allowDevTools?: boolean } | null): boolean {
  return !isPackaged || policy?.allowDevTools === true;
}

/** Every permission a page can ask for (camera, notifications via web API, geolocation…) is refused. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}

/** safeStorage on Linux without a keyring falls back to a hard-coded key; refuse it, as Signal-Desktop does. */
export function isSafeStorageBackendAcceptable(platform: NodeJS.Platform, backend: string | undefined): boolean {
  if (platform !== 'linux') return true;
  return backend !== undefined && backend !== 'basic_text' && backend !== 'unknown';
}
