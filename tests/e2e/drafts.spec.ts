import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededConsoleEachTest } from './helpers';

/**
 * Drafts everywhere on the case record: what a clinician types into any form (note, contact,
 * task, consent, closure, safety plan, PHQ-9, referral note, correction) is still there after
 * Esc, another screen, the inactivity lock and a reload, and is gone once the form is saved.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = process.env.TANDEM_SHOTS ?? path.join(ROOT, 'test-results');

// Seeding, starting a console and the journey itself: minutes on a loaded 2-core machine.
test.describe.configure({ timeout: 600_000 });
test.use({ actionTimeout: 30_000 });

const consoleUnderTest = seededConsoleEachTest('tandem-e2e-drafts-', 0);

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `drafts-${name}.png`), fullPage: true });
}

async function openRiley(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Caseload' }).click();
  await page.locator('.q-row', { hasText: 'Riley Thompson' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Riley Thompson' })).toBeVisible();
}

const actions = (page: Page) => page.getByRole('group', { name: 'Case actions' });

/** Every form's typed text, checked after each way of leaving it. */
async function expectAllDrafts(page: Page): Promise<void> {
  const title = page.getByRole('heading', { level: 1, name: 'Riley Thompson' });
  await expect(title).toBeVisible();
  for (const name of [/^Log contact/, /^Note/, /^Task/, /^Close case/]) await expect(actions(page).getByRole('button', { name })).toContainText('draft');

  await page.keyboard.press('n');
  await expect(page.getByLabel(/^Note/)).toHaveValue('Said she will call her sister tonight');
  await expect(page.getByRole('form', { name: 'Add a note' })).toContainText('Draft kept on this workstation');
  await page.keyboard.press('Escape');

  await page.keyboard.press('c');
  const contact = page.getByRole('form', { name: 'Log a contact attempt' });
  await expect(contact.getByLabel('Note (optional)')).toHaveValue('Voicemail full');
  await expect(contact.getByRole('radio', { name: /No answer/ })).toBeChecked();
  await expect(contact.getByRole('radio', { name: 'Text' })).toBeChecked();
  await page.keyboard.press('Escape');

  await page.keyboard.press('t');
  await expect(page.getByLabel('What to do')).toHaveValue('Ask the GP about a medication review');
  await page.keyboard.press('Escape');

  await page.keyboard.press('o');
  await expect(page.getByLabel('Share with')).toHaveValue('Harbor Counseling');
  await expect(page.getByRole('radio', { name: 'Yes, agrees' })).toBeChecked();
  await page.keyboard.press('Escape');

  await page.keyboard.press('x');
  await expect(page.getByLabel('Reason (required)')).toHaveValue('other');
  await expect(page.getByLabel('Other reason')).toHaveValue('Moved out of the county');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: /Write a plan/ }).click();
  await expect(page.getByRole('form', { name: 'Safety plan' }).getByLabel(/Step 1/)).toHaveValue('Not sleeping');
  await page.keyboard.press('Escape');

  // The screening comes back at the item it was left on, with its answers.
  await expect(actions(page).getByRole('button', { name: /^Screening/ })).toContainText('draft');
  await page.keyboard.press('s');
  await expect(page.getByText('Item 4 of 9')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Answers so far' }).locator('.sc-a').nth(1)).toHaveText('2');
  await page.keyboard.press('Escape');

  // The referral: listed as unfinished in the directory, its note kept.
  await expect(actions(page).getByRole('button', { name: /^Refer/ })).toContainText('draft');
  await page.keyboard.press('r');
  const unfinished = page.getByRole('list', { name: 'Unfinished referrals' });
  await expect(unfinished).toContainText('Community Counselling');
  await unfinished.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByLabel('Note for the referral (optional)')).toHaveValue('Prefers afternoons');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await expect(title).toBeVisible();
}

