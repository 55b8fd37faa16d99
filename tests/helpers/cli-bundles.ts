import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode } from '../../scripts/node-bundles.mjs';

/**
 * The command-line programs the tests start as child processes (the sync server, the headless
 * console host), bundled once per test run the way the release bundles them
 * (scripts/node-bundles.mjs). Started from a bundle, a child is up in about a second; under
 * tsx it compiled its sources first, 3 to 8 s each time on a busy 2-core machine, and the
 * suites start well over a hundred of them. What runs is also closer to what ships.
 *
 * Built by the runners' global setup (vitest.config.ts, playwright.config.ts). The host's
 * bundle sits three folders below the repository, as its source does, so that it finds
 * dist/renderer the same way; the directory import's worker is bundled beside it, where the
 * core looks for it (src/main/core/services/directory.ts).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.join(ROOT, 'dist', 'test');

export const CLI_BUNDLES = {
  server: path.join(DIR, 'server', 'cli.cjs'),
  host: path.join(DIR, 'host', 'cli.cjs'),
} as const;

export async function buildCliBundles(): Promise<void> {
  const src = (p: string) => path.join(ROOT, p);
  await Promise.all([
    bundleNode(src('src/server/cli.ts'), CLI_BUNDLES.server),
    bundleNode(src('src/main/host/cli.ts'), CLI_BUNDLES.host),
    bundleNode(src('src/main/core/services/hsds-worker.ts'), path.join(DIR, 'host', 'hsds-worker.cjs'), { external: [] }),
  ]);
}
