import { parentPort, workerData } from 'node:worker_threads';
import { PackageError, readAndParse } from './hsds-package';

/**
 * The worker thread of a directory import (directory.ts starts it): reads and parses one
 * package and posts progress, then the result or the refusal. Bundled as
 * dist/electron/hsds-worker.cjs (scripts/build-node.mjs); under tsx and Vitest it is loaded
 * through tsx.
 */
const port = parentPort;
if (port) {
  const { dir } = workerData as { dir: string };
  try {
    const result = readAndParse(dir, (p) => port.postMessage({ t: 'progress', p }));
    port.postMessage({ t: 'done', result });
  } catch (err) {
    if (err instanceof PackageError) port.postMessage({ t: 'refused', message: err.message, details: err.details });
    else port.postMessage({ t: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
}
