import { test, expect, type Browser, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNTS, serverCommand, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * Issue 13: a clinician cannot change the shared directory, but suggests a correction from the
 * entry she is looking at; a supervisor (a directory manager) sees it on his console, accepts
 * it, and the corrected number reaches hers; a declined one tells her why.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = process.env.TANDEM_SHOTS_DIR ?? path.join(ROOT, 'test-results');
let server: SyncServerProcess | null = null;
const hosts: Host[] = [];
const dirs: string[] = [];

async function openConsole(browser: Browser, name: string, account: string): Promise<Page> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({ profile: dir, extraArgs: ['--server', server!.url, '--enroll', server!.enroll(name)] });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 480, height: 900 } })).newPage();
  await page.goto(host.url).catch((err: unknown) => {
    throw new Error(`The ${name} console did not open: ${String(err)}\n${host.output()}`);
  });
  await page.getByLabel(/Username/i).fill(account);
  await page.getByLabel(/Password/i).fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Caseload' }).click();
  await expect(page.getByRole('listbox', { name: /Follow-up queue/ })).toBeAttached();
  await page.keyboard.press('d');
  await expect(page.getByRole('heading', { name: 'Service directory' })).toBeVisible();
  return page;
}

test.afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('a clinician suggests a corrected phone number; the supervisor accepts it and it reaches her; a declined one says why', async ({ browser }) => {
  const data = tempProfile('tandem-e2e-server-');
  dirs.push(data);
  // The directory on the server, as an ECC imports it.
  serverCommand(['import-hsds', path.join(ROOT, 'tests/fixtures/hsds-1x'), '--data', data]);
  server = await startSyncServer({ data, users: DEMO_ACCOUNTS.filter((u) => ['chris', 'morgan'].includes(u.username)) });
  fs.mkdirSync(SHOTS, { recursive: true });

  const chris = await openConsole(browser, 'e2e-clin', 'chris');
  const morgan = await openConsole(browser, 'e2e-super', 'morgan');

  // Chris finds the eviction line and suggests its new number.
  await chris.getByLabel('Search services').fill('eviction');
  const card = chris.locator('.svc', { hasText: 'Eviction Defense' });
  await expect(card).toContainText('617-555-0131');
  await card.click();
  await card.getByRole('button', { name: 'Suggest a correction' }).click();
  const form = chris.getByRole('form', { name: 'Suggest a correction' });
  await expect(form).toContainText('Now: 617-555-0131');
  // She may not import or change the directory herself: no import panel on her console.
  await expect(chris.getByText('Import an HSDS package')).toHaveCount(0);
  await form.getByLabel('What it should say').fill('617-555-0199');
  await form.getByLabel(/How you know/).fill('Called the old number: it is disconnected');
  await chris.screenshot({ path: path.join(SHOTS, 'directory-suggest-form.png') });
  await form.getByRole('button', { name: 'Send suggestion' }).click();
  await expect(form).toHaveCount(0);
  const mine = chris.getByRole('region', { name: 'Your suggested corrections' });
  await expect(mine).toContainText('Phone number: “617-555-0131” → “617-555-0199”');
  await expect(mine).toContainText('Waiting for a directory manager');
  // Suggesting changes nothing yet.
  await expect(card).toContainText('617-555-0131');

  // Morgan sees it on his directory screen and accepts it.
  const toDecide = morgan.getByRole('region', { name: /Suggested corrections/ });
  await expect(toDecide).toContainText('Eviction Defense · Phone number: “617-555-0131” → “617-555-0199”');
  await expect(toDecide).toContainText('From Chris Okafor');
  await expect(toDecide).toContainText('1 to decide');
  await morgan.screenshot({ path: path.join(SHOTS, 'directory-suggestions-to-decide.png'), fullPage: true });
  await toDecide.getByRole('button', { name: 'Accept and apply' }).click();
  await expect(toDecide).toContainText('No suggestion waits for a decision.');

  // The corrected number reaches her console, and she is told it was applied.
  await expect(card).toContainText('617-555-0199');
  await expect(mine).toContainText('Accepted by Morgan Lee: applied');

  // A second suggestion, declined with a reason.
  await card.getByRole('button', { name: 'Suggest a correction' }).click();
  await form.getByLabel('What is wrong').selectOption('description');
  await form.getByLabel('What it should say').fill('Closed on Fridays');
  await form.getByRole('button', { name: 'Send suggestion' }).click();
  await expect(toDecide).toContainText('Description');
  await toDecide.getByRole('button', { name: 'Decline…' }).click();
  await toDecide.getByLabel('Why it is declined').fill('Their website lists Friday hours');
  await toDecide.getByRole('button', { name: 'Decline', exact: true }).click();
  await expect(mine).toContainText('Declined by Morgan Lee: Their website lists Friday hours');
  await expect(card).toContainText('Representation for tenants facing eviction');
  await chris.screenshot({ path: path.join(SHOTS, 'directory-suggestions-mine.png'), fullPage: true });
});
