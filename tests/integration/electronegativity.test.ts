import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { META_CSP } from '../../src/main/electron/policy';

/**
 * The security scan of the Electron shell (issue 14): @doyensec/electronegativity over the
 * Electron main and preload code, with the CSP the app really sends. Agreed level: nothing
 * above INFORMATIONAL. A finding that is not fixed is switched off where it is found with an
 * `eng-disable` comment, and explained in docs/SECURITY.md ("Electronegativity"); this test
 * holds both. The scan runs offline (tests/helpers/electronegativity-scan.cjs).
 */
const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const electronVersion = (JSON.parse(fs.readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-eneg-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Finding {
  id: string;
  file: string;
  line: number;
  severity: string;
  severityValue: number;
  confidence: string;
  description: string;
  sample?: string;
}

async function scan(dir: string): Promise<{ checks: number; errors: unknown[]; issues: Finding[] }> {
  const { stdout } = await run(process.execPath, [path.join(root, 'tests/helpers/electronegativity-scan.cjs'), dir, electronVersion], {
    cwd: root,
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
    // A LANG the scanner does not ship would be asked for online: en-US is bundled.
    env: { ...process.env, LANG: 'en-US' },
  });
  return JSON.parse(stdout) as { checks: number; errors: unknown[]; issues: Finding[] };
}

const above = (issues: Finding[]) => issues.filter((i) => i.severityValue > 0);
const describeFinding = (i: Finding) => `${i.id} ${i.severity}/${i.confidence} ${i.file}:${i.line} ${i.description}${i.sample ? ` — ${i.sample}` : ''}`;

/** What is scanned: the Electron shell (main and preload), its entry point, and the page's CSP as the built page carries it. */
function shellSources(): { dir: string; files: string[] } {
  const dir = path.join(scratch, 'shell');
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const f of fs.readdirSync(path.join(root, 'src/main/electron'))) {
    if (!f.endsWith('.ts')) continue;
    fs.copyFileSync(path.join(root, 'src/main/electron', f), path.join(dir, f));
    files.push(path.join(root, 'src/main/electron', f));
  }
  fs.copyFileSync(path.join(root, 'src/launch/electron.ts'), path.join(dir, 'launch-electron.ts'));
  files.push(path.join(root, 'src/launch/electron.ts'));
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${META_CSP}"></head><body></body></html>`);
  return { dir, files };
}

describe('electronegativity over the Electron shell', () => {
  it('finds what it is for, offline: a window with Node in the page and a weak CSP', async () => {
    const dir = path.join(scratch, 'bad');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'main.js'),
      `const { BrowserWindow } = require('electron');\nconst w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });\nw.loadURL('http://example.com/');\n`,
    );
    fs.writeFileSync(path.join(dir, 'index.html'), `<html><head><meta http-equiv="Content-Security-Policy" content="script-src 'unsafe-inline' *"></head></html>`);
    const result = await scan(dir);
    expect(result.checks).toBeGreaterThan(30);
    const ids = above(result.issues).map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining(['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'CSP_GLOBAL_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK']));
  }, 120_000);

  it('reports nothing above INFORMATIONAL, and every finding switched off in the code is explained in docs/SECURITY.md', async () => {
    const { dir, files } = shellSources();
    const result = await scan(dir);
    expect(result.errors, 'every file parses').toEqual([]);
    // The one finding kept, explained in docs/SECURITY.md: the CSP evaluator's "maybe weak" for
    // 'self' in script-src. Anything else about the CSP (a weak one is CERTAIN, not FIRM) fails.
    const accepted = (i: Finding) => i.id === 'CSP_GLOBAL_CHECK' && i.file === 'index.html' && i.confidence === 'FIRM' && i.severity === 'LOW' && /seems to be vulnerable/.test(i.description);
    expect(result.issues.filter(accepted)).toHaveLength(1);
    expect(above(result.issues).filter((i) => !accepted(i)).map(describeFinding), 'findings above INFORMATIONAL: fix them, or switch one off where it is found and explain it in docs/SECURITY.md').toEqual([]);

    const disabled = new Set<string>();
    for (const f of files) for (const m of fs.readFileSync(f, 'utf8').matchAll(/eng-disable[ \t]+([\w \t]+)/g)) for (const id of m[1].trim().split(/[\s,]+/)) disabled.add(id);
    expect(disabled.size).toBeGreaterThan(0);
    const security = fs.readFileSync(path.join(root, 'docs/SECURITY.md'), 'utf8');
    const section = security.slice(security.indexOf('## Electronegativity'));
    expect(security).toContain('## Electronegativity');
    for (const id of disabled) expect(section, `docs/SECURITY.md explains ${id}`).toMatch(new RegExp(`\`${id}\`[^\\n]*:`));
    expect(section, 'docs/SECURITY.md explains the CSP finding kept').toMatch(/`CSP_GLOBAL_CHECK`[^\n]*:/);
  }, 120_000);
});
