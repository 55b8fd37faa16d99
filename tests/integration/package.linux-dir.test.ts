import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPackage } from '@electron/asar';
import { getCurrentFuseWire, FuseV1Options } from '@electron/fuses';
import { tempDir } from '../helpers/tmp';

/**
 * `electron-builder --linux dir` with a stand-in Electron (a file carrying Electron's fuse
 * sentinel: there is no Electron binary here), then what an ECC would install is checked:
 * the asar holds only what runs, the unpacked folder only native modules and their loaders,
 * the fuses are flipped, and the native-module check names the module built for plain Node.
 */
const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '../..');
const t = tempDir('tandem-pack-');
const out = path.join(t.dir, 'release');
const app = path.join(out, 'linux-unpacked');
const resources = path.join(app, 'resources');
let asar: string[] = [];
let log = '';

const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** @electron/fuses' FuseState (not exported from its index): the wire's bytes '0' and '1'. */
const DISABLE = '0'.charCodeAt(0);
const ENABLE = '1'.charCodeAt(0);
/** Packages the running app needs (production dependencies and theirs). */
let production = new Set<string>();

beforeAll(() => {
  // Build what is packed (the renderer only when missing: it is the slow half).
  const build = (script: string) => {
    const r = spawnSync('npm', ['run', '--silent', script], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`npm run ${script} failed: ${r.stderr}`);
  };
  build('build:node');
  if (!fs.existsSync(path.join(root, 'dist/renderer/index.html'))) build('build:renderer');
  const standIn = path.join(t.dir, 'stand-in');
  fs.mkdirSync(standIn, { recursive: true });
  // Electron's fuse wire as shipped: version 1, 8 fuses, RunAsNode/NodeOptions/Inspect on.
  fs.writeFileSync(path.join(standIn, 'electron'), Buffer.concat([Buffer.from('stand-in electron\n'), Buffer.from(FUSE_SENTINEL), Buffer.from([1, 8]), Buffer.from('10110001')]), { mode: 0o755 });
  const r = spawnSync(
    'npx',
    ['electron-builder', '--config', 'electron-builder.yml', '--linux', 'dir', `-c.electronDist=${standIn}`, '-c.npmRebuild=false', `-c.directories.output=${out}`],
    { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, TANDEM_PACK_TEST: '1' } },
  );
  log = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`electron-builder failed:\n${log}`);
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  // By name: electron-builder hoists a nested copy (fastify's semver) to the top.
  production = new Set(ls.stdout.split('\n').filter((p) => p.includes('node_modules')).map((p) => p.replace(/\\/g, '/').split('node_modules/').pop()!));
  asar = listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((p) => p.replace(/\\/g, '/'));
}, 400_000);

afterAll(() => t.cleanup());

const walk = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.relative(resources, path.join(dir, e.name)).replace(/\\/g, '/')]));

