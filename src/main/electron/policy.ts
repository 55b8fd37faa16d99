import path from 'node:path';
import { z } from 'zod';

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

/** Every permission a page can ask for (camera, notifications via web API, geolocation…) is refused. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}

/**
 * Machine-wide policy, set by IT: /etc/tandem/policy.json on Linux,
 * %ProgramData%\Tandem\policy.json on Windows. It overrides anything a user could set.
 */
export const MachinePolicy = z
  .object({
    serverUrl: z.string().url().refine((u) => /^https:\/\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u), {
      message: 'serverUrl must use https (plain http only for a server on this machine)',
    }),
    enrollmentToken: z.string().min(8).optional(),
    caFile: z.string().optional(),
    lockAfterMinutes: z.number().int().min(1).max(30).default(10),
    clinicianDirectLine: z.string().max(64).optional(),
    /** The dispatch floor's number, shown to a clinician whose console is offline and cannot take calls. */
    dispatchFloorLine: z.string().max(64).optional(),
    /** The ECC's priority codes, in the order the form offers them (default 1–4). */
    priorityCodes: z.array(z.string().trim().min(1).max(40)).min(1).max(20).optional(),
    workstationName: z.string().max(100).optional(),
    updates: z.object({ channel: z.enum(['stable', 'pilot']).default('stable'), url: z.string().url().optional() }).optional(),
    demo: z.boolean().default(false),
  })
  .strict();
export type MachinePolicy = z.infer<typeof MachinePolicy>;

export function policyPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'win32') return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Tandem', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/Tandem/policy.json';
  return '/etc/tandem/policy.json';
}

/** Parses the policy file's text; a bad file is an error naming the field, never a silent default. */
export function parsePolicy(text: string, source: string): MachinePolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = MachinePolicy.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${source}: ${i.path.join('.') || 'policy'}: ${i.message}`);
  }
  return parsed.data;
}

/** safeStorage on Linux without a keyring falls back to a hard-coded key; refuse it, as Signal-Desktop does. */
export function isSafeStorageBackendAcceptable(platform: NodeJS.Platform, backend: string | undefined): boolean {
  if (platform !== 'linux') return true;
  return backend !== undefined && backend !== 'basic_text' && backend !== 'unknown';
}
