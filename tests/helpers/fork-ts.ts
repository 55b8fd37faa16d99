import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode } from '../../scripts/node-bundles.mjs';

const childArgs = () => (process.env.TANDEM_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * A TypeScript module in a child Node process with an IPC channel (tsx as the loader). Extra
 * Node flags for the child come from TANDEM_CHILD_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
 * to profile a server or console process under a benchmark.
 */
export function forkTs(module: URL, env: Record<string, string>): ChildProcess {
  return fork(module.pathname, [], {
    execArgv: ['--import', 'tsx', ...childArgs()],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundles = new Map<string, Promise<string>>();

/**
 * The module bundled (scripts/node-bundles.mjs) into dist/test/children, once per process and
 * from the current sources: a child started from it is up in about a second, where tsx
 * compiled for 3 to 8 s on a busy machine (tests and benchmarks that kill and restart server
 * instances start dozens). Written under a temporary name and renamed, so that test processes
 * bundling at once never load a half-written file.
 */
export function bundled(module: URL): Promise<string> {
  const src = fileURLToPath(module);
  let p = bundles.get(src);
  if (!p) {
    const out = path.join(ROOT, 'dist', 'test', 'children', `${path.basename(src, '.ts')}.cjs`);
    const tmp = `${out}.${process.pid}.tmp.cjs`;
    p = bundleNode(src, tmp, { sourcemap: false }).then(() => {
      fs.renameSync(tmp, out);
      return out;
    });
    bundles.set(src, p);
  }
  return p;
}

/** As forkTs, from the module's bundle (see `bundled`). */
export async function forkBundled(module: URL, env: Record<string, string>): Promise<ChildProcess> {
  return fork(await bundled(module), [], {
    execArgv: childArgs(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
