import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededConsoleEachTest } from './helpers';

/**
 * Triage: a PHQ-9 with item 9 positive raises a safety alert whose next step (a C-SSRS) is due
 * now, and the case goes to the top of the queue; the C-SSRS done from the alert clears it.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = process.env.TANDEM_SHOTS ?? path.join(ROOT, 'test-results');

// Seeding, starting a console and the journey itself: minutes on a loaded 2-core machine.
test.describe.configure({ timeout: 600_000 });
test.use({ actionTimeout: 30_000 });

const consoleUnderTest = seededConsoleEachTest('tandem-e2e-triage-', 0);

test('a PHQ-9 item 9 alert is due now and tops the queue; the C-SSRS done from it clears it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(consoleUnderTest().host.url);
  await page.getByRole('button', { name: /^Clinician/ }).click();
  await page.getByRole('button', { name: 'Caseload' }).click();
  await page.locator('.q-row', { hasText: 'Dev Sharma' }).click();
  const title = page.getByRole('heading', { level: 1, name: 'Dev Sharma' });
  await expect(title).toBeVisible();
  await expect(page.locator('.cl-due')).toContainText(/^Due /);
  await expect(page.locator('.cl-due')).not.toContainText('now');

  // PHQ-9, item 9 positive.
  await page.keyboard.press('s');
  for (const k of ['1', '1', '0', '0', '0', '0', '0', '0', '1']) await page.keyboard.press(k);
  await expect(page.locator('.sc-result')).toContainText('Item 9 is positive');
  await page.keyboard.press('Enter');
  await expect(title).toBeVisible();
  const alert = page.getByRole('alert').filter({ hasText: 'Safety alert' });
  await expect(alert).toContainText('Do a C-SSRS now');
  // Its next step is due now (and overdue minutes later), not on Saturday.
  await expect(page.locator('.cl-due')).toContainText(/Due now|OVERDUE/);
  await page.screenshot({ path: path.join(SHOTS, 'triage-alert.png'), fullPage: true });
  expect((await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

  // First in the queue.
  await page.keyboard.press('Escape');
  await expect(page.locator('.q-row').first()).toContainText('Dev Sharma');
  await expect(page.locator('.q-row').first()).toHaveClass(/has-alert/);
  await page.locator('.q-row').first().click();

  // The step: a C-SSRS from the alert. Yes to Q1 (wish to be dead), no to Q2 and Q6: low risk.
  await alert.getByRole('button', { name: 'Start C-SSRS now' }).click();
  await expect(page.getByRole('heading', { name: /C-SSRS suicide risk screen/ })).toBeVisible();
  for (const k of ['y', 'n', 'n']) await page.keyboard.press(k);
  await expect(page.locator('.sc-result')).toContainText('Risk: low');
  await page.keyboard.press('Enter');
  await expect(title).toBeVisible();
  await expect(page.locator('.cl-flash')).toContainText('C-SSRS saved: low risk');
  await expect(page.getByRole('alert').filter({ hasText: 'Safety alert' })).toHaveCount(0);
  await expect(page.getByRole('list', { name: /Timeline/ }).locator('.tl-event').first()).toContainText('Safety alert cleared');
  await expect(page.locator('.cl-due')).toContainText(/^Due /);
  await page.screenshot({ path: path.join(SHOTS, 'triage-cleared.png'), fullPage: true });
  expect(errors).toEqual([]);
});
