import { buildCliBundles } from './cli-bundles';

/** Once per Vitest run: the CLIs the integration tests start, bundled (tests/helpers/cli-bundles.ts). */
export default async function setup(): Promise<void> {
  await buildCliBundles();
}
