// Bundles the Node side for Electron and for deploying the sync server (scripts/node-bundles.mjs
// says how).
import { bundleNode } from './node-bundles.mjs';

await Promise.all([
  bundleNode('src/launch/electron.ts', 'dist/electron/main.cjs'),
  // The preload runs sandboxed: one self-contained file that may require only 'electron'.
  bundleNode('src/main/electron/preload.ts', 'dist/electron/preload.cjs', { external: ['electron'] }),
  // The directory import's worker thread: the core finds it beside main.cjs (services/directory.ts),
  // unpacked from the asar archive; self-contained (its packages are pure JavaScript), so it
  // needs nothing from node_modules inside the archive.
  bundleNode('src/main/core/services/hsds-worker.ts', 'dist/electron/hsds-worker.cjs', { external: [] }),
  bundleNode('src/server/cli.ts', 'dist/server/cli.cjs'),
]);
console.log('built dist/electron/main.cjs, dist/electron/preload.cjs, dist/electron/hsds-worker.cjs, dist/server/cli.cjs');
