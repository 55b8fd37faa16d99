import { test, expect } from '@playwright/test';
import { loadMachinePolicy, policyScreenHtml, type PolicyResult } from '../../src/main/electron/machine-policy';

/**
 * The screen a console without a usable machine policy shows, rendered in Chromium exactly
 * as the Electron shell serves it (its own CSP, no script): what a dispatcher and IT see.
 */
const machine = (files: Record<string, string>) => ({
  platform: 'linux' as const,
  env: {},
  packaged: true,
  readFile: (f: string) => (files[f] === undefined ? null : Buffer.from(files[f])),
});

test('no policy: "not configured", where Tandem looked and every key IT can set', async ({ page }) => {
  const result = loadMachinePolicy(machine({}));
  expect(result.state).toBe('not-configured');
  await page.setContent(policyScreenHtml(result as Exclude<PolicyResult, { state: 'configured' }>));
  await expect(page.getByRole('heading', { name: 'Tandem is not configured on this machine' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('/etc/tandem/policy.json');
  await expect(page.getByRole('alert')).toContainText("use CAD and the clinician's direct line");
  for (const key of ['serverUrl', 'enrollmentKey', 'caFile', 'lockAfterMinutes', 'globalHotkey']) await expect(page.getByRole('cell', { name: key, exact: true })).toBeVisible();
  await expect(page.getByRole('button')).toHaveCount(0);
});

test('a bad policy: every problem on one screen, hostile text shown as text', async ({ page }) => {
  const result = loadMachinePolicy(
    machine({ '/etc/tandem/policy.json': JSON.stringify({ serverUrl: 'http://localhost:1@evil.example/', demo: true, lockAfterMinutes: 99, '<img src=x onerror=alert(1)>': 1 }) }),
  );
  expect(result.state).toBe('invalid');
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.setContent(policyScreenHtml(result as Exclude<PolicyResult, { state: 'configured' }>));
  await expect(page.getByRole('heading', { name: "Tandem's machine policy has problems" })).toBeVisible();
  const problems = page.locator('.problems li');
  await expect(problems).toHaveCount(5);
  await expect(problems.filter({ hasText: 'the server is evil.example' })).toHaveCount(1);
  await expect(problems.filter({ hasText: 'must use https' })).toHaveCount(1);
  await expect(problems.filter({ hasText: 'demo cannot be turned on by a machine policy' })).toHaveCount(1);
  await expect(problems.filter({ hasText: /^lockAfterMinutes: / })).toHaveCount(1);
  await expect(problems.filter({ hasText: '<img src=x onerror=alert(1)>: not a policy key' })).toHaveCount(1);
  await expect(page.locator('img')).toHaveCount(0);
  expect(dialogs).toBe(0);
});
