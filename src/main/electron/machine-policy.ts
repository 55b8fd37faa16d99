import path from 'node:path';
import { z } from 'zod';

/**
 * The machine policy IT sets for every console on a machine, read fail-closed: a missing
 * policy is "not configured" (a screen saying what IT must set), a bad one is every problem
 * at once (on screen and in the log), never a silent default and never the demo.
 *
 * Sources, strongest first: the Windows Group Policy key HKLM\Software\Policies\Tandem (values
 * named like the JSON keys), the machine file (/etc/tandem/policy.json,
 * %ProgramData%\Tandem\policy.json), and, only in a development build, TANDEM_POLICY.
 * Nothing a user can set replaces the machine's policy.
 */

/** Hosts that are this machine: the only place plain http is allowed. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Problems with a URL IT typed, each in words; empty when it is acceptable. */
export function urlProblems(value: string, what: string, opts: { allowPath: boolean }): string[] {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return [`${what} "${value}" is not a URL (expected e.g. https://sync.ecc.example:8443)`];
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return [`${what} "${value}" must be an https:// URL, not ${u.protocol}`];
  const out: string[] = [];
  if (value !== value.trim() || /[\s\\]/.test(value)) out.push(`${what} "${value}" contains spaces or backslashes`);
  if (u.username || u.password) out.push(`${what} "${value}" carries a user name or password ("…@"): the server is ${u.hostname}, not what it looks like; remove the part before @`);
  if (u.protocol === 'http:' && !LOOPBACK_HOSTS.has(u.hostname)) out.push(`${what} "${value}" must use https (plain http only for a server on this machine)`);
  if (!u.hostname) out.push(`${what} "${value}" names no host`);
  if (u.search || u.hash) out.push(`${what} "${value}" must not carry a query or fragment`);
  if (!opts.allowPath && u.pathname !== '/' && u.pathname !== '') out.push(`${what} "${value}" must be the server's root (no path after the port)`);
  return out;
}

/** Most sync servers a policy may list (instances of one service, tried in order). */
export const MAX_SERVER_URLS = 8;
const oneServerUrl = z.string({ error: 'must be text' }).superRefine((v, ctx) => {
  for (const message of urlProblems(v, 'serverUrl', { allowPath: false })) ctx.addIssue({ code: 'custom', message });
});
/**
 * One sync server, or several instances of it (issue 17): the console uses the first it can
 * reach, in the order listed, and moves to the next when its server goes away.
 */
const serverUrl = z.union([oneServerUrl, z.array(oneServerUrl)], {
  error: (i) => (i.input === undefined ? 'required: the sync server, e.g. https://sync.ecc.example:8443 (or a list of its instances)' : 'must be a URL or a list of URLs'),
}).superRefine((v, ctx) => {
  if (!Array.isArray(v)) return;
  if (v.length === 0) ctx.addIssue({ code: 'custom', message: 'lists no server' });
  if (v.length > MAX_SERVER_URLS) ctx.addIssue({ code: 'custom', message: `lists more than ${MAX_SERVER_URLS} servers` });
  const seen = new Set<string>();
  for (const u of v) {
    const key = URL.canParse(u) ? new URL(u).origin : u;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `lists ${u} twice` });
    seen.add(key);
  }
});

/** The policy's sync servers as a list, in the order the console tries them. */
export function serverUrlsOf(policy: Pick<MachinePolicy, 'serverUrl'>): string[] {
  return Array.isArray(policy.serverUrl) ? [...policy.serverUrl] : [policy.serverUrl];
}
const updatesUrl = z.string().superRefine((v, ctx) => {
  for (const message of urlProblems(v, 'updates.url', { allowPath: true })) ctx.addIssue({ code: 'custom', message });
});

/** An Electron accelerator for the conference key: a function key, optionally with modifiers. */
export const HOTKEY = /^((CommandOrControl|Control|Ctrl|Alt|Shift|Super)\+)*(F([1-9]|1[0-9]|2[0-4]))$/;