describe('the --linux dir package', () => {
  it('holds the bundles, the renderer and the runtime dependencies', () => {
    for (const f of ['/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/dist/renderer/index.html', '/package.json', '/node_modules/zod/package.json', '/node_modules/electron-log/package.json', '/node_modules/electron-updater/package.json', '/node_modules/better-sqlite3-multiple-ciphers/lib/index.js']) {
      expect(asar, f).toContain(f);
    }
    expect(fs.existsSync(path.join(app, 'tandem'))).toBe(true);
    expect(fs.readFileSync(path.join(resources, 'DEPLOYMENT.md'), 'utf8')).toMatch(/^# Deploying Tandem/);
    expect(fs.existsSync(path.join(resources, 'admx/Tandem.admx'))).toBe(true);
    // electron-updater refuses a Windows update not signed by this publisher (it skips the check without this file).
    expect(fs.readFileSync(path.join(resources, 'app-update.yml'), 'utf8')).toMatch(/publisherName:\n\s+- Tandem/);
  });

  it('carries nothing build-only, no sources, no tests, no renderer libraries the bundle already has', () => {
    const pkg = require(path.join(root, 'package.json')) as { devDependencies: Record<string, string> };
    const modules = new Set(
      asar
        .filter((p) => p.startsWith('/node_modules/'))
        .map((p) => p.split('/'))
        .filter((parts) => !parts[2].startsWith('@') || parts.length > 3)
        .map((parts) => parts.slice(2, parts[2].startsWith('@') ? 4 : 3).join('/')),
    );
    for (const dev of Object.keys(pkg.devDependencies).filter((d) => !production.has(d))) expect(modules.has(dev), `${dev} is a devDependency`).toBe(false);
    // Every packaged module is one the app needs at run time.
    expect([...modules].filter((m) => !production.has(m))).toEqual([]);
    for (const name of ['react', 'react-dom', 'zustand', '@tanstack/react-virtual', 'prebuild-install', 'typescript', 'vite']) expect(modules.has(name), name).toBe(false);
    expect(asar.filter((p) => /^\/(src|tests|bench|scripts|reference-data|docs)\//.test(p))).toEqual([]);
    expect(asar.filter((p) => /\.(ts|map|c|cc|cpp|h|hpp|gyp|gypi)$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
    expect(asar.filter((p) => /\/(test|tests|__tests__)\//.test(p))).toEqual([]);
  });

  it('unpacks only native modules and their loaders: no SQLite sources, no test extension, no other platforms', () => {
    const unpacked = walk(path.join(resources, 'app.asar.unpacked'));
    expect(unpacked.filter((f) => f.endsWith('.node')).sort()).toEqual([
      'app.asar.unpacked/node_modules/@node-rs/argon2-linux-x64-gnu/argon2.linux-x64-gnu.node',
      'app.asar.unpacked/node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node',
      'app.asar.unpacked/node_modules/bufferutil/prebuilds/linux-x64/bufferutil.node',
    ]);
    // Beside the native modules: the directory import's worker, started from a real file (services/directory.ts).
    expect(unpacked).toContain('app.asar.unpacked/dist/electron/hsds-worker.cjs');
    expect(unpacked.filter((f) => !/\.(node|js|json)$|\/LICENSE$/.test(f) && f !== 'app.asar.unpacked/dist/electron/hsds-worker.cjs')).toEqual([]);
    const bytes = unpacked.reduce((n, f) => n + fs.statSync(path.join(resources, f)).size, 0);
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
  });

  it('flips the fuses on the packaged binary', async () => {
    const wire = await getCurrentFuseWire(path.join(app, 'tandem'));
    expect(wire[FuseV1Options.RunAsNode]).toBe(DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(DISABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(ENABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(ENABLE);
  });

  it('names the native module built for plain Node, and a release pack fails on it', async () => {
    const problems = fs.readFileSync(path.join(app, 'native-abi-problems.txt'), 'utf8');
    expect(problems).toMatch(/better_sqlite3\.node: built for NODE_MODULE_VERSION \d+ \(plain Node\), Electron [\d.]+ needs \d+/);
    expect(problems).toContain("rebuild it against Electron's headers");
    expect(problems).not.toMatch(/argon2|bufferutil/);
    expect(log).toContain('a test pack, not a release');
    // The same hook without the test flag: the build stops.
    const afterPack = (require(path.join(root, 'build/after-pack.cjs')) as { default: (c: unknown) => Promise<void> }).default;
    const saved = process.env.TANDEM_PACK_TEST;
    delete process.env.TANDEM_PACK_TEST;
    try {
      const context = { electronPlatformName: 'linux', appOutDir: app, arch: 1, packager: { appInfo: { productFilename: 'Tandem' }, executableName: 'tandem', config: {} } };
      await expect(afterPack(context)).rejects.toThrow(/Native modules that would not load in Electron .*better_sqlite3\.node/s);
    } finally {
      if (saved !== undefined) process.env.TANDEM_PACK_TEST = saved;
    }
  });
});
