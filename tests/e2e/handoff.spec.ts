import { test, expect, type Browser, type Page } from '@playwright/test';
import fs from 'node:fs';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * The live handoff the program exists for, through a real sync server: one dispatcher
 * console and two clinician consoles, each its own headless host and core. Screenshots of
 * each state go to test-results/.
 */
const DIRECT = '+1 555 0142';
let server: SyncServerProcess | null = null;
const hosts: Host[] = [];
const dirs: string[] = [];

async function startServer(handoffTimeoutMs = 60_000): Promise<void> {
  const dir = tempProfile('tandem-e2e-server-');
  dirs.push(dir);
  const users = DEMO_ACCOUNTS.filter((u) => ['dana', 'chris', 'sam'].includes(u.username));
  server = await startSyncServer({ data: dir, users, handoffTimeoutMs, directLine: DIRECT });
}

/** A console signed in as one demo account, through the UI. */
async function openConsole(browser: Browser, name: string, role: 'Dispatcher' | 'Clinician', account?: string): Promise<Page> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({ profile: dir, extraArgs: ['--demo', '--server', server!.url, '--enroll', server!.enroll(name), '--direct-line', DIRECT] });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 480, height: 900 } })).newPage();
  await page.goto(host.url);
  if (account) {
    await page.getByLabel(/Username/i).fill(account);
    await page.getByLabel(/Password/i).fill('tandem-demo');
    await page.keyboard.press('Enter');
  } else {
    await page.getByRole('button', { name: new RegExp(`^${role}`) }).click();
  }
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  return page;
}

async function goAvailable(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'available', exact: true }).click();
  await expect(page.getByRole('button', { name: 'available', exact: true })).toHaveAttribute('aria-pressed', 'true');
}

async function newIncident(page: Page, type: string, location: string): Promise<void> {
  // The list's keys work once the view is up; a key pressed during sign-in is not an order.
  await expect(page.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  await page.keyboard.press('n');
  await page.keyboard.type(type);
  await page.keyboard.press('Tab');
  await page.keyboard.type(location);
  await page.keyboard.press('Enter');
  await expect(page.locator('li.incident', { hasText: type })).toHaveClass(/is-selected/);
}

test.afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('F9 rings both clinicians; one accepts, the other is told who; the outcome opens a case with the notes', async ({ browser }) => {
  await startServer();
  const chris = await openConsole(browser, 'e2e-clin-1', 'Clinician', 'chris');
  const sam = await openConsole(browser, 'e2e-clin-2', 'Clinician', 'sam');
  await goAvailable(chris);
  await goAvailable(sam);
  const dispatcher = await openConsole(browser, 'e2e-dispatch', 'Dispatcher');
  await expect(dispatcher.getByText(/Clinician: available — /)).toBeVisible();

  await newIncident(dispatcher, 'Suicidal statements — three consoles', '1200 Massachusetts Ave');
  await dispatcher.keyboard.press('F9');
  const row = dispatcher.locator('li.incident', { hasText: 'three consoles' });
  await expect(row.locator('.handoff-line')).toContainText('Ringing clinician');
  for (const c of [chris, sam]) {
    await expect(c.locator('.ringing-card')).toContainText('Suicidal statements — three consoles');
    await expect(c.locator('.ringing-card')).toContainText('1200 Massachusetts Ave');
  }
  await dispatcher.screenshot({ path: 'test-results/handoff-dispatcher-ringing.png' });
  await sam.screenshot({ path: 'test-results/handoff-clinician-ringing.png' });

  await chris.keyboard.press('a');
  await expect(chris.locator('.conference-card')).toBeVisible();
  await expect(sam.getByRole('alert').filter({ hasText: 'Taken by Chris Okafor' })).toBeVisible();
  await expect(sam.locator('.ringing-card')).toHaveCount(0);
  await expect(row.locator('.handoff-line')).toContainText('Accepted by Chris Okafor');
  await sam.screenshot({ path: 'test-results/handoff-taken-by-other.png' });
  await dispatcher.screenshot({ path: 'test-results/handoff-dispatcher-accepted.png' });

  const conf = chris.locator('.conference-card');
  await conf.getByLabel('Live notes').fill('Safety plan agreed with Jordan. Call back tomorrow at 10.');
  await chris.locator('body').click({ position: { x: 5, y: 5 } });
  await chris.keyboard.press('5');
  await expect(conf.getByRole('radio', { name: /Follow-up needed/ })).toBeChecked();
  await chris.screenshot({ path: 'test-results/handoff-conference.png' });
  await conf.getByRole('button', { name: 'Close conference' }).click();
  await expect(chris.getByText('Follow-up case opened', { exact: true })).toBeVisible();
  await expect(row.locator('.handoff-line')).toContainText('Completed — Follow-up needed');

  await chris.getByRole('button', { name: /^Open case / }).click();
  await expect(chris.getByRole('main')).toContainText('Safety plan agreed with Jordan. Call back tomorrow at 10.');
  await chris.screenshot({ path: 'test-results/handoff-case-opened.png' });
});

test('a decline reaches the dispatcher with its reason', async ({ browser }) => {
  await startServer();
  const chris = await openConsole(browser, 'e2e-clin-1', 'Clinician', 'chris');
  await goAvailable(chris);
  const dispatcher = await openConsole(browser, 'e2e-dispatch', 'Dispatcher');
  await newIncident(dispatcher, 'Disturbance — decline', 'Central Sq');
  await dispatcher.keyboard.press('F9');
  await expect(chris.locator('.ringing-card')).toBeVisible();
  await chris.keyboard.press('d');
  await chris.keyboard.type('Weapon mentioned — send police first');
  await chris.keyboard.press('Enter');
  const line = dispatcher.locator('li.incident', { hasText: 'Disturbance — decline' }).locator('.handoff-line');
  await expect(line).toContainText('Declined by Chris Okafor');
  await expect(line).toContainText('Weapon mentioned — send police first');
  await dispatcher.screenshot({ path: 'test-results/handoff-declined.png' });
});

test('nobody answers: the dispatcher is told, with the direct line', async ({ browser }) => {
  await startServer(2000);
  const chris = await openConsole(browser, 'e2e-clin-1', 'Clinician', 'chris');
  await goAvailable(chris);
  const dispatcher = await openConsole(browser, 'e2e-dispatch', 'Dispatcher');
  await newIncident(dispatcher, 'Welfare check — no answer', '9 Pine St');
  await dispatcher.keyboard.press('F9');
  await expect(chris.locator('.ringing-card')).toBeVisible();
  const line = dispatcher.locator('li.incident', { hasText: 'no answer' }).locator('.handoff-line');
  await expect(line).toContainText('No answer from the clinician', { timeout: 8000 });
  await expect(dispatcher.locator('li.incident', { hasText: 'no answer' })).toContainText(DIRECT);
  await expect(chris.locator('.ringing-card')).toHaveCount(0);
  await dispatcher.screenshot({ path: 'test-results/handoff-no-answer.png' });
});
