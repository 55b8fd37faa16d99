// Types for scripts/node-bundles.mjs (plain JavaScript, run by node without a loader).
import type { BuildOptions, BuildResult } from 'esbuild';
export const nodeBundleOptions: BuildOptions;
export function bundleNode(entry: string, outfile: string, overrides?: BuildOptions): Promise<BuildResult>;
