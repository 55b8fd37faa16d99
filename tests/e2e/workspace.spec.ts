import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededConsoleEachTest } from './helpers';

/**
 * The clinician's workspace at the three sizes it is used at: docked beside CAD (460 px, one
 * screen at a time), and on her own 1280 × 720 and 1920 × 1080 screens, where the queue and the
 * open case are side by side. axe-core: no serious or critical violation at any size.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = process.env.TANDEM_SHOTS ?? path.join(ROOT, 'test-results');

// Seeding, starting a console and the journey itself: minutes on a loaded 2-core machine.
test.describe.configure({ timeout: 600_000 });
test.use({ actionTimeout: 30_000 });

const consoleUnderTest = seededConsoleEachTest('tandem-e2e-workspace-', 40);

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `workspace-${name}.png`) });
}

async function noSeriousViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

for (const size of [
  { width: 460, height: 900, side: false },
  { width: 1280, height: 720, side: true },
  { width: 1920, height: 1080, side: true },
]) {
  test(`caseload at ${size.width} × ${size.height}: ${size.side ? 'queue and case side by side' : 'one column, one screen at a time'}`, async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.goto(consoleUnderTest().host.url);
    await page.getByRole('button', { name: /^Clinician/ }).click();
    await page.getByRole('button', { name: 'Caseload' }).click();
    const queue = page.getByRole('listbox', { name: /Follow-up queue/ });
    await expect(queue).toBeVisible();
    if (size.side) await expect(page.getByText(/Open a case from the queue/)).toBeVisible();
    await shot(page, `${size.width}-queue`);
    await noSeriousViolations(page);

    // Open a case by keyboard, as on the floor: search, Enter.
    await page.keyboard.press('/');
    await page.keyboard.type('riley thom');
    await page.keyboard.press('Enter');
    const title = page.getByRole('heading', { level: 1, name: 'Riley Thompson' });
    await expect(title).toBeVisible();
    await expect(title).toBeFocused();
    if (size.side) {
      // Both on screen at once, the case to the right of the queue, neither squeezed.
      await expect(queue).toBeVisible();
      const q = (await queue.boundingBox())!;
      const c = (await page.locator('.case-record').boundingBox())!;
      expect(c.x).toBeGreaterThanOrEqual(q.x + q.width);
      expect(q.width).toBeGreaterThanOrEqual(400);
      expect(c.width).toBeGreaterThanOrEqual(400);
      expect(c.x + c.width).toBeLessThanOrEqual(size.width);
      // The case's keys are the case's: C opens the contact form, not a queue action.
      await page.keyboard.press('c');
      await expect(page.getByRole('form', { name: 'Log a contact attempt' })).toBeVisible();
      await page.keyboard.press('Escape');
      // Another case from the queue beside it, with a click (the queue's search cleared first).
      await page.getByLabel('Search by name, phone or incident number').fill('');
      const other = page.locator('.q-row:not(:has-text("Riley Thompson"))').first();
      await other.click();
      await expect(other).toHaveAttribute('aria-selected', 'true');
      await expect(title).toHaveCount(0);
      await expect(page.locator('.case-record h1')).toBeVisible();
      await expect(queue).toBeVisible();
    } else {
      await expect(queue).toHaveCount(0);
    }
    await shot(page, `${size.width}-case`);
    await noSeriousViolations(page);

    // Esc closes the case; on a wide screen the queue beside it takes the keys again.
    await page.keyboard.press('Escape');
    await expect(page.locator('.case-record')).toHaveCount(0);
    await expect(queue).toBeVisible();
    await page.keyboard.press('j');
    await expect(page.locator('.q-row.is-selected')).toHaveCount(1);
    expect(errors).toEqual([]);
  });
}
