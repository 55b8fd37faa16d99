import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { startHost, tempProfile, type Host } from './helpers';

/**
 * The inactivity lock on a demo console: after the site's idle time the console locks, the
 * screen underneath and a draft stay, a wrong password is refused, the right one unlocks.
 * The page's clock is driven by Playwright, so ten idle minutes take no time.
 */
let host: Host;
let profile: string;

test.beforeEach(async () => {
  profile = tempProfile();
  host = await startHost({ profile, extraArgs: ['--demo'] });
});

test.afterEach(async () => {
  await host?.stop();
  fs.rmSync(profile, { recursive: true, force: true });
});

test('locks after ten idle minutes, keeps what was typed, unlocks with the password only', async ({ page }) => {
  await page.clock.install();
  await page.goto(host.url);
  await page.getByRole('button', { name: /^Clinician/ }).click();
  await page.getByRole('button', { name: /^Caseload/ }).click();
  const search = page.getByPlaceholder(/Name, phone or incident/);
  await search.fill('Thompson');

  await page.clock.fastForward('09:00');
  await expect(page.getByRole('dialog', { name: 'Console locked' })).toHaveCount(0);
  await page.clock.fastForward('02:00');
  const lock = page.getByRole('dialog', { name: 'Console locked' });
  await expect(lock).toBeVisible();
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.screenshot({ path: 'test-results/lock-screen.png', fullPage: true });

  await page.keyboard.type('not-the-password');
  await page.keyboard.press('Enter');
  await expect(lock.getByRole('alert')).toBeVisible();
  await expect(lock).toBeVisible();

  await page.getByLabel('Password').fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(lock).toHaveCount(0);
  await expect(search).toHaveValue('Thompson');
});