test('every form on the case record keeps its draft across Esc, screens, lock and reload; saving clears it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.clock.install();
  await page.goto(consoleUnderTest().host.url);
  await page.getByRole('button', { name: /^Clinician/ }).click();
  await openRiley(page);

  // Type into every form and leave each with Esc.
  await page.keyboard.press('n');
  await page.getByLabel(/^Note/).fill('Said she will call her sister tonight');
  await shot(page, 'note-form');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('form', { name: 'Add a note' })).toHaveCount(0);

  await page.keyboard.press('c');
  const contact = page.getByRole('form', { name: 'Log a contact attempt' });
  await contact.getByRole('radio', { name: 'Text' }).check();
  await contact.getByRole('radio', { name: /No answer/ }).check();
  await contact.getByLabel('Note (optional)').fill('Voicemail full');
  await page.keyboard.press('Escape');

  await page.keyboard.press('t');
  await page.getByLabel('What to do').fill('Ask the GP about a medication review');
  await page.keyboard.press('Escape');

  await page.keyboard.press('o');
  await page.getByLabel('Share with').fill('Harbor Counseling');
  await page.getByRole('radio', { name: 'Yes, agrees' }).check();
  await page.getByLabel('Share with').press('Escape');

  await page.keyboard.press('x');
  await page.getByLabel('Reason (required)').selectOption('other');
  await page.getByLabel('Other reason').fill('Moved out of the county');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: /Write a plan/ }).click();
  await page.getByRole('form', { name: 'Safety plan' }).getByLabel(/Step 1/).fill('Not sleeping');
  await page.keyboard.press('Escape');

  await page.keyboard.press('s');
  await expect(page.getByText('Item 1 of 9')).toBeVisible();
  for (const k of ['1', '2', '0']) await page.keyboard.press(k);
  await expect(page.getByText('Item 4 of 9')).toBeVisible();
  await page.keyboard.press('Escape');

  await page.keyboard.press('r');
  await page.getByLabel('Search services').fill('counsel');
  const svc = page.locator('.svc', { hasText: 'Community Counselling' });
  await expect(svc).toHaveCount(1);
  await svc.getByRole('button', { name: /Refer/ }).click();
  await page.getByLabel('Note for the referral (optional)').fill('Prefers afternoons');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('heading', { level: 1, name: 'Riley Thompson' })).toBeVisible();
  await shot(page, 'record-with-drafts');
  expect((await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

  // Esc: everything is back.
  await expectAllDrafts(page);

  // Another screen and back.
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Live calls' }).click();
  await page.getByRole('button', { name: 'Caseload' }).click();
  await page.locator('.q-row', { hasText: 'Riley Thompson' }).click();
  await expectAllDrafts(page);

  // The inactivity lock, with a form open.
  await page.keyboard.press('n');
  await page.clock.fastForward('11:00');
  const lock = page.getByRole('dialog', { name: 'Console locked' });
  await expect(lock).toBeVisible();
  await page.getByLabel('Password').fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(lock).toHaveCount(0);
  await expect(page.getByLabel(/^Note/)).toHaveValue('Said she will call her sister tonight');
  await page.getByLabel(/^Note/).press('Escape');

  // A restart of the window.
  await page.reload();
  await openRiley(page);
  await expectAllDrafts(page);

  // Saved: the draft is gone, the next note starts empty.
  await page.keyboard.press('n');
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('.cl-flash')).toContainText('Note added');
  await expect(page.getByRole('list', { name: /Timeline/ })).toContainText('Said she will call her sister tonight');
  await expect(actions(page).getByRole('button', { name: /^Note/ })).not.toContainText('draft');
  await page.keyboard.press('n');
  await expect(page.getByLabel(/^Note/)).toHaveValue('');
  await page.keyboard.press('Escape');

  // Discarded: the task form starts afresh.
  await page.keyboard.press('t');
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await expect(actions(page).getByRole('button', { name: /^Task/ })).not.toContainText('draft');
  await page.keyboard.press('t');
  await expect(page.getByLabel('What to do')).toHaveValue('');
  expect(errors).toEqual([]);
});
