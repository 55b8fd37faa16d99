// How the Node side is bundled (esbuild), shared by the release build (scripts/build-node.mjs)
// and the tests, which run the CLIs from the same kind of bundle (tests/helpers/cli-bundles.ts).
// Runtime dependencies stay external: electron-builder ships them (native modules must match
// Electron's ABI, which only a release machine with Electron's headers can build).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// src/node/checkpointer.ts finds its module by __filename when bundled and by import.meta.url
// under tsx; the bundle never reaches the latter, so esbuild's note about it is silenced.
export const nodeBundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['electron', ...Object.keys(pkg.dependencies)],
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' },
};

/** Bundles one entry point to one CommonJS file; `overrides` replace any option above. */
export function bundleNode(entry, outfile, overrides = {}) {
  return build({ ...nodeBundleOptions, entryPoints: [entry], outfile, ...overrides });
}
