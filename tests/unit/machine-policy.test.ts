import { describe, expect, it } from 'vitest';
import {
  checkPolicy,
  decodePolicyBytes,
  demoAllowed,
  loadMachinePolicy,
  parseRegQuery,
  policyPath,
  policyScreenHtml,
  POLICY_KEYS,
  MachinePolicy,
  REGISTRY_KEY,
  serverUrlsOf,
  syncConfigFromPolicy,
  type PolicyMachine,
  type PolicyResult,
} from '../../src/main/electron/machine-policy';

const LINUX_FILE = '/etc/tandem/policy.json';
const WIN_FILE = 'C:\\ProgramData\\Tandem\\policy.json';
const CA = '/etc/tandem/ecc-ca.pem';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A machine with these files (text or bytes), this registry output and environment. */
function machine(files: Record<string, string | Uint8Array>, opts: Partial<PolicyMachine> & { registry?: string | null } = {}): PolicyMachine {
  return {
    platform: opts.platform ?? 'linux',
    env: opts.env ?? {},
    packaged: opts.packaged ?? true,
    readFile: (f) => {
      const v = files[f];
      return v === undefined ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    },
    readRegistry: opts.registry === undefined ? undefined : () => opts.registry ?? null,
  };
}
const json = (o: unknown) => JSON.stringify(o);
const utf16le = (s: string, bom = true) => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => {
  const b = Buffer.from(s, 'utf16le');
  b.swap16();
  return Buffer.concat([Buffer.from([0xfe, 0xff]), b]);
};
const OK = { serverUrl: 'https://sync.ecc.example:8443' };

type Case = { name: string; files: Record<string, string | Uint8Array>; opts?: Parameters<typeof machine>[1]; expect: 'configured' | 'not-configured' | RegExp[] };