export const MachinePolicy = z
  .object({
    /** The ECC's sync server (https; http only on this machine), or a list of its instances. */
    serverUrl,
    /** A one-time enrollment token for a single machine (`server workstation enroll`). */
    enrollmentToken: z.string().min(8).max(200).optional(),
    /** A site enrollment key every machine of a fleet carries (`server enrollment-key add`). */
    enrollmentKey: z.string().min(16).max(200).optional(),
    /** A PEM file of the CA(s) that signed the sync server's certificate (a private CA). */
    caFile: z.string().min(1).optional(),
    lockAfterMinutes: z.number().int().min(1).max(30).default(10),
    clinicianDirectLine: z.string().min(1).max(64).optional(),
    /** The dispatch floor's number, shown to a clinician whose console is offline and cannot take calls. */
    dispatchFloorLine: z.string().min(1).max(64).optional(),
    /** The ECC's priority codes, in the order the incident form offers them (default 1–4). */
    priorityCodes: z.array(z.string().trim().min(1).max(40)).min(1).max(20).optional(),
    workstationName: z.string().min(1).max(100).optional(),
    /** The machine folder for the case stores (one folder per OS user); default /var/lib/tandem or %ProgramData%\Tandem\data. */
    dataDir: z.string().min(1).max(260).optional(),
    /** The conference key while another application (CAD) has focus; off unless set. */
    globalHotkey: z.string().regex(HOTKEY, 'globalHotkey must be a function key such as "F9" or "Ctrl+Shift+F9"').optional(),
    /** Self-updates from the ECC's update server (electron-updater, generic provider); off unless set. */
    updates: z.object({ url: updatesUrl, channel: z.enum(['latest', 'pilot']).default('latest') }).strict().optional(),
    /** DevTools in a packaged build (support sessions only); off unless set. */
    allowDevTools: z.boolean().default(false),
    /** Days an offline sign-in stays possible after the user's last online sign-in. */
    offlineSignInDays: z.number().int().min(0).max(90).default(14),
  })
  .strict();
export type MachinePolicy = z.infer<typeof MachinePolicy>;

/** Every key, with what it does: the reference docs/DEPLOYMENT.md and the screen print. */
export const POLICY_KEYS: Record<keyof MachinePolicy, string> = {
  serverUrl: 'required: the sync server, e.g. https://sync.ecc.example:8443, or a list of its instances, tried in order (the console moves to the next when one goes away)',
  enrollmentToken: 'a one-time token for this machine (npm run server -- workstation enroll)',
  enrollmentKey: 'the site enrollment key for a fleet (npm run server -- enrollment-key add)',
  caFile: 'PEM file of the private CA that signed the server certificate',
  lockAfterMinutes: 'minutes of inactivity before the console locks (1-30, default 10)',
  clinicianDirectLine: "the clinician's direct line, shown when a handoff cannot go through",
  dispatchFloorLine: "the dispatch floor's number, shown to a clinician whose console is offline",
  priorityCodes: 'the priority codes the incident form offers, in order, e.g. ["1", "2", "3", "4"] (default 1-4)',
  workstationName: 'the name this console enrolls under (default: the host name)',
  dataDir: 'absolute path of the machine folder for the case stores, one folder per user (default /var/lib/tandem, %ProgramData%\\Tandem\\data); never a roaming profile',
  globalHotkey: 'the conference key while CAD has focus, e.g. "F9" (off unless set)',
  updates: 'self-updates: { "url": "https://updates.ecc.example/tandem/", "channel": "latest" | "pilot" } (off unless set)',
  allowDevTools: 'DevTools in the installed console, for a support session (true/false, default false)',
  offlineSignInDays: 'days a user may still sign in offline after their last online sign-in (0-90, default 14)',
};

export type PolicyResult =
  | { state: 'configured'; policy: MachinePolicy; sources: string[] }
  | { state: 'not-configured'; looked: string[] }
  | { state: 'invalid'; sources: string[]; problems: string[] };

/** Decodes a policy file as Notepad (UTF-8 with BOM) or PowerShell (UTF-16) writes it. */
export function decodePolicyBytes(bytes: Uint8Array): { text: string } | { problem: string } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { text: b.subarray(2).toString('utf16le') };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2));
    swapped.swap16();
    return { text: swapped.toString('utf16le') };
  }
  // UTF-16 LE without a BOM: '{' then a zero byte.
  if (b.length >= 4 && b.length % 2 === 0 && b[1] === 0 && b[3] === 0 && b[0] !== 0) return { text: b.toString('utf16le') };
  const body = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body) };
  } catch {
    return { problem: 'is neither UTF-8 nor UTF-16 text: save it as UTF-8' };
  }
}

/** Every problem zod found, one line each, naming the key. */
function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      if (i.path.length > 0) return i.keys.map((k) => `${[...i.path, k].join('.')}: not a key of ${i.path.join('.')}`).join('\n');
      return i.keys
        .map((k) => (k === 'demo' ? 'demo: the demo cannot be turned on by a machine policy (developers run `npm start`)' : `${k}: not a policy key (known keys: ${Object.keys(POLICY_KEYS).join(', ')})`))
        .join('\n');
    }
    const key = i.path.join('.') || 'policy';
    return `${key}: ${i.message}`;
  }).flatMap((line) => line.split('\n'));
}

