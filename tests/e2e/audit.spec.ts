import { test, expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * Issue 14, the supervisor's audit screen in Chromium against real consoles and a real sync
 * server: the supervisor creates an incident (audited on his console, pushed to the server's
 * log), opens the audit log, finds the entry by user, narrows to its subject ("who touched this
 * incident"), and downloads the CSV of what the filter matches. A clinician has no such screen.
 * axe-core checks the screen at the docked width and on a wide monitor.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = process.env.TANDEM_SHOTS_DIR ?? path.join(ROOT, 'test-results');
const COLUMNS = ['at', 'actor', 'workstation', 'workstation_id', 'action', 'subject', 'detail', 'source', 'seq', 'ip'];
let server: SyncServerProcess | null = null;
const hosts: Host[] = [];
const dirs: string[] = [];

async function openConsole(browser: Browser, name: string, account: string): Promise<Page> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({ profile: dir, extraArgs: ['--server', server!.url, '--enroll', server!.enroll(name), '--name', name] });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 460, height: 900 }, acceptDownloads: true })).newPage();
  await page.goto(host.url).catch((err: unknown) => {
    throw new Error(`The ${name} console did not open: ${String(err)}\n${host.output()}`);
  });
  await page.getByLabel(/Username/i).fill(account);
  await page.getByLabel(/Password/i).fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  return page;
}

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

/** 0 serious or critical axe-core violations on what the page shows now. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), what).toEqual([]);
}

test.afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('a supervisor finds what he did in the audit log by user and subject, and downloads it as CSV; a clinician has no audit screen', async ({ browser }) => {
  const data = tempProfile('tandem-e2e-server-');
  dirs.push(data);
  server = await startSyncServer({ data, users: DEMO_ACCOUNTS.filter((u) => ['chris', 'morgan'].includes(u.username)) });
  fs.mkdirSync(SHOTS, { recursive: true });

  const morgan = await openConsole(browser, 'e2e-super', 'morgan');
  const errors = collectErrors(morgan);

  // Something audited: he opens an incident from the dispatch screen.
  await expect(morgan.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  await morgan.keyboard.press('n');
  await morgan.keyboard.type('Audit trail check');
  await morgan.keyboard.press('Tab');
  await morgan.keyboard.type('12 Elm St');
  await morgan.keyboard.press('Enter');
  await expect(morgan.locator('li.incident', { hasText: 'Audit trail check' })).toHaveClass(/is-selected/);

  // The audit log, from the navigation.
  await morgan.getByRole('button', { name: 'Audit log' }).click();
  await expect(morgan.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  const table = morgan.getByRole('table', { name: 'Audit entries, newest first' });
  // His sign-in is on the first page already (recorded by the server as it happened).
  await expect(table.locator('tbody tr', { hasText: 'signin' }).first()).toBeVisible();

  // By user: his console's entry arrives within a second or so; searching again finds it.
  await morgan.getByLabel('User').fill('morgan');
  const created = table.locator('tbody tr', { hasText: 'incident.create' });
  await expect(async () => {
    await morgan.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(created).toHaveCount(1, { timeout: 1500 });
  }).toPass({ timeout: 20_000 });
  await expect(morgan.locator('.audit-meta')).toContainText('user morgan');
  const row = created.first();
  await expect(row.locator('td').nth(1)).toHaveText('morgan');
  await expect(row.locator('td').nth(2)).toHaveText('e2e-super');
  const subject = (await row.locator('td').nth(4).textContent())!;
  expect(subject).toMatch(/^incident:/);
  // Every row shown is his.
  const users = await table.locator('tbody tr td:nth-child(2)').allTextContents();
  expect(users.length).toBeGreaterThan(1);
  expect(new Set(users)).toEqual(new Set(['morgan']));

  await morgan.setViewportSize({ width: 1280, height: 720 });
  await expectAccessible(morgan, 'audit log, 1280 × 720');
  await morgan.screenshot({ path: path.join(SHOTS, 'audit-1280.png') });

  // Export CSV: what the filters match, as rows a spreadsheet opens.
  const [download] = await Promise.all([morgan.waitForEvent('download'), morgan.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^tandem-audit-\d{4}-\d{2}-\d{2}-\d{4}\.csv$/);
  const rows = parse(fs.readFileSync(await download.path(), 'utf8')) as string[][];
  expect(rows[0]).toEqual(COLUMNS);
  const body = rows.slice(1);
  expect(body.length).toBeGreaterThan(1);
  expect(new Set(body.map((r) => r[1]))).toEqual(new Set(['morgan']));
  const inFile = body.find((r) => r[4] === 'incident.create');
  expect(inFile).toBeDefined();
  expect(inFile![5]).toBe(subject);
  expect(inFile![2]).toBe('e2e-super');
  expect(body.some((r) => r[4] === 'signin')).toBe(true);
  await expect(morgan.getByRole('status').filter({ hasText: 'Exported' })).toHaveText(
    `Exported ${body.length} entries to ${download.suggestedFilename()}: all that matched when it was made (searches here are recorded too).`,
  );
  await morgan.screenshot({ path: path.join(SHOTS, 'audit-1280-exported.png') });

  // Who touched this incident: its subject narrows the log to it.
  await row.getByRole('button', { name: subject }).click();
  await expect(morgan.getByLabel('Subject')).toHaveValue(subject);
  await expect(morgan.locator('.audit-meta')).toContainText(`subject ${subject}`);
  const subjects = await table.locator('tbody tr td:nth-child(5)').allTextContents();
  expect(subjects.length).toBeGreaterThan(0);
  expect(new Set(subjects)).toEqual(new Set([subject]));

  // The docked width.
  await morgan.setViewportSize({ width: 460, height: 900 });
  await morgan.getByRole('button', { name: 'Clear filters' }).click();
  await expect(morgan.getByLabel('User')).toHaveValue('');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  await expectAccessible(morgan, 'audit log, 460 px');
  await morgan.screenshot({ path: path.join(SHOTS, 'audit-460.png'), fullPage: true });
  expect(errors).toEqual([]);

  // A clinician has no audit screen.
  const chris = await openConsole(browser, 'e2e-clin', 'chris');
  await expect(chris.getByRole('button', { name: 'Caseload' })).toBeVisible();
  await expect(chris.getByRole('button', { name: 'Figures' })).toBeVisible();
  await expect(chris.getByRole('button', { name: 'Audit log' })).toHaveCount(0);
  await expect(chris.getByRole('heading', { name: 'Audit log' })).toHaveCount(0);

  // The log is on the server: without it the screen says so, and shows no stale table as current.
  await server!.stop();
  await expect(morgan.getByText('Online', { exact: true })).toHaveCount(0, { timeout: 20_000 });
  await morgan.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(morgan.getByRole('region', { name: 'Audit log' }).getByRole('alert')).toContainText('The audit log is kept on the sync server');
  await expect(table).toHaveCount(0);
  await morgan.screenshot({ path: path.join(SHOTS, 'audit-460-offline.png') });
  expect(errors).toEqual([]);
});
