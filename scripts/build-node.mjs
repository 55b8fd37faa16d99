// Bundles the Node side for Electron and for deploying the sync server. Runtime
// dependencies stay external: electron-builder ships them (native modules must match
// Electron's ABI, which only a release machine with Electron's headers can build).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = ['electron', ...Object.keys(pkg.dependencies)];
// src/node/checkpointer.ts finds its module by __filename when bundled and by import.meta.url
// under tsx; the bundle never reaches the latter, so esbuild's note about it is silenced.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external,
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' },
};

await Promise.all([
  build({ ...common, entryPoints: ['src/launch/electron.ts'], outfile: 'dist/electron/main.cjs' }),
  // The preload runs sandboxed: one self-contained file that may require only 'electron'.
  build({ ...common, entryPoints: ['src/main/electron/preload.ts'], outfile: 'dist/electron/preload.cjs', external: ['electron'] }),
  // The directory import's worker thread: the core finds it beside main.cjs (services/directory.ts),
  // unpacked from the asar archive; self-contained (its packages are pure JavaScript), so it
  // needs nothing from node_modules inside the archive.
  build({ ...common, entryPoints: ['src/main/core/services/hsds-worker.ts'], outfile: 'dist/electron/hsds-worker.cjs', external: [] }),
  build({ ...common, entryPoints: ['src/server/cli.ts'], outfile: 'dist/server/cli.cjs' }),
]);
console.log('built dist/electron/main.cjs, dist/electron/preload.cjs, dist/electron/hsds-worker.cjs, dist/server/cli.cjs');
