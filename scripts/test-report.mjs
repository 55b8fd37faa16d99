// The counting behind `npm test`'s closing line. Each function turns what one runner left
// behind (an exit status and, for test runners, its JSON report or none) into a tally:
// passed, failed and skipped counts and a named problem for every failure. A runner that
// never started, wrote no report, ran no test, or exited non-zero without a failure in its
// report counts as one failure; so does every test file that failed to load.
import { relative } from 'node:path';

/** @typedef {{ passed: number, failed: number, skipped: number, problems: string[] }} Tally */

/** @returns {Tally} */
export function emptyTally() {
  return { passed: 0, failed: 0, skipped: 0, problems: [] };
}

/** @param {Tally[]} tallies @returns {Tally} */
export function addTallies(tallies) {
  const total = emptyTally();
  for (const t of tallies) {
    total.passed += t.passed;
    total.failed += t.failed;
    total.skipped += t.skipped;
    total.problems.push(...t.problems);
  }
  return total;
}

/** The one line the whole run ends with. @param {Tally} tally */
export function closingLine(tally) {
  return `${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`;
}

/** A check without tests of its own (lint, typecheck, a build): one pass or one failure. */
export function countCheck(name, exitStatus) {
  const t = emptyTally();
  if (exitStatus === 0) t.passed = 1;
  else fail(t, `${name}: ${exitText(exitStatus)}`);
  return t;
}

/** A runner that could not be started at all (e.g. the build it needs failed). */
export function countNotStarted(name, reason) {
  const t = emptyTally();
  fail(t, `${name}: never started (${reason})`);
  return t;
}

/**
 * Vitest's JSON report (`--reporter=json`). A test file that failed to load (missing import,
 * syntax error, an error thrown at collection) has status "failed" and no failed test: it
 * counts as one failure, named with vitest's message.
 * @param {unknown} report the parsed report, or undefined when none was written
 * @param {number | null} exitStatus
 * @param {string} root paths in problems are shown relative to it
 */
export function countVitest(report, exitStatus, root = process.cwd()) {
  const t = emptyTally();
  if (!isObject(report) || !Array.isArray(report.testResults)) {
    fail(t, `vitest: produced no report (${exitText(exitStatus)})`);
    return t;
  }
  for (const file of report.testResults) {
    const name = relative(root, String(file.name));
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'passed') t.passed += 1;
      else if (test.status === 'failed') fail(t, `vitest: ${name} > ${test.fullName}`);
      else t.skipped += 1; // skipped, pending, todo
    }
    const tests = file.assertionResults ?? [];
    if (file.status === 'failed' && !tests.some((test) => test.status === 'failed')) {
      // No test of its own failed: the file never loaded, or a hook around its tests threw.
      const where = tests.length === 0 ? 'failed to load' : 'failed outside its tests';
      fail(t, `vitest: ${name} ${where}: ${firstLine(file.message) || 'no message'}`);
    }
  }
  closeRunner(t, 'vitest', report.testResults.length, exitStatus);
  return t;
}

/**
 * Playwright's JSON report (`--reporter=json`). Errors outside any test (a webServer that did
 * not start, a global setup that threw, a spec file that failed to load) each count as one
 * failure. A config that cannot load writes no report at all.
 * @param {unknown} report the parsed report, or undefined when none was written
 * @param {number | null} exitStatus
 */
export function countPlaywright(report, exitStatus) {
  const t = emptyTally();
  if (!isObject(report) || !isObject(report.stats)) {
    fail(t, `playwright: never started or produced no report (${exitText(exitStatus)})`);
    return t;
  }
  let tests = 0;
  for (const { file, title, status } of playwrightTests(report.suites ?? [])) {
    tests += 1;
    if (status === 'expected' || status === 'flaky') t.passed += 1;
    else if (status === 'skipped') t.skipped += 1;
    else fail(t, `playwright: ${file} > ${title}`);
  }
  for (const error of report.errors ?? []) fail(t, `playwright: ${firstLine(error.message) || 'an error outside any test'}`);
  closeRunner(t, 'playwright', tests, exitStatus);
  return t;
}

/**
 * Every test in Playwright's nested suites, with the spec's file and full title. The top-level
 * suites are files (titled with the file name); the ones below are `describe` blocks.
 */
function* playwrightTests(suites, titles = undefined) {
  for (const suite of suites) {
    const path = titles === undefined ? [] : [...titles, suite.title];
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const project = test.projectName ? `[${test.projectName}] ` : '';
        yield { file: spec.file, title: project + [...path, spec.title].join(' > '), status: test.status };
      }
    }
    yield* playwrightTests(suite.suites ?? [], path);
  }
}

/** A run with no test in it, or a non-zero exit that its report does not explain, fails. */
function closeRunner(t, name, units, exitStatus) {
  if (units === 0 && t.failed === 0) fail(t, `${name}: ran no test`);
  else if (exitStatus !== 0 && t.failed === 0) fail(t, `${name}: ${exitText(exitStatus)} with no failure in its report`);
}

function fail(t, problem) {
  t.failed += 1;
  t.problems.push(problem);
}

function exitText(exitStatus) {
  return exitStatus === null || exitStatus === undefined ? 'did not run to an exit' : `exit ${exitStatus}`;
}

function firstLine(text) {
  return String(text ?? '').split('\n')[0].trim();
}

function isObject(value) {
  return typeof value === 'object' && value !== null;
}