/** Each file or machine, and what Tandem must make of it: configured, not configured, or every listed problem. */
const CASES: Case[] = [
  { name: 'no policy file at all', files: {}, expect: 'not-configured' },
  { name: 'a minimal good policy', files: { [LINUX_FILE]: json(OK) }, expect: 'configured' },
  { name: 'a full good policy', files: { [LINUX_FILE]: json({ ...OK, enrollmentKey: 'k'.repeat(32), caFile: CA, lockAfterMinutes: 30, clinicianDirectLine: '555-0100', workstationName: 'dispatch-3', globalHotkey: 'Ctrl+Shift+F9' }), [CA]: PEM }, expect: 'configured' },
  { name: 'UTF-8 with a BOM (Notepad)', files: { [LINUX_FILE]: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json(OK))]) }, expect: 'configured' },
  { name: 'UTF-16 LE with a BOM (PowerShell 5 Out-File)', files: { [LINUX_FILE]: utf16le(json(OK)) }, expect: 'configured' },
  { name: 'UTF-16 LE without a BOM', files: { [LINUX_FILE]: utf16le(json(OK), false) }, expect: 'configured' },
  { name: 'UTF-16 BE with a BOM', files: { [LINUX_FILE]: utf16be(json(OK)) }, expect: 'configured' },
  { name: 'Latin-1 bytes that are not UTF-8', files: { [LINUX_FILE]: Buffer.from([0x7b, 0x22, 0xe9, 0xff, 0x22, 0x7d]) }, expect: [/neither UTF-8 nor UTF-16/] },
  { name: 'an empty file', files: { [LINUX_FILE]: '' }, expect: [/is empty/] },
  { name: 'broken JSON', files: { [LINUX_FILE]: '{ "serverUrl": ' }, expect: [/not valid JSON/] },
  { name: 'a JSON array', files: { [LINUX_FILE]: '[]' }, expect: [/must be a JSON object/] },
  { name: 'JSON null', files: { [LINUX_FILE]: 'null' }, expect: [/must be a JSON object/] },
  { name: 'serverUrl missing', files: { [LINUX_FILE]: json({ lockAfterMinutes: 5 }) }, expect: [/serverUrl: required/] },
  { name: 'plain http to another host', files: { [LINUX_FILE]: json({ serverUrl: 'http://sync.ecc.example' }) }, expect: [/must use https/] },
  { name: 'credentials that make localhost a user name', files: { [LINUX_FILE]: json({ serverUrl: 'http://localhost:1@evil.example/' }) }, expect: [/user name or password.*evil\.example/, /must use https/] },
  { name: 'https with credentials', files: { [LINUX_FILE]: json({ serverUrl: 'https://admin:pw@sync.ecc.example/' }) }, expect: [/user name or password/] },
  { name: 'a lookalike loopback host', files: { [LINUX_FILE]: json({ serverUrl: 'http://127.0.0.1.evil.example/' }) }, expect: [/must use https/] },
  { name: 'localhost as a subdomain', files: { [LINUX_FILE]: json({ serverUrl: 'http://localhost.evil.example:8080/' }) }, expect: [/must use https/] },
  { name: 'a javascript: URL', files: { [LINUX_FILE]: json({ serverUrl: 'javascript:alert(1)' }) }, expect: [/must be an https:\/\/ URL/] },
  { name: 'a file: URL', files: { [LINUX_FILE]: json({ serverUrl: 'file:///etc/passwd' }) }, expect: [/must be an https:\/\/ URL/] },
  { name: 'not a URL', files: { [LINUX_FILE]: json({ serverUrl: 'sync.ecc.example' }) }, expect: [/is not a URL/] },
  { name: 'a query string', files: { [LINUX_FILE]: json({ serverUrl: 'https://sync.ecc.example/?redirect=evil' }) }, expect: [/query or fragment/] },
  { name: 'a path', files: { [LINUX_FILE]: json({ serverUrl: 'https://sync.ecc.example/api' }) }, expect: [/root/] },
  { name: 'plain http on loopback is allowed', files: { [LINUX_FILE]: json({ serverUrl: 'http://127.0.0.1:8080' }) }, expect: 'configured' },
  { name: 'plain http on [::1] is allowed', files: { [LINUX_FILE]: json({ serverUrl: 'http://[::1]:8080/' }) }, expect: 'configured' },
  { name: 'demo: true', files: { [LINUX_FILE]: json({ ...OK, demo: true }) }, expect: [/demo: the demo cannot be turned on by a machine policy/] },
  { name: 'demo: false is still not a key', files: { [LINUX_FILE]: json({ ...OK, demo: false }) }, expect: [/demo:/] },
  { name: 'an unknown key', files: { [LINUX_FILE]: json({ ...OK, serverURL: 'https://x.example' }) }, expect: [/serverURL: not a policy key/] },
  { name: 'an updates block without its server', files: { [LINUX_FILE]: json({ ...OK, updates: { channel: 'pilot' } }) }, expect: [/updates\.url/] },
  { name: 'updates from plain http', files: { [LINUX_FILE]: json({ ...OK, updates: { url: 'http://updates.ecc.example/tandem/' } }) }, expect: [/updates\.url .*must use https/] },
  { name: 'an unknown updates channel and key', files: { [LINUX_FILE]: json({ ...OK, updates: { url: 'https://updates.ecc.example/tandem/', channel: 'nightly', verify: false } }) }, expect: [/updates\.channel/, /updates\.verify: not a key of updates/] },
  { name: 'updates from the ECC update server', files: { [LINUX_FILE]: json({ ...OK, updates: { url: 'https://updates.ecc.example/tandem/', channel: 'pilot' } }) }, expect: 'configured' },
  { name: 'lockAfterMinutes as text', files: { [LINUX_FILE]: json({ ...OK, lockAfterMinutes: '10' }) }, expect: [/lockAfterMinutes/] },
  { name: 'lockAfterMinutes above 30', files: { [LINUX_FILE]: json({ ...OK, lockAfterMinutes: 45 }) }, expect: [/lockAfterMinutes/] },
  { name: 'lockAfterMinutes zero', files: { [LINUX_FILE]: json({ ...OK, lockAfterMinutes: 0 }) }, expect: [/lockAfterMinutes/] },
  { name: 'every problem at once', files: { [LINUX_FILE]: json({ serverUrl: 'http://evil.example', lockAfterMinutes: 99, surprise: 1, workstationName: 7 }) }, expect: [/serverUrl: .*https/, /lockAfterMinutes/, /workstationName/, /surprise: not a policy key/] },
  { name: 'a short enrollment token', files: { [LINUX_FILE]: json({ ...OK, enrollmentToken: 'abc' }) }, expect: [/enrollmentToken/] },
  { name: 'both a token and a key', files: { [LINUX_FILE]: json({ ...OK, enrollmentToken: 't'.repeat(20), enrollmentKey: 'k'.repeat(32) }) }, expect: [/set one, not both/] },
  { name: 'a relative caFile', files: { [LINUX_FILE]: json({ ...OK, caFile: 'ca.pem' }) }, expect: [/absolute path/] },
  { name: 'a caFile that does not exist', files: { [LINUX_FILE]: json({ ...OK, caFile: CA }) }, expect: [/caFile: \/etc\/tandem\/ecc-ca.pem does not exist/] },
  { name: 'a caFile in DER, not PEM', files: { [LINUX_FILE]: json({ ...OK, caFile: CA }), [CA]: Buffer.from([0x30, 0x82, 0x01, 0x0a]) }, expect: [/holds no PEM certificate/] },
  { name: 'a global hotkey that is a letter', files: { [LINUX_FILE]: json({ ...OK, globalHotkey: 'A' }) }, expect: [/globalHotkey must be a function key/] },
  { name: 'a global hotkey that would swallow Alt+F4', files: { [LINUX_FILE]: json({ ...OK, globalHotkey: 'Alt+F4x' }) }, expect: [/globalHotkey/] },
  {
    name: "a user's TANDEM_POLICY in a release build is ignored",
    files: { '/home/u/evil.json': json({ serverUrl: 'https://evil.example' }) },
    opts: { env: { TANDEM_POLICY: '/home/u/evil.json' }, packaged: true },
    expect: 'not-configured',
  },
  {
    name: "a user's TANDEM_POLICY never replaces the machine's, even in development",
    files: { [LINUX_FILE]: json({ ...OK, lockAfterMinutes: 5 }), '/home/u/evil.json': 'not even json' },
    opts: { env: { TANDEM_POLICY: '/home/u/evil.json' }, packaged: false },
    expect: 'configured',
  },
  { name: 'TANDEM_POLICY in a development build without a machine policy', files: { '/tmp/dev.json': json(OK) }, opts: { env: { TANDEM_POLICY: '/tmp/dev.json' }, packaged: false }, expect: 'configured' },
  { name: 'Windows: the ProgramData file', files: { [WIN_FILE]: utf16le(json(OK)) }, opts: { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, registry: null }, expect: 'configured' },
  {
    name: 'Windows: Group Policy registry values alone',
    files: {},
    opts: { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, registry: `\r\n${REGISTRY_KEY}\r\n    serverUrl    REG_SZ    https://sync.ecc.example\r\n    lockAfterMinutes    REG_DWORD    0xf\r\n\r\n` },
    expect: 'configured',
  },
  { name: 'several instances of the server, as a list', files: { [LINUX_FILE]: json({ serverUrl: ['https://sync-a.ecc.example:8443', 'https://sync-b.ecc.example:8443'] }) }, expect: 'configured' },
  { name: 'a list of one server', files: { [LINUX_FILE]: json({ serverUrl: ['https://sync.ecc.example'] }) }, expect: 'configured' },
  { name: 'an empty list of servers', files: { [LINUX_FILE]: json({ serverUrl: [] }) }, expect: [/serverUrl: lists no server/] },
  {
    name: 'a list with a bad URL and one twice: each named',
    files: { [LINUX_FILE]: json({ serverUrl: ['https://sync-a.ecc.example', 'http://evil.example', 'https://sync-a.ecc.example/'] }) },
    expect: [/serverUrl\.1: .*must use https/, /serverUrl: lists https:\/\/sync-a\.ecc\.example\/ twice/],
  },
  { name: 'too many servers', files: { [LINUX_FILE]: json({ serverUrl: Array.from({ length: 9 }, (_, i) => `https://s${i}.ecc.example`) }) }, expect: [/serverUrl: lists more than 8 servers/] },
  { name: 'a server URL that is a number', files: { [LINUX_FILE]: json({ serverUrl: 8443 }) }, expect: [/serverUrl: must be a URL or a list of URLs/] },
  {
    name: 'Windows: several servers as a REG_MULTI_SZ value',
    files: {},
    opts: { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, registry: `${REGISTRY_KEY}\r\n    serverUrl    REG_MULTI_SZ    https://sync-a.ecc.example\\0https://sync-b.ecc.example\r\n` },
    expect: 'configured',
  },
  {
    name: 'Windows: a bad registry value is reported',
    files: { [WIN_FILE]: json(OK) },
    opts: { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, registry: `${REGISTRY_KEY}\r\n    serverUrl    REG_SZ    http://evil.example\r\n    Demo    REG_DWORD    0x1\r\n` },
    expect: [/serverUrl: .*must use https/, /Demo: not a policy key/],
  },
];

