import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addTallies, closingLine, countCheck, countNotStarted, countPlaywright, countVitest } from '../../scripts/test-report.mjs';

/**
 * The closing line of `npm test` counts everything. The reports are real: written by vitest and
 * Playwright running the tiny suites in tests/fixtures/test-report (paths rewritten to /repo);
 * tests/integration/test-report.test.ts runs those suites again and checks today's runners
 * still write what this counts.
 */
function fixture(name: string): unknown {
  return JSON.parse(readFileSync(`tests/fixtures/test-report/${name}`, 'utf8'));
}

describe('vitest report', () => {
  const report = fixture('vitest-report.json');

  it('counts tests, and each file that failed to load as one named failure', () => {
    const t = countVitest(report, 1, '/repo');
    expect(t).toMatchObject({ passed: 2, failed: 3, skipped: 2 });
    expect(t.problems).toEqual([
      expect.stringMatching(/^vitest: tests\/fixtures\/test-report\/vitest\/missing-import\.check\.js failed to load: Cannot find module '\.\/no-such-module\.js'/),
      'vitest: tests/fixtures/test-report/vitest/outcomes.check.js > fails',
      expect.stringMatching(/^vitest: tests\/fixtures\/test-report\/vitest\/syntax-error\.check\.js failed to load: Failed to parse source/),
    ]);
  });

  it('counts more failures than vitest itself does when files fail to load', () => {
    const own = report as { numFailedTests: number };
    expect(countVitest(report, 1, '/repo').failed).toBeGreaterThan(own.numFailedTests);
  });

  it('fails a run that left no report, naming the runner', () => {
    expect(countVitest(undefined, 1)).toEqual({ passed: 0, failed: 1, skipped: 0, problems: ['vitest: produced no report (exit 1)'] });
    expect(countVitest(undefined, null).problems).toEqual(['vitest: produced no report (did not run to an exit)']);
  });

  it('fails a run that found no test file', () => {
    expect(countVitest({ testResults: [] }, 0).problems).toEqual(['vitest: ran no test']);
  });

  it('fails a non-zero exit that the report does not explain (e.g. an unhandled error)', () => {
    const passing = { testResults: [{ name: '/repo/a.test.ts', status: 'passed', message: '', assertionResults: [{ fullName: 'a', status: 'passed' }] }] };
    expect(countVitest(passing, 0, '/repo')).toMatchObject({ passed: 1, failed: 0 });
    expect(countVitest(passing, 1, '/repo')).toMatchObject({ passed: 1, failed: 1, problems: ['vitest: exit 1 with no failure in its report'] });
  });

  it('names a file whose hook failed around passing tests', () => {
    const hookFailed = { testResults: [{ name: '/repo/a.test.ts', status: 'failed', message: 'Error: beforeAll threw', assertionResults: [{ fullName: 'a', status: 'skipped' }] }] };
    expect(countVitest(hookFailed, 1, '/repo').problems).toEqual(['vitest: a.test.ts failed outside its tests: Error: beforeAll threw']);
  });
});

describe('playwright report', () => {
  it('counts passed, failed (named) and skipped tests', () => {
    const t = countPlaywright(fixture('playwright-report.json'), 1);
    expect(t).toEqual({ passed: 1, failed: 1, skipped: 1, problems: ['playwright: outcomes.check.ts > fails'] });
  });

  it('fails a run whose webServer never started, naming the error', () => {
    const t = countPlaywright(fixture('playwright-webserver-failed.json'), 1);
    expect(t).toEqual({ passed: 0, failed: 1, skipped: 0, problems: ['playwright: Error: Process from config.webServer was not able to start. Exit code: 3'] });
  });

  it('fails a run that left no report (a config that cannot load writes none)', () => {
    expect(countPlaywright(undefined, 1).problems).toEqual(['playwright: never started or produced no report (exit 1)']);
  });

  it('fails a run with no test in it', () => {
    expect(countPlaywright({ stats: {}, suites: [], errors: [] }, 0).problems).toEqual(['playwright: ran no test']);
  });
});

describe('closing line', () => {
  it('totals every runner and check, and a runner that never started', () => {
    const total = addTallies([
      countCheck('lint', 0),
      countCheck('typecheck', 2),
      countVitest(fixture('vitest-report.json'), 1, '/repo'),
      countNotStarted('playwright', 'the renderer did not build'),
    ]);
    expect(closingLine(total)).toBe('3 passed, 5 failed, 2 skipped');
    expect(total.problems).toContain('typecheck: exit 2');
    expect(total.problems).toContain('playwright: never started (the renderer did not build)');
  });
});
