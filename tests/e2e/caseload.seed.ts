/**
 * Seeds a console profile for the caseload end-to-end test and benchmark:
 *   tsx tests/e2e/caseload.seed.ts <profile> [extra open cases]
 * The demo seed (a few cases, one overdue, and the shipped HSDS directory), plus any
 * number of generated open cases written straight into the store.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../../src/main/core';
import { hostKey } from '../../src/main/host/key';
import { demoHsdsDir, seedDemo } from '../../src/launch/demo-seed';
import { fillQueue } from '../../bench/caseload-data';

async function main(): Promise<void> {
  const profile = process.argv[2];
  if (!profile) throw new Error('usage: caseload.seed.ts <profile> [extra open cases]');
  const extra = Number(process.argv[3] ?? 0);
  const dir = path.resolve(profile);
  const core = await createCore({ profileDir: dir, key: hostKey(dir), demo: true });
  try {
    await seedDemo(core, ['clinician'], { hsdsDir: demoHsdsDir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')) });
    if (extra > 0) fillQueue(core.store.db, { cases: extra, openShare: 1, eventsPerCase: 0, now: Date.now() });
  } finally {
    core.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
