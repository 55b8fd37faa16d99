import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededConsoleEachTest } from './helpers';

/**
 * The clinician's caseload, end to end in Chromium against a real headless host: open the
 * queue, find the overdue case by keyboard, log a contact attempt, run a PHQ-9, refer to a
 * directory service, close the case; reload, and everything is still there.
 * The profile is seeded first (tests/e2e/caseload.seed.ts): the demo caseload and the
 * shipped Open Referral HSDS example imported through directory.import.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'test-results');
const LEGACY = path.join(ROOT, 'tests', 'fixtures', 'hsds-1x');

const consoleUnderTest = seededConsoleEachTest('tandem-e2e-caseload-', 400);

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `caseload-${name}.png`) });
}

test('clinician works an overdue case by keyboard: contact, PHQ-9, referral, closure; all still there after a reload', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto(consoleUnderTest().host.url);
  await page.getByRole('button', { name: /^Clinician/ }).click();
  await page.getByRole('button', { name: 'Caseload' }).click();

  // The queue: 404 open cases, overdue ones first and marked plainly.
  const list = page.getByRole('listbox', { name: /Follow-up queue/ });
  await expect(list).toBeVisible();
  await expect(page.locator('.q-row').first()).toContainText('OVERDUE');
  await expect(page.getByText(/\d+ overdue/)).toBeVisible();
  await shot(page, 'queue');

  // Find Riley Thompson (overdue by 5 h) by keyboard: / to search, type, Enter opens.
  await page.keyboard.press('/');
  await expect(page.getByLabel(/Search by name, phone or incident number/)).toBeFocused();
  await page.keyboard.type('riley thom');
  const riley = page.locator('.q-row', { hasText: 'Riley Thompson' });
  await expect(riley).toHaveCount(1);
  await expect(riley).toHaveClass(/is-overdue/);
  await expect(riley).toHaveAttribute('aria-selected', 'true');
  // The same case by the last four digits of the phone number.
  await page.keyboard.press('Control+a');
  await page.keyboard.type('0150');
  await expect(page.locator('.q-row').first()).toContainText('Riley Thompson');
  await page.keyboard.press('Enter');

  const title = page.getByRole('heading', { level: 1, name: 'Riley Thompson' });
  await expect(title).toBeVisible();
  await expect(page.locator('.cl-due')).toContainText('OVERDUE');

  // Log a contact attempt: C, 2 = left message, a note, Ctrl+Enter.
  await page.keyboard.press('c');
  await expect(page.getByRole('form', { name: 'Log a contact attempt' })).toBeVisible();
  await page.keyboard.press('2');
  await page.getByLabel('Note (optional)').fill('Left voicemail with 988 info');
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('.cl-flash')).toContainText('Contact attempt logged');
  const timeline = page.getByRole('list', { name: /Timeline/ });
  await expect(timeline.locator('.tl-event').first()).toContainText('Left message');
  // Not reached: tried again tomorrow, so no longer overdue.
  await expect(page.locator('.cl-due')).not.toContainText('OVERDUE');

  // PHQ-9 by keys 0–3; item 9 positive.
  await page.keyboard.press('s');
  await expect(page.getByRole('heading', { name: /PHQ-9 depression screen/ })).toBeVisible();
  for (const k of ['1', '2', '1', '1', '0', '1', '0', '0']) await page.keyboard.press(k);
  await expect(page.getByText('Item 9 of 9')).toBeVisible();
  await page.keyboard.press('1');
  const result = page.locator('.sc-result');
  await expect(result).toContainText('Score 7 of 27 — mild');
  await expect(result).toContainText('Item 9 is positive');
  await expect(result).toContainText(/Next step: Act now/);
  await shot(page, 'screening');
  await page.keyboard.press('Enter');
  await expect(title).toBeVisible();
  await expect(page.locator('.cl-flash')).toContainText('PHQ-9 saved: 7 — mild, item 9 positive');
  await expect(page.getByRole('alert').filter({ hasText: 'Safety alert' })).toContainText('PHQ-9 item 9 positive');
  await expect(page.locator('.cl-chips')).toContainText('High risk');

  // Refer to a directory service: R, search, Enter, Enter.
  await page.keyboard.press('r');
  await expect(page.getByRole('heading', { name: /^Refer/ })).toBeVisible();
  await expect(page.getByLabel('Search services')).toBeFocused();
  await page.keyboard.type('counsel');
  const svc = page.locator('.svc', { hasText: 'Community Counselling' });
  await expect(svc).toHaveCount(1);
  await expect(svc).toContainText(/Details assured \d+ years ago/);
  await expect(svc).toContainText('Languages: Urdu');
  await shot(page, 'directory');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('form', { name: 'Confirm referral' })).toBeVisible();
  await page.keyboard.type('Prefers afternoons');
  await page.keyboard.press('Enter');
  await expect(title).toBeVisible();
  await expect(page.locator('[data-referral-id]')).toContainText('Community Counselling');
  await expect(page.locator('[data-referral-id]')).toContainText('Referral made');
  await expect(page.locator('.cl-item', { hasText: 'Check the referral to Community Counselling' })).toBeVisible();
  await shot(page, 'case-record');

  // Close the case: X, a reason (required), Enter.
  await page.keyboard.press('x');
  const closeForm = page.getByRole('form', { name: 'Close this case' });
  await expect(page.getByLabel('Reason (required)')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(closeForm.getByRole('alert')).toContainText('Give a reason for closing');
  await page.getByLabel('Reason (required)').selectOption('Connected to services');
  await page.keyboard.press('Enter');
  await expect(page.locator('.cl-chips')).toContainText('Closed');
  await expect(timeline.locator('.tl-event').first()).toContainText('Case closed');

  // Reload: the console comes back signed in, and the case with everything on it.
  await page.reload();
  await page.getByRole('button', { name: 'Caseload' }).click();
  await expect(list).toBeVisible();
  await expect(page.locator('.q-row', { hasText: 'Riley Thompson' })).toHaveCount(0);
  await page.getByLabel('Case status').selectOption('closed');
  await page.keyboard.press('/');
  await page.keyboard.type('riley');
  await expect(page.locator('.q-row', { hasText: 'Riley Thompson' })).toHaveCount(1);
  await page.keyboard.press('Enter');
  await expect(title).toBeVisible();
  await expect(page.locator('.cl-chips')).toContainText('Closed');
  const events = page.getByRole('list', { name: /Timeline/ }).locator('.tl-event');
  await expect(events).toHaveCount(5);
  await expect(events.nth(0)).toContainText('Case closed');
  await expect(events.nth(0)).toContainText('Connected to services');
  await expect(events.nth(1)).toContainText('Task added');
  await expect(events.nth(2)).toContainText('Community Counselling: Referral made');
  await expect(events.nth(3)).toContainText('Score 7 of 27 — mild — ITEM 9 POSITIVE');
  await expect(events.nth(4)).toContainText('Left message');
  await expect(page.locator('[data-referral-id]')).toContainText('Referral made');
  await shot(page, 'case-closed');
  expect(errors).toEqual([]);
});

test('a supervisor imports an older (1.x) HSDS package from the console and reports every table, repair and rejection', async ({ page }) => {
  // A package written for Tandem in the HSDS 1.x layout: addresses, regular schedules, taxonomy,
  // rows without ids, a service whose organization is missing, a schedule on "Funday".
  const pkg = path.join(consoleUnderTest().profile, 'hsds-1x');
  fs.mkdirSync(pkg);
  for (const name of fs.readdirSync(LEGACY)) fs.writeFileSync(path.join(pkg, name), fs.readFileSync(path.join(LEGACY, name)));
  const errors = collectErrors(page);
  await page.goto(consoleUnderTest().host.url);
  // The directory reaches every console: a supervisor manages it (issue 13).
  await page.getByRole('button', { name: /^Supervisor/ }).click();
  await page.getByRole('button', { name: 'Caseload' }).click();
  await expect(page.getByRole('listbox', { name: /Follow-up queue/ })).toBeVisible();
  await page.keyboard.press('d');
  await expect(page.getByRole('heading', { name: 'Service directory' })).toBeVisible();
  await page.getByText('Import an HSDS package').click();
  await page.getByLabel(/Folder of the package/).fill(pkg);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const report = page.getByRole('region', { name: 'Directory import report' });
  await expect(report).toContainText(`5 services imported from ${pkg} (HSDS 1.x/2.x)`);
  await expect(report).toContainText('5 added, 0 updated, 0 unchanged');
  await expect(report).toContainText(/services with hours unknown: shown as "Hours unknown", never as open now/);
  await expect(report).toContainText('1 service with the organization unknown');
  // Per table: read, imported, repaired, rejected, ignored.
  const phones = report.locator('tr[data-table="phones"]');
  await expect(phones.locator('td')).toHaveText(['6', '4', '1', '1', '1']);
  for (const table of ['physical_addresses', 'regular_schedules', 'taxonomy', 'service_at_location']) {
    await expect(report.locator(`tr[data-table="${table}"]`)).toBeVisible();
  }
  await expect(report).toContainText('rejected 1 row: linked to no service, location or organization (phones.csv line 7)');
  await expect(report).toContainText("repaired 1 row: organization not in the package: imported with the organization unknown (services.csv line 5)");
  await expect(report).toContainText(/Every problem .* is listed in .*directory-imports.*-problems\.csv/);
  await shot(page, 'directory-import-report');
  await report.screenshot({ path: path.join(SHOTS, 'caseload-directory-import-report-full.png') });
  // The directory now answers from it; the services without hours are never "open now".
  const unknownHours = page.locator('.svc-list .svc', { hasText: 'Hours unknown' });
  await expect(unknownHours.first()).toBeVisible();
  await page.getByLabel(/Open now/).check();
  await expect(unknownHours).toHaveCount(0);
  expect(errors).toEqual([]);
});
