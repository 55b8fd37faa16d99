import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { countPlaywright, countVitest } from '../../scripts/test-report.mjs';
import { tempDir } from '../helpers/tmp';

/**
 * Runs the tiny suites in tests/fixtures/test-report with today's vitest and Playwright and
 * counts their reports: the shapes the unit test (tests/unit/test-report.test.ts) is fed must
 * still be the ones these runners write.
 */
const run = promisify(execFile);
const FIXTURES = 'tests/fixtures/test-report';

/** Runs a command to its end, whatever its exit status; returns that status. */
async function exitStatusOf(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  try {
    await run(cmd, args, { env: { ...process.env, ...env }, timeout: 120_000 });
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

describe('counting what the runners write today', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  /** A report path in a fresh temporary folder, removed after the test. */
  function reportFile(): string {
    const { dir, cleanup } = tempDir('tandem-report-');
    cleanups.push(cleanup);
    return join(dir, 'report.json');
  }

  it('vitest: a file with a missing import and one with a syntax error each count as a named failure', async () => {
    const out = reportFile();
    const status = await exitStatusOf('npx', ['vitest', 'run', '--config', `${FIXTURES}/vitest/vitest.config.js`, '--reporter=json', `--outputFile.json=${out}`]);
    const t = countVitest(readJson(out), status);
    expect(t).toMatchObject({ passed: 2, failed: 3, skipped: 2 });
    expect(t.problems.filter((p) => p.includes('failed to load'))).toHaveLength(2);
  });

  it.each([
    ['', { passed: 1, failed: 1, skipped: 1 }, 'playwright: outcomes.check.ts > fails'],
    ['server-fails', { passed: 0, failed: 1, skipped: 0 }, 'playwright: Error: Process from config.webServer was not able to start'],
    ['config-throws', { passed: 0, failed: 1, skipped: 0 }, 'playwright: never started or produced no report'],
  ])('playwright %s', async (fixture, counts, problem) => {
    const out = reportFile();
    const status = await exitStatusOf('npx', ['playwright', 'test', '--config', `${FIXTURES}/playwright/playwright.config.ts`, '--reporter=json'], {
      TANDEM_FIXTURE: fixture,
      PLAYWRIGHT_JSON_OUTPUT_NAME: out,
    });
    const t = countPlaywright(readJson(out), status);
    expect(t).toMatchObject(counts);
    expect(t.problems[0]).toContain(problem);
  });
});
