import { test, expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * A warm transfer to 988 from the live conference panel: one press records the line and the
 * time, closing the conference puts it on the case, and the program manager's ECC figures count
 * it (and show her nothing else). Screenshots to /tmp/shots-report/ and test-results/.
 */
const DIRECT = '+1 555 0142';
const SHOTS = process.env.TANDEM_SHOTS ?? 'test-results';
let server: SyncServerProcess | null = null;
const hosts: Host[] = [];
const dirs: string[] = [];

test.afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function openConsole(browser: Browser, name: string, account: string): Promise<Page> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({ profile: dir, extraArgs: ['--demo', '--server', server!.url, '--enroll', server!.enroll(name), '--direct-line', DIRECT] });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 480, height: 1000 } })).newPage();
  await page.goto(host.url);
  await page.getByLabel(/Username/i).fill(account);
  await page.getByLabel(/Password/i).fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  return page;
}

async function noSeriousAxe(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), what).toEqual([]);
}

test('a clinician records a transfer to 988 during the call; it is on the case and in the ECC figures', async ({ browser }) => {
  // Three consoles and a server on one machine: their start-up alone takes minutes when it is loaded.
  test.setTimeout(900_000);
  const dir = tempProfile('tandem-e2e-server-');
  dirs.push(dir);
  server = await startSyncServer({ data: dir, users: DEMO_ACCOUNTS.filter((u) => ['dana', 'chris', 'pat'].includes(u.username)), handoffTimeoutMs: 60_000, directLine: DIRECT });
  const chris = await openConsole(browser, 'e2e-clin', 'chris');
  await chris.getByRole('button', { name: 'available', exact: true }).click();
  await expect(chris.getByRole('button', { name: 'available', exact: true })).toHaveAttribute('aria-pressed', 'true');
  const dana = await openConsole(browser, 'e2e-dispatch', 'dana');
  await expect(dana.getByText(/Clinician: available — /)).toBeVisible();

  await expect(dana.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  await dana.keyboard.press('n');
  await dana.keyboard.type('Caller in crisis, asking for 988');
  await dana.keyboard.press('Tab');
  await dana.keyboard.type('14 Elm St');
  await dana.keyboard.press('Enter');
  await expect(dana.locator('li.incident', { hasText: 'asking for 988' })).toHaveClass(/is-selected/);
  await dana.keyboard.press('F9');
  await expect(chris.locator('.ringing-card')).toContainText('asking for 988');
  await chris.keyboard.press('a');
  const conf = chris.locator('.conference-card');
  await expect(conf).toBeVisible();

  await conf.locator('fieldset.transfer').screenshot({ path: `${SHOTS}/transfer-buttons.png` });
  // "Other" without a name is refused on the spot, saying what is missing.
  await conf.getByRole('button', { name: 'Transferred', exact: true }).click();
  await expect(conf.getByRole('alert')).toHaveText('Name the crisis line the person was transferred to');
  await conf.getByRole('button', { name: 'Transferred to 988' }).click();
  const done = conf.getByRole('status').filter({ hasText: 'Transferred to 988 Suicide & Crisis Lifeline at' });
  await expect(done).toBeVisible();
  await conf.getByLabel('Live notes').fill('Warm handoff to 988; caller stayed on until they answered.');
  await conf.getByRole('radio', { name: /Resolved by phone/ }).check();
  await chris.screenshot({ path: `${SHOTS}/transfer-conference.png`, fullPage: true });
  await noSeriousAxe(chris, 'conference with a transfer');

  // Undo and redo: only the last one counts.
  await conf.getByRole('button', { name: 'Undo transfer' }).click();
  await expect(done).toHaveCount(0);
  await conf.getByRole('button', { name: 'Transferred to 988' }).click();
  await expect(done).toBeVisible();

  await conf.getByRole('button', { name: 'Close conference' }).click();
  await expect(chris.getByText('Follow-up case opened', { exact: true })).toBeVisible();
  await chris.getByRole('button', { name: /^Open case / }).click();
  await expect(chris.getByRole('main')).toContainText('Crisis-line transfer');
  await expect(chris.getByRole('main')).toContainText(/988 Suicide & Crisis Lifeline at/);
  await chris.screenshot({ path: `${SHOTS}/transfer-case.png`, fullPage: true });

  // The program manager, on the same workstation after Chris signs out (a third console would
  // only add start-up time): figures only, the transfer counted, nothing of the call.
  await chris.getByRole('button', { name: 'Sign out' }).click();
  await chris.getByLabel(/Username/i).fill('pat');
  await chris.getByLabel(/Password/i).fill('tandem-demo');
  await chris.keyboard.press('Enter');
  const pat = chris;
  await expect(pat.getByRole('heading', { name: 'Program figures: whole ECC' })).toBeVisible();
  for (const tab of ['Dispatch', 'Live calls', 'Caseload']) await expect(pat.getByRole('button', { name: tab, exact: true })).toHaveCount(0);
  const transfers = pat.locator('.report-card', { has: pat.getByRole('heading', { name: 'Crisis-line transfers' }) });
  await expect(transfers.locator('.report-total')).toHaveText('Transfers to 988: 1');
  await expect(pat.locator('.report-card', { has: pat.getByRole('heading', { name: 'Conferenced calls by answer' }) }).locator('.report-total')).toHaveText(
    'Calls conferenced: 1',
  );
  await expect(pat.locator('body')).not.toContainText('14 Elm St');
  await expect(pat.locator('body')).not.toContainText('Warm handoff');
  await transfers.scrollIntoViewIfNeeded();
  await pat.screenshot({ path: `${SHOTS}/transfer-program-manager.png` });
  await noSeriousAxe(pat, 'program manager figures');
});