/** Checks a policy object (from JSON or the registry): the policy, or every problem with it. */
export function checkPolicy(raw: unknown): { policy: MachinePolicy } | { problems: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: ['policy: must be a JSON object ({ "serverUrl": "https://…" })'] };
  const parsed = MachinePolicy.safeParse(raw);
  if (!parsed.success) return { problems: issuesOf(parsed.error) };
  const p = parsed.data;
  const problems: string[] = [];
  if (p.enrollmentToken && p.enrollmentKey) problems.push('enrollmentToken and enrollmentKey: set one, not both (a fleet uses enrollmentKey)');
  if (p.caFile && !path.isAbsolute(p.caFile) && !path.win32.isAbsolute(p.caFile)) problems.push(`caFile: "${p.caFile}" must be an absolute path`);
  if (p.dataDir && /^(\\\\|\/\/)/.test(p.dataDir)) problems.push(`dataDir: "${p.dataDir}" is a network share; the case store must be on this machine's own disk`);
  else if (p.dataDir && !path.isAbsolute(p.dataDir) && !path.win32.isAbsolute(p.dataDir)) problems.push(`dataDir: "${p.dataDir}" must be an absolute path`);
  if (problems.length) return { problems };
  return { policy: p };
}

/** Parses a policy file's bytes; a bad file is every problem, named with the file. */
export function parsePolicyFile(bytes: Uint8Array, source: string): { policy: Record<string, unknown> } | { problems: string[] } {
  const decoded = decodePolicyBytes(bytes);
  if ('problem' in decoded) return { problems: [`${source} ${decoded.problem}`] };
  if (decoded.text.trim() === '') return { problems: [`${source} is empty`] };
  let json: unknown;
  try {
    json = JSON.parse(decoded.text);
  } catch (err) {
    return { problems: [`${source} is not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { problems: [`${source}: must be a JSON object ({ "serverUrl": "https://…" })`] };
  return { policy: json as Record<string, unknown> };
}

/**
 * `reg query HKLM\Software\Policies\Tandem` output as policy values: REG_SZ as text,
 * REG_DWORD as numbers, REG_MULTI_SZ (which reg prints joined by a literal \0) as a list of
 * text. Unknown value names are kept so the check reports them.
 */
export function parseRegQuery(output: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s{2,}(\S+)\s+(REG_SZ|REG_EXPAND_SZ|REG_DWORD|REG_MULTI_SZ)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, name, type, value] = m;
    out[name] =
      type === 'REG_DWORD'
        ? Number.parseInt(value, 16)
        : type === 'REG_MULTI_SZ'
          ? value.trim().split('\\0').map((v) => v.trim()).filter(Boolean)
          : value.trim();
  }
  return out;
}

export function policyPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'win32') return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Tandem', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/Tandem/policy.json';
  return '/etc/tandem/policy.json';
}

export const REGISTRY_KEY = 'HKLM\\Software\\Policies\\Tandem';

/** What the loader needs from the machine; injected so every case is tested without one. */
export interface PolicyMachine {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** A packaged (release) build: TANDEM_POLICY is ignored. */
  packaged: boolean;
  /** The file's bytes, or null when it does not exist. */
  readFile(file: string): Uint8Array | null;
  /** `reg query` output for the key, or null when the key is absent (Windows only). */
  readRegistry?(key: string): string | null;
}

/**
 * The machine's policy. Registry values override the machine file key by key (Group
 * Policy wins); TANDEM_POLICY is read only in a development build and only when the machine
 * has no policy of its own.
 */
export function loadMachinePolicy(m: PolicyMachine): PolicyResult {
  const looked: string[] = [];
  const sources: string[] = [];
  const problems: string[] = [];
  let merged: Record<string, unknown> = {};
  const file = policyPath(m.platform, m.env);
  looked.push(file);
  const addFile = (f: string) => {
    const bytes = m.readFile(f);
    if (bytes === null) return;
    sources.push(f);
    const r = parsePolicyFile(bytes, f);
    if ('problems' in r) problems.push(...r.problems);
    else merged = { ...merged, ...r.policy };
  };
  addFile(file);
  if (m.platform === 'win32' && m.readRegistry) {
    looked.push(REGISTRY_KEY);
    const reg = m.readRegistry(REGISTRY_KEY);
    if (reg !== null) {
      const values = parseRegQuery(reg);
      if (Object.keys(values).length > 0) {
        sources.push(REGISTRY_KEY);
        merged = { ...merged, ...values };
      }
    }
  }
  const override = m.env.TANDEM_POLICY;
  if (override) {
    if (m.packaged) {
      if (sources.length === 0) looked.push(`TANDEM_POLICY=${override} (ignored: a release build reads only the machine's policy)`);
    } else if (sources.length === 0) {
      looked.push(override);
      addFile(override);
    }
  }
  if (sources.length === 0) return { state: 'not-configured', looked };
  if (problems.length > 0) return { state: 'invalid', sources, problems };
  const checked = checkPolicy(merged);
  const all = 'problems' in checked ? [...checked.problems] : [];
  const ca = merged.caFile;
  if (typeof ca === 'string' && (path.isAbsolute(ca) || path.win32.isAbsolute(ca))) {
    const pem = m.readFile(ca);
    if (pem === null) all.push(`caFile: ${ca} does not exist or cannot be read`);
    else if (!Buffer.from(pem).toString('latin1').includes('-----BEGIN CERTIFICATE-----')) all.push(`caFile: ${ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----); export the CA as Base-64 encoded X.509`);
  }
  if ('problems' in checked || all.length > 0) return { state: 'invalid', sources, problems: all };
  return { state: 'configured', policy: checked.policy, sources };
}

/** The embedded demo runs only when a developer asks for it, and never beside a machine policy. */
export function demoAllowed(m: { packaged: boolean; env: NodeJS.ProcessEnv }, policy: PolicyResult): boolean {
  return !m.packaged && m.env.TANDEM_DEMO === '1' && policy.state === 'not-configured';
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The screen a console without a usable policy shows: what is wrong and what IT must set. */
export function policyScreenHtml(result: Exclude<PolicyResult, { state: 'configured' }> | { state: 'failed'; problems: string[] }): string {
  const title = result.state === 'not-configured' ? 'Tandem is not configured on this machine' : result.state === 'invalid' ? "Tandem's machine policy has problems" : 'Tandem could not start';
  const lead =
    result.state === 'not-configured'
      ? `<p>IT must set a machine policy before this console can be used. Tandem looked in:</p><ul>${result.looked.map((l) => `<li><code>${escapeHtml(l)}</code></li>`).join('')}</ul>`
      : result.state === 'invalid'
        ? `<p>The policy in ${result.sources.map((s) => `<code>${escapeHtml(s)}</code>`).join(' and ')} cannot be used. Fix every problem below, then restart Tandem:</p><ul class="problems">${result.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`
        : `<ul class="problems">${result.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`;
  const keys = Object.entries(POLICY_KEYS)
    .map(([k, v]) => `<tr><td><code>${k}</code></td><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${escapeHtml(title)}</title>
<style>body{font:15px system-ui,sans-serif;background:#0b0f14;color:#e6edf3;margin:2rem;max-width:60rem}h1{font-size:1.4rem;color:#ffb4a8}code{background:#1c2430;padding:0 .25rem}td{padding:.2rem .6rem;vertical-align:top}.problems li{color:#ffd1c9;margin:.3rem 0}</style>
</head><body><main role="alert"><h1>${escapeHtml(title)}</h1>${lead}
<p>Dispatchers: use CAD and the clinician's direct line until IT has fixed this.</p>
<h2>Policy keys</h2><table>${keys}</table>
<p>See DEPLOYMENT.md in the installation folder. Example <code>policy.json</code>:</p>
<pre><code>{ "serverUrl": "https://sync.ecc.example:8443", "enrollmentKey": "…", "caFile": "C:\\\\ProgramData\\\\Tandem\\\\ecc-ca.pem" }</code></pre></main></body></html>`;
}

/** The core's sync settings from a policy: what src/launch/electron.ts gives the core, tested as is. */
export function syncConfigFromPolicy(
  policy: MachinePolicy,
  readText: (file: string) => string,
  machineId: string | null,
): { serverUrl: string; serverUrls: string[]; enrollmentToken?: string; enrollmentKey?: string; ca?: string; caSource?: string; machineId: string | null } {
  const serverUrls = serverUrlsOf(policy);
  return {
    serverUrl: serverUrls[0],
    serverUrls,
    enrollmentToken: policy.enrollmentToken,
    enrollmentKey: policy.enrollmentKey,
    ca: policy.caFile ? readText(policy.caFile) : undefined,
    caSource: policy.caFile,
    machineId,
  };
}
