import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededConsoleEachTest } from './helpers';

/**
 * The safety plan in Chromium against a real headless host (the demo caseload): write it with
 * the person, see it on the case and its version on the timeline, print it on one page.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'test-results');

const consoleUnderTest = seededConsoleEachTest('tandem-e2e-plan-', 0);

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `safety-plan-${name}.png`), fullPage });
}

test('a clinician writes a safety plan, versions it, and prints it on one page with 988 on it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(consoleUnderTest().host.url);
  await page.getByRole('button', { name: /^Clinician/ }).click();
  await page.getByRole('button', { name: 'Caseload' }).click();
  await page.locator('.q-row', { hasText: 'Riley Thompson' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Riley Thompson' })).toBeVisible();

  await expect(page.getByText('No safety plan on this case.')).toBeVisible();
  await page.getByRole('button', { name: 'Write a plan' }).click();
  const form = page.getByRole('form', { name: 'Safety plan' });
  // 988 is already on step 5.
  await expect(form.getByLabel(/Step 5/)).toHaveValue(/988/);
  // Nothing saved without warning signs: the form says what is missing.
  await form.getByRole('button', { name: 'Save this version' }).click();
  await expect(form.getByRole('alert')).toHaveText('Write at least one warning sign (step 1)');
  await form.getByLabel(/Step 1/).fill('Not sleeping\nPulling away from my sister');
  await form.getByLabel(/Step 2/).fill('Walk the dog\nMusic with headphones');
  await form.getByLabel(/Step 3/).fill('Library on Main St');
  await form.getByLabel(/Step 4/).fill('Sister Ana 617-555-0111');
  await form.getByLabel(/Step 6/).fill('Ana keeps the pills');
  await form.getByLabel(/worth living for/).fill('My daughter');
  await shot(page, 'form');
  await form.getByRole('button', { name: 'Save this version' }).click();
  await expect(page.locator('.cl-flash')).toContainText('Safety plan version 1 saved');
  const section = page.getByRole('region', { name: 'Safety plan' });
  await expect(section).toContainText('Version 1');
  await expect(section).toContainText('Pulling away from my sister');

  // A second version: the first stays on the timeline.
  await section.getByRole('button', { name: 'New version' }).click();
  await page.getByRole('form', { name: /Safety plan: new version/ }).getByLabel(/Step 2/).fill('Walk the dog\nMusic with headphones\nCold water on my face');
  await page.getByRole('button', { name: 'Save this version' }).click();
  await expect(page.locator('.cl-flash')).toContainText('Safety plan version 2 saved');
  const timeline = page.getByRole('list', { name: /Timeline/ });
  await expect(timeline.locator('.tl-event', { hasText: 'Safety plan · version' })).toHaveCount(2);
  await section.scrollIntoViewIfNeeded();
  await shot(page, 'on-case');

  // The printable page: alone, black on white, 988 on it, one page.
  await page.getByRole('button', { name: 'Print for the person' }).click();
  const printed = page.getByRole('article', { name: 'Safety plan, printable' });
  await expect(printed).toContainText('My Safety Plan');
  await expect(printed).toContainText('Riley Thompson · version 2');
  await expect(printed).toContainText('Cold water on my face');
  await expect(printed).toContainText('988 Suicide & Crisis Lifeline');
  await page.emulateMedia({ media: 'print' });
  await shot(page, 'printed', true);
  const pdf = await page.pdf({ format: 'Letter', preferCSSPageSize: true });
  fs.writeFileSync(path.join(SHOTS, 'safety-plan.pdf'), pdf);
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
  expect(pages).toHaveLength(1);
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Riley Thompson' })).toBeVisible();
  expect(errors).toEqual([]);
});
