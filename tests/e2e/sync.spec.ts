import { test, expect, type Browser, type Page } from '@playwright/test';
import fs from 'node:fs';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * Consoles on different workstations share one picture through the sync server, and a
 * clinician keeps working with the server down: the status bar says offline and counts what
 * is pending, and everything converges when the server is back.
 */
let server: SyncServerProcess | null = null;
let serverDir = '';
const hosts: Host[] = [];
const dirs: string[] = [];

async function openConsole(browser: Browser, name: string, account: string): Promise<Page> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({ profile: dir, extraArgs: ['--server', server!.url, '--enroll', server!.enroll(name)] });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 480, height: 900 } })).newPage();
  await page.goto(host.url);
  await page.getByLabel(/Username/i).fill(account);
  await page.getByLabel(/Password/i).fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  return page;
}

test.afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('an edit on one console appears on the other; offline work is kept and converges', async ({ browser }) => {
  serverDir = tempProfile('tandem-e2e-server-');
  dirs.push(serverDir);
  const users = DEMO_ACCOUNTS.filter((u) => ['dana', 'chris', 'sam'].includes(u.username));
  server = await startSyncServer({ data: serverDir, users });
  const port = Number(new URL(server.url).port);

  const dispatcher = await openConsole(browser, 'e2e-dispatch', 'dana');
  const chris = await openConsole(browser, 'e2e-clin-1', 'chris');
  const sam = await openConsole(browser, 'e2e-clin-2', 'sam');
  for (const c of [chris, sam]) await c.getByRole('button', { name: 'Caseload' }).click();

  // The dispatcher asks for a follow-up; it lands in both clinicians' queues, no reload.
  // The list's keys work once the view is up; a key pressed during sign-in is not an order.
  await expect(dispatcher.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  await dispatcher.keyboard.press('n');
  await dispatcher.keyboard.type('Welfare check — sync e2e');
  await dispatcher.keyboard.press('Tab');
  await dispatcher.keyboard.type('77 Harbor Rd');
  await dispatcher.keyboard.press('Enter');
  await expect(dispatcher.locator('li.incident', { hasText: 'sync e2e' })).toHaveClass(/is-selected/);
  await dispatcher.keyboard.press('Shift+F9');
  for (const c of [chris, sam]) await expect(c.locator('.q-row', { hasText: 'Person at 77 Harbor Rd' })).toBeVisible();

  // Both open the case.
  for (const c of [chris, sam]) {
    await c.locator('.q-row', { hasText: 'Person at 77 Harbor Rd' }).click();
    await expect(c.getByRole('heading', { level: 1, name: 'Person at 77 Harbor Rd' })).toBeVisible();
  }

  // The server goes away. Chris keeps working; nothing waits on the network.
  await server.stop();
  await expect(chris.getByText(/^Offline since \d\d:\d\d/)).toBeVisible({ timeout: 10_000 });
  await chris.keyboard.press('n');
  await chris.getByLabel(/^Note/).fill('Written while the sync server was down.');
  await chris.keyboard.press('Control+Enter');
  const chrisTimeline = chris.getByRole('list', { name: /Timeline/ });
  await expect(chrisTimeline).toContainText('Written while the sync server was down.');
  await expect(chris.getByText(/^Pending \d+ changes?$/)).toBeVisible();
  await chris.screenshot({ path: 'test-results/sync-offline-pending.png' });

  // Back on the same address: both converge without a reload.
  server = await startSyncServer({ data: serverDir, port });
  await expect(chris.getByText('Online', { exact: true })).toBeVisible({ timeout: 15_000 });
  await expect(chris.getByText(/^Pending \d+ changes?$/)).toHaveCount(0);
  await expect(sam.getByRole('list', { name: /Timeline/ })).toContainText('Written while the sync server was down.', { timeout: 15_000 });
  await sam.screenshot({ path: 'test-results/sync-converged.png' });
});
