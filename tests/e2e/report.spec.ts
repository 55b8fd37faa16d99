import { test, expect, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { startHost, tempProfile, type Host } from './helpers';

/**
 * Program figures in Chromium against a real headless host: a clinician's own figures for this
 * month from her console's store, drawn as charts with a table for each, and a CSV download
 * with small cells suppressed.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'test-results');

let host: Host;
let profile: string;

test.beforeEach(async () => {
  profile = tempProfile('tandem-e2e-report-');
  const seed = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'tests/e2e/report.seed.ts'), profile], { cwd: ROOT, encoding: 'utf8' });
  if (seed.status !== 0) throw new Error(`seeding failed:\n${seed.stdout}\n${seed.stderr}`);
  host = await startHost({ profile, extraArgs: ['--demo'] });
});

test.afterEach(async () => {
  await host?.stop();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `report-${name}.png`), fullPage });
}

test('a clinician sees her own figures as charts and tables, and downloads a chart as CSV', async ({ page }) => {
  const errors = collectErrors(page);
  const scripts: string[] = [];
  page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
  await page.goto(host.url);
  await page.getByRole('button', { name: /^Clinician/ }).click();
  // The other screens start without the charts: the figures screen's code comes when it opens.
  await expect(page.getByRole('button', { name: 'Figures' })).toBeVisible();
  const reportsChunk = () => scripts.filter((p) => /\/assets\/ReportsView-[^/]+\.js$/.test(p));
  expect(scripts.length).toBeGreaterThan(0);
  expect(reportsChunk()).toEqual([]);
  await page.getByRole('button', { name: 'Figures' }).click();

  await expect(page.getByRole('heading', { name: 'My figures' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Your own work, from this console' })).toBeVisible();
  // Every chart drew on a canvas.
  const charts = page.locator('.report-chart');
  await expect(charts).toHaveCount(12);
  await expect(charts.first().locator('canvas')).toHaveCount(1);
  // Loaded once, from this page's own origin, under its CSP (a refusal would be a console error below).
  expect(reportsChunk()).toHaveLength(1);
  // Her calls this month, as the headline of the first chart and the total row of its table.
  const headline = page.locator('.report-card').first().locator('.report-total strong');
  const conferenced = Number(await headline.textContent());
  expect(conferenced).toBeGreaterThan(50);
  const table = page.getByRole('table', { name: 'Conferenced calls by answer' });
  await expect(table.locator('tr.report-total-row td').first()).toHaveText(String(conferenced));
  await shot(page, 'own-charts');

  // The tables, for anyone who wants the numbers rather than the picture.
  await page.getByLabel('Show tables').check();
  await expect(table).toBeVisible();
  await page.getByRole('table', { name: 'Time to the clinician (seconds)' }).scrollIntoViewIfNeeded();
  await shot(page, 'own-tables');

  // CSV: the exported copy suppresses small cells and says so.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Conferenced calls by answer as CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^tandem-answers-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = fs.readFileSync(await download.path(), 'utf8');
  const rows = parse(text, { relax_column_count: true }) as string[][];
  expect(rows[0][0]).toBe('# Conferenced calls by answer');
  expect(rows[2][0]).toMatch(/^# Counts from 1 to 10 are suppressed/);
  expect(rows[3]).toEqual(['Day', 'Calls conferenced', 'Accepted', 'Declined', 'No answer', 'Cancelled']);
  const total = rows[rows.length - 1];
  expect(total[1]).toBe(String(conferenced));
  // A day's handful of calls is under 11: suppressed, never printed.
  const cells = rows.slice(4, -1).flatMap((r) => r.slice(1));
  expect(cells).toContain('<11');
  expect(cells.every((c) => c === '<11' || c === '0' || Number(c) >= 11)).toBe(true);

  // By week: fewer buckets, same total.
  await page.getByLabel('By', { exact: true }).selectOption('week');
  await expect(page.getByRole('status').filter({ hasText: 'by week' })).toBeVisible();
  await expect(headline).toHaveText(String(conferenced));
  await page.getByRole('heading', { name: 'My figures' }).scrollIntoViewIfNeeded();
  await shot(page, 'own-weeks');
  expect(errors).toEqual([]);
});

test('the monthly report for sending: a PDF with cover figures, charts and definitions, small cells suppressed', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto(host.url);
  await page.getByRole('button', { name: /^Clinician/ }).click();
  await page.getByRole('button', { name: 'Figures' }).click();
  await expect(page.getByRole('heading', { name: 'My figures' })).toBeVisible();
  const onScreen = Number(await page.locator('.report-card').first().locator('.report-total strong').textContent());
  expect(onScreen).toBeGreaterThan(50);

  await page.getByRole('button', { name: 'Report for sending (PDF)' }).click();
  const printed = page.getByRole('article', { name: 'Program report, printable' });
  await expect(printed.getByRole('heading', { name: 'Co-responder program report' })).toBeVisible();
  const now = new Date();
  await expect(printed.locator('.rp-period')).toHaveText(`${now.toLocaleString('en-US', { month: 'long' })} ${now.getFullYear()}`);
  // Cover: a total this large is shown as is; every chart drawn, as SVG.
  await expect(printed.locator('.rp-figures div', { hasText: 'Calls conferenced' }).locator('dd')).toHaveText(String(onScreen));
  await expect(printed.locator('.rp-chart svg')).toHaveCount(12);
  await expect(printed).toContainText('Counts from 1 to 10 are suppressed');
  // Every count in every table is suppressed under 11: a day's handful of calls never prints.
  const cells = await printed.locator('.rp-table td').allTextContents();
  expect(cells).toContain('<11');
  const counts = await printed.locator('.rp-section', { hasText: 'Conferenced calls by answer' }).locator('tbody td').allTextContents();
  expect(counts.every((c) => c === '<11' || c === '0' || Number(c) >= 11), counts.join(' ')).toBe(true);

  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'Letter', preferCSSPageSize: true, printBackground: true });
  const dir = process.env.TANDEM_SHOTS ?? SHOTS;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'monthly-report.pdf');
  fs.writeFileSync(file, pdf);
  // The first page as a person sees it (poppler's pdftoppm: .ci/run installs it), and its text.
  const png = spawnSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', file, path.join(dir, 'monthly-report-page1')], { encoding: 'utf8' });
  expect(png.status, png.stderr).toBe(0);
  expect(fs.statSync(path.join(dir, 'monthly-report-page1.png')).size).toBeGreaterThan(1000);
  // Paper is white to its edge: the corner (in the page margin) as raw pixels (PPM: a text header, then RGB).
  const ppm = spawnSync('pdftoppm', ['-r', '10', '-f', '1', '-l', '1', '-singlefile', file], { maxBuffer: 1 << 20 });
  expect(ppm.status, String(ppm.stderr)).toBe(0);
  const header = /^P6\s+\d+\s+\d+\s+255\s/.exec(ppm.stdout.toString('latin1'));
  expect(header, 'a PPM image').not.toBeNull();
  const corner = [...ppm.stdout.subarray(header![0].length, header![0].length + 3)];
  expect(Math.min(...corner), `corner pixel ${corner.join(',')}`).toBeGreaterThan(240);
  const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  expect(text.status, text.stderr).toBe(0);
  const first = text.stdout.split('\f')[0]!;
  expect(first).toContain('Co-responder program report');
  expect(first).toContain('Counts from 1 to 10 are suppressed');
  expect(first).not.toContain('Show tables');
  expect(text.stdout).toContain('What each figure counts');
  expect(text.stdout).toContain('<11');
  const info = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
  expect(Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1])).toBeGreaterThan(2);
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('heading', { name: 'My figures' })).toBeVisible();
  expect(errors).toEqual([]);
});
