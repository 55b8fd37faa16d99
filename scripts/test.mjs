// `npm test`: every check CI runs, in order, ending with one line `N passed, N failed`
// that totals every test runner. Lint and type errors count as failures.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const t = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : `exit ${r.status}`} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return r.status === 0;
}

function check(name, cmd, args) {
  if (step(name, cmd, args)) passed += 1;
  else {
    failed += 1;
    problems.push(name);
  }
}

mkdirSync('test-results', { recursive: true });
check('lint', 'npx', ['eslint', '.']);
check('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);

// Vitest: unit and integration tests against real SQLite files and real servers on loopback.
const vitestOk = step('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json']);
if (existsSync('test-results/vitest.json')) {
  const v = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  if (v.numFailedTests || !vitestOk) problems.push('vitest');
  if (!vitestOk && v.numFailedTests === 0) failed += 1; // a suite that failed to load
} else {
  failed += 1;
  problems.push('vitest (no report)');
}

// Playwright: the real renderer in Debian's Chromium against real cores and a real server.
if (step('build renderer', 'npm', ['run', '--silent', 'build:renderer'])) {
  const pwOk = step('playwright', 'npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/playwright.json' });
  if (existsSync('test-results/playwright.json')) {
    const s = JSON.parse(readFileSync('test-results/playwright.json', 'utf8')).stats;
    passed += s.expected + (s.flaky ?? 0);
    failed += s.unexpected;
    skipped += s.skipped;
    if (s.unexpected || !pwOk) problems.push('playwright');
    if (!pwOk && s.unexpected === 0) failed += 1;
  } else {
    failed += 1;
    problems.push('playwright (no report)');
  }
} else {
  failed += 1;
  problems.push('build renderer');
}

if (problems.length) console.log(`\nFailed: ${problems.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
