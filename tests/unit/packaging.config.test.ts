import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** electron-builder.yml against app-builder-lib's own schema, and the native-module check on real binaries. */
const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '../..');
const yaml = require('js-yaml') as { load(text: string): unknown };
const Ajv = require('ajv') as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] | null } };
const { nativeModuleProblems } = require(path.join(root, 'build/native-abi.cjs')) as {
  nativeModuleProblems(dir: string, target: { platform: string; arch: string; abi: number; electronVersion: string }): string[];
};

describe('packaging configuration', () => {
  const config = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(require('app-builder-lib/scheme.json') as object);

  it("is valid against app-builder-lib's schema", () => {
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('the schema check is not blind', () => {
    expect(validate({ ...config, linux: { ...(config.linux as object), executableNam: 'x' } })).toBe(false);
    expect(validate({ ...config, asar: 'yes' })).toBe(false);
  });

  it('has what deb/rpm and desktops need, and the maintainer scripts it names', () => {
    const pkg = require(path.join(root, 'package.json')) as Record<string, unknown>;
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.desktopName).toBe('tandem.desktop');
    expect((pkg.author as { email?: string }).email).toContain('@');
    const linux = config.linux as { icon: string };
    expect(fs.existsSync(path.join(root, linux.icon))).toBe(true);
    for (const k of ['deb', 'rpm']) {
      const c = config[k] as { afterInstall: string; afterRemove: string };
      const install = fs.readFileSync(path.join(root, c.afterInstall), 'utf8');
      expect(install).toContain('install -d -m 0755 /etc/tandem');
      expect(install).toContain('/var/log/tandem');
      expect(fs.existsSync(path.join(root, c.afterRemove))).toBe(true);
    }
    expect((pkg.scripts as Record<string, string>)['dist:release']).toContain('forceCodeSigning=true');
  });

  it.skipIf(process.platform === 'win32')('the deb/rpm script makes the machine folders the console uses: the store folder sticky and open to every user, as /tmp', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-postinst-'));
    try {
      // The script as packaged, with its absolute folders moved under a scratch root.
      const script = fs.readFileSync(path.join(root, (config.deb as { afterInstall: string }).afterInstall), 'utf8').replace(/ \/(etc|var)\//g, ` ${dir}/$1/`);
      expect(script, 'every machine path moved under the scratch root').not.toMatch(/[\s'"=]\/(etc|var)\//);
      fs.mkdirSync(path.join(dir, 'var/lib'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'var/log'), { recursive: true });
      // Upgrading from a release that made the store folder 0755.
      fs.mkdirSync(path.join(dir, 'var/lib/tandem'), { mode: 0o755 });
      const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const mode = (p: string) => fs.statSync(path.join(dir, p)).mode & 0o7777;
      expect(mode('var/lib/tandem')).toBe(0o1777);
      expect(mode('var/log/tandem')).toBe(0o1777);
      expect(mode('etc/tandem')).toBe(0o755);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the native-module check passes a module built for the target and refuses one that is not', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-abi-'));
    try {
      const sqlite = path.join(root, 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node');
      fs.copyFileSync(sqlite, path.join(dir, 'better_sqlite3.node'));
      const plainNode = { platform: 'linux', arch: 'x64', abi: Number(process.versions.modules), electronVersion: 'n/a' };
      expect(nativeModuleProblems(dir, plainNode)).toEqual([]);
      expect(nativeModuleProblems(dir, { ...plainNode, abi: 139, electronVersion: '38.8.6' })[0]).toMatch(/built for NODE_MODULE_VERSION \d+ \(plain Node\), Electron 38.8.6 needs 139/);
      expect(nativeModuleProblems(dir, { ...plainNode, arch: 'arm64' })[0]).toMatch(/built for linux-x64, the package is for linux-arm64/);
      fs.copyFileSync(path.join(root, 'node_modules/bufferutil/prebuilds/win32-x64/bufferutil.node'), path.join(dir, 'bufferutil.node'));
      expect(nativeModuleProblems(dir, plainNode)).toEqual([expect.stringMatching(/bufferutil\.node: built for win32-x64/)]);
      fs.writeFileSync(path.join(dir, 'bogus.node'), 'not a binary');
      expect(nativeModuleProblems(dir, plainNode)).toContainEqual('bogus.node: not a native binary');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
