import { defineConfig } from 'vitest/config';

// Two projects: `unit` (tests/unit: pure functions, stores on temp files, the lint rule; no
// servers, no child processes; well under a minute) and `integration` (real servers on
// loopback, child processes, crash and restart). `npm run test:unit` / `test:integration`
// run one; `npx vitest run` runs both.
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], globalSetup: ['tests/helpers/vitest-global-setup.ts'] } },
    ],
  },
});
