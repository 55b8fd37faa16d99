import { test, expect, _electron as electron } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The same flow through the real Electron shell. It runs wherever an Electron binary is
 * installed; the build machines install with ELECTRON_SKIP_BINARY_DOWNLOAD=1 and cannot
 * download one, so there it is skipped, saying why.
 */
function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();

test.describe('Electron shell', () => {
  test.skip(binary === null, 'No Electron binary here (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1); runs where Electron is installed');

  test('opens the demo console, signs in and creates an incident by keyboard', async () => {
    const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
    expect(build.status).toBe(0);
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-electron-'));
    const app = await electron.launch({
      executablePath: binary!,
      args: ['.', `--user-data-dir=${userData}`],
      env: { ...process.env, TANDEM_POLICY: path.join(userData, 'no-policy.json'), TANDEM_DEMO: '1' },
    });
    const page = await app.firstWindow();
    await expect(page).toHaveURL(/^app:\/\/tandem\//);
    // The shell refuses to navigate anywhere else. A listener added after the shell's records
    // each attempt once the shell has had its say: proof the attempt arrived and was refused.
    type Attempts = { navigationAttempts?: { url: string; prevented: boolean }[] };
    await app.evaluate(({ BrowserWindow }) => {
      const g = globalThis as Attempts;
      g.navigationAttempts = [];
      BrowserWindow.getAllWindows()[0].webContents.on('will-navigate', (event, url) => g.navigationAttempts!.push({ url, prevented: event.defaultPrevented }));
    });
    await page.evaluate(() => {
      window.location.href = 'https://example.com/';
    });
    await expect.poll(() => app.evaluate(() => (globalThis as Attempts).navigationAttempts)).toEqual([{ url: 'https://example.com/', prevented: true }]);
    await expect(page).toHaveURL(/^app:\/\/tandem\//);
    // No Node in the page; only the one preload object.
    expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => typeof (window as unknown as { tandem?: { call?: unknown } }).tandem?.call)).toBe('function');

    await page.getByRole('button', { name: /dispatcher/i }).first().click();
    await page.keyboard.press('n');
    await page.keyboard.type('Welfare check — electron');
    await page.keyboard.press('Tab');
    await page.keyboard.type('10 Electron Way');
    await page.keyboard.press('Enter');
    await expect(page.getByText('10 Electron Way')).toBeVisible();
    await page.screenshot({ path: 'test-results/electron-dispatcher.png' });
    await app.close();
  });

  test('without a machine policy or the developer flag it shows "not configured", not the demo', async () => {
    const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
    expect(build.status).toBe(0);
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-electron-'));
    // Everything but the developer's demo flag.
    const env = Object.fromEntries(Object.entries({ ...process.env, TANDEM_POLICY: path.join(userData, 'no-policy.json') }).filter((e): e is [string, string] => e[0] !== 'TANDEM_DEMO' && e[1] !== undefined));
    const app = await electron.launch({ executablePath: binary!, args: ['.', `--user-data-dir=${userData}`], env });
    const page = await app.firstWindow();
    await expect(page.getByRole('heading', { name: 'Tandem is not configured on this machine' })).toBeVisible();
    await expect(page.getByRole('button', { name: /dispatcher/i })).toHaveCount(0);
    expect(await page.evaluate(() => typeof (window as unknown as { tandem?: unknown }).tandem).catch(() => 'undefined')).toBe('undefined');
    await app.close();
  });

  test('a bad machine policy lists every problem and never falls back to the demo', async () => {
    const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
    expect(build.status).toBe(0);
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-electron-'));
    const policy = path.join(userData, 'policy.json');
    // As PowerShell 5 writes it: UTF-16 LE with a BOM.
    fs.writeFileSync(policy, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify({ serverUrl: 'http://localhost:1@evil.example/', demo: true }), 'utf16le')]));
    const app = await electron.launch({ executablePath: binary!, args: ['.', `--user-data-dir=${userData}`], env: { ...process.env, TANDEM_POLICY: policy, TANDEM_DEMO: '1' } });
    const page = await app.firstWindow();
    await expect(page.getByRole('heading', { name: "Tandem's machine policy has problems" })).toBeVisible();
    await expect(page.locator('.problems li')).toHaveCount(3);
    await expect(page.getByRole('button', { name: /dispatcher/i })).toHaveCount(0);
    await app.close();
  });
});