describe('machine policy: fail-closed', () => {
  it(`has 30+ cases (${CASES.length})`, () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  for (const c of CASES) {
    it(c.name, () => {
      const r = loadMachinePolicy(machine(c.files, c.opts));
      if (c.expect === 'configured' || c.expect === 'not-configured') {
        expect(r.state, JSON.stringify(r)).toBe(c.expect);
        return;
      }
      expect(r.state, JSON.stringify(r)).toBe('invalid');
      const problems = (r as Extract<PolicyResult, { state: 'invalid' }>).problems;
      for (const re of c.expect) expect(problems.some((p) => re.test(p)), `${re} in ${JSON.stringify(problems)}`).toBe(true);
      expect(problems.length).toBe(c.expect.length);
    });
  }

  it('the registry wins over the machine file key by key', () => {
    const r = loadMachinePolicy(
      machine(
        { [WIN_FILE]: json({ ...OK, lockAfterMinutes: 20, workstationName: 'from-file' }) },
        { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, registry: `${REGISTRY_KEY}\r\n    lockAfterMinutes    REG_DWORD    0x5\r\n` },
      ),
    );
    expect(r).toMatchObject({ state: 'configured', sources: [WIN_FILE, REGISTRY_KEY], policy: { lockAfterMinutes: 5, workstationName: 'from-file', serverUrl: OK.serverUrl } });
  });

  it('reads the values a policy carries, with the defaults (lock after 10 min, no DevTools, 14 days of offline sign-in)', () => {
    const r = loadMachinePolicy(machine({ [LINUX_FILE]: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json({ ...OK, workstationName: 'Dispatch — 3' }))]) }));
    expect(r).toEqual({ state: 'configured', sources: [LINUX_FILE], policy: { ...OK, workstationName: 'Dispatch — 3', lockAfterMinutes: 10, allowDevTools: false, offlineSignInDays: 14 } });
  });

  it('a release build never runs the demo; a developer asks for it explicitly', () => {
    const none: PolicyResult = { state: 'not-configured', looked: [LINUX_FILE] };
    expect(demoAllowed({ packaged: true, env: { TANDEM_DEMO: '1' } }, none)).toBe(false);
    expect(demoAllowed({ packaged: false, env: {} }, none)).toBe(false);
    expect(demoAllowed({ packaged: false, env: { TANDEM_DEMO: 'true' } }, none)).toBe(false);
    expect(demoAllowed({ packaged: false, env: { TANDEM_DEMO: '1' } }, none)).toBe(true);
    const configured = loadMachinePolicy(machine({ [LINUX_FILE]: json(OK) }));
    expect(demoAllowed({ packaged: false, env: { TANDEM_DEMO: '1' } }, configured)).toBe(false);
  });

  it('decodes each encoding to the same text', () => {
    const text = json({ serverUrl: 'https://sync.ecc.example', workstationName: 'Bü-3' });
    for (const bytes of [Buffer.from(text), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), utf16le(text), utf16le(text, false), utf16be(text)]) {
      expect(decodePolicyBytes(bytes)).toEqual({ text });
    }
  });

  it('parses reg query output', () => {
    expect(parseRegQuery(`\r\n${REGISTRY_KEY}\r\n    serverUrl    REG_SZ    https://a.example\r\n    lockAfterMinutes    REG_DWORD    0x1e\r\n    caFile    REG_EXPAND_SZ    C:\\ca.pem\r\n`)).toEqual({
      serverUrl: 'https://a.example',
      lockAfterMinutes: 30,
      caFile: 'C:\\ca.pem',
    });
  });

  it('reads REG_MULTI_SZ as a list, and gives the console the servers in order', () => {
    const values = parseRegQuery(`${REGISTRY_KEY}\r\n    serverUrl    REG_MULTI_SZ    https://a.example\\0https://b.example\r\n`);
    expect(values).toEqual({ serverUrl: ['https://a.example', 'https://b.example'] });
    const r = checkPolicy(values);
    if (!('policy' in r)) throw new Error(r.problems.join('; '));
    expect(serverUrlsOf(r.policy)).toEqual(['https://a.example', 'https://b.example']);
    expect(syncConfigFromPolicy(r.policy, () => '', null)).toMatchObject({ serverUrl: 'https://a.example', serverUrls: ['https://a.example', 'https://b.example'] });
    // The single-URL form is unchanged.
    const one = checkPolicy({ serverUrl: 'https://a.example' });
    if (!('policy' in one)) throw new Error(one.problems.join('; '));
    expect(syncConfigFromPolicy(one.policy, () => '', null)).toMatchObject({ serverUrl: 'https://a.example', serverUrls: ['https://a.example'] });
  });

  it('documents every key it accepts', () => {
    expect(Object.keys(POLICY_KEYS).sort()).toEqual(Object.keys(MachinePolicy.shape).sort());
    expect(policyPath('win32', { ProgramData: 'D:\\PD' })).toBe('D:\\PD\\Tandem\\policy.json');
  });

  it('the screen names every problem and escapes what it quotes', () => {
    const html = policyScreenHtml({ state: 'invalid', sources: [LINUX_FILE], problems: ['serverUrl "<script>alert(1)</script>" is not a URL', 'lockAfterMinutes: too big'] });
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('lockAfterMinutes: too big');
  });
});
