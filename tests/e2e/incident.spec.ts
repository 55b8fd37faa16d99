import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * The dispatcher's incident list and the handoff loop: first on one standalone demo
 * console (headless host with --demo, no sync server: the handoff state machine runs
 * locally), then on two consoles through a real sync server.
 */
let host: Host;
let profile: string;

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

async function newIncidentByKeyboard(page: Page, type: string, location: string): Promise<void> {
  // The list's keys work once the view is up; a key pressed during sign-in is not an order.
  await expect(page.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  await page.keyboard.press('n');
  await expect(page.getByLabel(/^Type/)).toBeFocused();
  await page.keyboard.type(type);
  await page.keyboard.press('Tab');
  await page.keyboard.type(location);
  await page.keyboard.press('Enter');
  await expect(page.locator('li.incident', { hasText: type })).toHaveClass(/is-selected/);
}

test.describe('standalone demo console', () => {
  test.beforeEach(async () => {
    profile = tempProfile();
    host = await startHost({ profile, extraArgs: ['--demo'] });
  });

  test.afterEach(async () => {
    await host?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test('dispatcher creates an incident with the keyboard only, and it survives a reload', async ({ page }) => {
    const errors = collectErrors(page);
    await page.goto(host.url);
    await page.getByRole('button', { name: /^Dispatcher/ }).click();
    await expect(page.getByRole('heading', { name: /Open incidents/ })).toBeVisible();
    await expect(page.getByText('Dana Reyes')).toBeVisible();
    await expect(page.getByText(/^Clinician: /)).toBeVisible();

    // Keyboard only from here: N opens the form with the first field focused.
    await page.keyboard.press('n');
    await expect(page.getByLabel(/^Type/)).toBeFocused();

    // An empty incident is refused by the core, and its message is shown next to the form.
    await page.keyboard.press('Enter');
    await expect(page.locator('#incident-form-error')).toContainText(/required/i);
    await expect(page.getByLabel(/^Type/)).toBeFocused();

    await page.keyboard.type('Welfare check — E2E caller');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel(/^Location/)).toBeFocused();
    await page.keyboard.type('77 Harbor Rd, Apt 3');
    await page.keyboard.press('Tab');
    await page.keyboard.type('617-555-0177');
    await page.keyboard.press('Tab');
    await page.keyboard.type('2');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Jamie (neighbor)');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel(/^Notes/)).toBeFocused();
    await page.keyboard.type('Neighbor hears crying through the wall.');
    await page.keyboard.press('Enter');

    const row = page.locator('li.incident', { hasText: 'Welfare check — E2E caller' });
    await expect(row).toBeVisible();
    await expect(row).toContainText('77 Harbor Rd, Apt 3');
    await expect(row).toContainText('617-555-0177');
    await expect(row).toHaveClass(/is-selected/);
    // Focus went back to the list, so the keys keep working.
    await expect(row.locator('.incident-main')).toBeFocused();

    // A second one, to see ordering (newest first) and j/k selection.
    await newIncidentByKeyboard(page, 'Anxiety — E2E second', '5 Elm St');
    const second = page.locator('li.incident', { hasText: 'Anxiety — E2E second' });
    await expect(page.locator('li.incident').first()).toContainText('Anxiety — E2E second');
    await page.keyboard.press('j');
    await expect(row).toHaveClass(/is-selected/);
    await page.keyboard.press('k');
    await expect(second).toHaveClass(/is-selected/);

    // Escape closes the form without creating anything.
    await page.keyboard.press('n');
    await page.keyboard.type('Never created');
    await page.keyboard.press('Escape');
    await expect(page.locator('form.incident-form')).toHaveCount(0);
    await expect(page.locator('li.incident', { hasText: 'Never created' })).toHaveCount(0);

    await page.reload();
    await expect(page.locator('li.incident', { hasText: 'Welfare check — E2E caller' })).toBeVisible();
    await expect(page.locator('li.incident', { hasText: 'Anxiety — E2E second' })).toBeVisible();

    await page.screenshot({ path: 'test-results/dispatcher-incidents.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  test('F9 rings the clinician, Esc cancels; the clinician accepts, keeps notes across a reload and closes the conference', async ({ page }) => {
    const errors = collectErrors(page);
    await page.goto(host.url);
    await page.getByRole('button', { name: /^Dispatcher/ }).click();
    await newIncidentByKeyboard(page, 'Suicidal statements — E2E', '12 Quarry Ln');
    const row = page.locator('li.incident', { hasText: 'Suicidal statements — E2E' });

    // F9: ringing, with seconds ticking; Esc cancels.
    await page.keyboard.press('F9');
    await expect(row.locator('.handoff-line')).toContainText(/Ringing clinician · \d+ s/);
    await expect(row.locator('.handoff-line')).toContainText(/· [1-9]\d* s/, { timeout: 5000 });
    await page.keyboard.press('Escape');
    await expect(row.locator('.handoff-line')).toContainText('Cancelled');

    // Ring again, then switch this demo console to the clinician.
    await page.keyboard.press('F9');
    await expect(row.locator('.handoff-line')).toContainText('Ringing clinician');
    await page.getByRole('button', { name: 'Switch to clinician' }).click();

    const card = page.locator('.ringing-card');
    await expect(card).toBeVisible();
    await expect(card).toContainText('Suicidal statements — E2E');
    await expect(card).toContainText('12 Quarry Ln');
    await expect(card.getByRole('button', { name: /Accept/ })).toBeFocused();
    await page.screenshot({ path: 'test-results/clinician-ringing.png', fullPage: true });

    await page.keyboard.press('a');
    const conf = page.locator('.conference-card');
    await expect(conf).toBeVisible();
    await expect(card).toHaveCount(0);
    await expect(conf.locator('.timer')).toHaveText(/^00:0\d$/);

    await conf.getByLabel('Live notes').fill('Caller is calmer, agrees to a call-back tomorrow.');
    await conf.getByLabel(/Person’s name/).focus();
    await page.keyboard.type('Riley T.');
    await page.keyboard.press('Shift+Tab'); // out of the field, onto the outcome radios
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('3');
    await expect(conf.getByRole('radio', { name: /Transport/ })).toBeChecked();

    // Nothing typed is lost on reload.
    await page.reload();
    await expect(conf).toBeVisible();
    await expect(conf.getByLabel('Live notes')).toHaveValue('Caller is calmer, agrees to a call-back tomorrow.');
    await expect(conf.getByLabel(/Person’s name/)).toHaveValue('Riley T.');
    await expect(conf.getByRole('radio', { name: /Transport/ })).toBeChecked();
    await page.screenshot({ path: 'test-results/clinician-conference.png', fullPage: true });

    await conf.getByRole('button', { name: 'Close conference' }).click();
    await expect(page.getByText('Follow-up case opened', { exact: true })).toBeVisible();
    // "Open case" hands the new case to the caseload screens, with the person named in the conference.
    await page.getByRole('button', { name: /^Open case / }).click();
    await expect(page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Caseload' })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByRole('main')).toContainText('Riley T.');

    // Back as the dispatcher: the incident shows how it ended.
    await page.getByRole('button', { name: 'Switch to dispatcher' }).click();
    await expect(row.locator('.handoff-line')).toContainText('Completed — Transport');
    expect(errors).toEqual([]);
  });

  test('the clinician declines with a reason and the dispatcher sees it', async ({ page }) => {
    const errors = collectErrors(page);
    await page.goto(host.url);
    await page.getByRole('button', { name: /^Dispatcher/ }).click();
    await newIncidentByKeyboard(page, 'Disturbance — E2E', 'Central Sq');
    await page.keyboard.press('F9');
    await page.getByRole('button', { name: 'Switch to clinician' }).click();
    await expect(page.locator('.ringing-card')).toBeVisible();

    await page.keyboard.press('d');
    const reason = page.getByLabel(/Why decline/);
    await expect(reason).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.locator('#decline-error')).toBeVisible();
    await page.keyboard.type('Weapon mentioned — send police first');
    await page.keyboard.press('Enter');
    await expect(page.locator('.ringing-card')).toHaveCount(0);

    await page.getByRole('button', { name: 'Switch to dispatcher' }).click();
    const line = page.locator('li.incident', { hasText: 'Disturbance — E2E' }).locator('.handoff-line');
    await expect(line).toContainText('Declined by Chris Okafor');
    await expect(line).toContainText('Reason: Weapon mentioned — send police first');
    // After a decline the dispatcher can ring again.
    await expect(page.getByRole('button', { name: /Conference clinician/ }).first()).not.toHaveAttribute('aria-disabled', 'true');
    expect(errors).toEqual([]);
  });
});

test.describe('two consoles and a sync server', () => {
  const DIRECT = '+1 555 0142';
  let server: SyncServerProcess | null = null;
  const hosts: Host[] = [];
  const dirs: string[] = [];

  async function console_(name: string): Promise<Host> {
    const dir = tempProfile();
    dirs.push(dir);
    const h = await startHost({
      profile: dir,
      extraArgs: ['--demo', '--server', server!.url, '--enroll', server!.enroll(name), '--direct-line', DIRECT],
    });
    hosts.push(h);
    return h;
  }

  test.beforeEach(async () => {
    const dir = tempProfile('tandem-e2e-server-');
    dirs.push(dir);
    const users = DEMO_ACCOUNTS.filter((u) => u.username === 'dana' || u.username === 'chris');
    server = await startSyncServer({ data: dir, users, handoffTimeoutMs: 60_000, directLine: DIRECT });
  });

  test.afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop();
    await server?.stop();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  test('F9 rings the clinician’s console; the dispatcher sees who accepted', async ({ browser }) => {
    const [dh, ch] = [await console_('e2e-dispatch'), await console_('e2e-clinician')];
    const d = await (await browser.newContext()).newPage();
    const c = await (await browser.newContext()).newPage();
    const errors = [...collectErrors(d), ...collectErrors(c)];
    await c.goto(ch.url);
    await c.getByRole('button', { name: /^Clinician/ }).click();
    // Presence lives on the server: it can be set once the console is online (before, the
    // console says the server is unreachable; on a loaded machine the click could come first).
    await expect(c.getByText('Online', { exact: true })).toBeVisible();
    await c.getByRole('button', { name: 'available', exact: true }).click();
    await expect(c.getByRole('button', { name: 'available', exact: true })).toHaveAttribute('aria-pressed', 'true');

    await d.goto(dh.url);
    await d.getByRole('button', { name: /^Dispatcher/ }).click();
    await expect(d.getByText('Online', { exact: true })).toBeVisible();
    await expect(d.getByText('Clinician: available — Chris Okafor')).toBeVisible();
    await newIncidentByKeyboard(d, 'Panic attack — E2E synced', '45 Prospect St');
    await d.keyboard.press('F9');

    const card = c.locator('.ringing-card');
    await expect(card).toContainText('Panic attack — E2E synced');
    await expect(card).toContainText('45 Prospect St');
    await expect(d.locator('.handoff-line')).toContainText('Ringing clinician');
    await c.keyboard.press('a');
    await expect(c.locator('.conference-card')).toBeVisible();
    await expect(d.locator('.handoff-line')).toContainText('Accepted by Chris Okafor');
    expect(errors).toEqual([]);
  });

  test('with the sync server gone, F9 shows the clinician’s direct line at once, until dismissed', async ({ page }) => {
    const dh = await console_('e2e-dispatch');
    await page.goto(dh.url);
    await page.getByRole('button', { name: /^Dispatcher/ }).click();
    await expect(page.getByText('Online', { exact: true })).toBeVisible();
    await newIncidentByKeyboard(page, 'Welfare check — E2E offline', '9 Pine St');

    await server!.stop();
    const asked = Date.now();
    await page.keyboard.press('F9');
    const banner = page.getByRole('alert').filter({ hasText: 'Could not reach the clinician' });
    await expect(banner).toContainText(`Could not reach the clinician — call direct: ${DIRECT}`, { timeout: 5000 });
    expect(Date.now() - asked).toBeLessThan(5000);
    await page.screenshot({ path: 'test-results/dispatcher-unreachable.png' });

    // It stays (other activity does not clear it) until dismissed.
    await page.keyboard.press('j');
    await expect(banner).toBeVisible();
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await expect(banner).toHaveCount(0);
  });
});
