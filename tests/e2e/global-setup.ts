import { buildCliBundles } from '../helpers/cli-bundles';
import { buildRenderer } from './helpers';

/** Once per Playwright run: the renderer, and the CLIs the specs start, bundled (tests/helpers/cli-bundles.ts). */
export default async function globalSetup(): Promise<void> {
  buildRenderer();
  await buildCliBundles();
}
