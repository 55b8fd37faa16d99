/**
 * Seeds a console profile for the dashboard's end-to-end test:
 *   tsx tests/e2e/report.seed.ts <profile>
 * A month of program activity (bench/report-data.ts) for the demo clinicians, most of it
 * Chris Okafor's, written straight into the store.
 */
import path from 'node:path';
import { createCore } from '../../src/main/core';
import { hostKey } from '../../src/main/host/key';
import { reportRows, writeToConsole } from '../../bench/report-data';

async function main(): Promise<void> {
  const profile = process.argv[2];
  if (!profile) throw new Error('usage: report.seed.ts <profile>');
  const dir = path.resolve(profile);
  const core = await createCore({ profileDir: dir, key: hostKey(dir), demo: true });
  try {
    const now = new Date();
    const from = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
    writeToConsole(core.store.db, reportRows({ cases: 400, handoffs: 300, from, to: Math.max(from + 3_600_000, now.getTime() - 60_000), clinicians: ['u-chris', 'u-sam'] }));
  } finally {
    core.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
