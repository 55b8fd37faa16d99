// Runs @doyensec/electronegativity over one folder and prints its findings as JSON on stdout.
// Offline by construction: the scanner downloads translations and Electron's release list with
// `got` when it can; here `got` always fails at once, so it uses its bundled en-US strings and
// no network is touched (a CI machine or an ECC build box may have none).
// Usage: node electronegativity-scan.cjs <folder> <electronVersion>
'use strict';
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'got') return () => Promise.reject(Object.assign(new Error('offline: the scan never downloads'), { code: 'OFFLINE' }));
  return load.call(this, request, ...rest);
};
const [input, electronVersion] = process.argv.slice(2);
const run = require('@doyensec/electronegativity');
// Its progress chatter goes to stderr, so stdout is the JSON alone.
console.log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
(run.default || run)({
  input,
  customScan: [],
  excludeFromScan: [],
  isRelative: true,
  isVerbose: false,
  electronVersionOverride: electronVersion,
  parserPlugins: [],
})
  .then((result) => {
    const issues = result.issues.map((i) => ({
      id: i.id,
      file: i.file,
      line: i.location.line,
      severity: i.severity.name,
      severityValue: i.severity.value,
      confidence: i.confidence.name,
      description: i.description,
      sample: typeof i.sample === 'string' ? i.sample.trim().slice(0, 200) : undefined,
    }));
    process.stdout.write(JSON.stringify({ checks: result.globalChecks + result.atomicChecks, errors: result.errors, issues }));
  })
  .catch((err) => {
    process.stderr.write(`electronegativity failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  });
