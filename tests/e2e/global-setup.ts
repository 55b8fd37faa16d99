import { buildCliBundles } from '../helpers/cli-bundles';

/** Once per Playwright run: the CLIs the specs start, bundled (tests/helpers/cli-bundles.ts). */
export default async function globalSetup(): Promise<void> {
  await buildCliBundles();
}
