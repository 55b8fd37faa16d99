// `npm test`: every check CI runs, in order, ending with one line `N passed, N failed, N skipped`
// that totals lint, typecheck, vitest (unit and integration) and Playwright. Lint and type
// errors count as failures; so does every test file that failed to load and every runner that
// never started or left no report (scripts/test-report.mjs does the counting).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { addTallies, closingLine, countCheck, countNotStarted, countPlaywright, countVitest } from './test-report.mjs';

// Absolute, so that a runner whose root is elsewhere still writes where this reads.
const VITEST_REPORT = resolve('test-results/vitest.json');
const PLAYWRIGHT_REPORT = resolve('test-results/playwright.json');

/** Runs one step in the foreground and returns its exit status (null if it never ran). */
function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const t = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) console.log(`=== ${name}: could not start: ${r.error.message}`);
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : `exit ${r.status}`} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return r.status;
}

/** The report a runner just wrote; undefined when it wrote none (or one that is not JSON). */
function readReport(file) {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

mkdirSync('test-results', { recursive: true });
// A report left by an earlier run must never be counted as this run's.
rmSync(VITEST_REPORT, { force: true });
rmSync(PLAYWRIGHT_REPORT, { force: true });

const tallies = [];
tallies.push(countCheck('lint', step('lint', 'npx', ['eslint', '.'])));
tallies.push(countCheck('typecheck', step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])));

// Vitest, both projects: unit, and integration against real SQLite files and real servers on loopback.
const vitestStatus = step('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_REPORT}`]);
tallies.push(countVitest(readReport(VITEST_REPORT), vitestStatus));

// Playwright: the real renderer in Debian's Chromium against real cores and a real server.
const buildStatus = step('build renderer', 'npm', ['run', '--silent', 'build:renderer']);
tallies.push(countCheck('build renderer', buildStatus));
if (buildStatus === 0) {
  const pwStatus = step('playwright', 'npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: PLAYWRIGHT_REPORT, TANDEM_E2E_NO_BUILD: '1' });
  tallies.push(countPlaywright(readReport(PLAYWRIGHT_REPORT), pwStatus));
} else {
  tallies.push(countNotStarted('playwright', 'the renderer did not build'));
}

const total = addTallies(tallies);
if (total.problems.length) console.log(`\nFailed:\n${total.problems.map((p) => `  ${p}`).join('\n')}`);
console.log(`\n${closingLine(total)}`);
process.exit(total.failed ? 1 : 0);
