import { test, expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';
import { addCadKey, postEido } from './server';
import { mentalHealthIncident } from '../unit/eido.fixtures';

/**
 * The dispatcher edits and closes incidents: a hand-entered one is changed from the edit form
 * (E or the row's Edit button) and the change reaches a second console through the sync
 * server; on a CAD incident what CAD sent is read-only and only the notes are the
 * dispatcher's; a closed incident leaves the open list (on both consoles, and after a reload).
 * Screenshots at 460 px docked and 1280 × 720, each checked with axe-core.
 */
const SHOTS = process.env.TANDEM_SHOTS_DIR ?? 'test-results';
const SIZES = [
  { name: 'docked', width: 460, height: 900 },
  { name: '1280', width: 1280, height: 720 },
];

let server: SyncServerProcess | null = null;
const hosts: Host[] = [];
const dirs: string[] = [];

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

async function openConsole(browser: Browser, name: string): Promise<Page> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({ profile: dir, extraArgs: ['--demo', '--server', server!.url, '--enroll', server!.enroll(name)] });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 460, height: 900 } })).newPage();
  await page.goto(host.url);
  await page.getByLabel(/Username/i).fill('dana');
  await page.getByLabel(/Password/i).fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  return page;
}

/** Screenshots at each size, and 0 serious or critical axe-core violations at each. */
async function shots(page: Page, what: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.screenshot({ path: path.join(SHOTS, `incident-edit-${what}-${size.name}.png`) });
    const { violations } = await new AxeBuilder({ page }).analyze();
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), `${what} at ${size.name}`).toEqual([]);
  }
  await page.setViewportSize({ width: 460, height: 900 });
}

test.afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('a dispatcher edits a hand-entered incident (seen on a second console), sees CAD fields read-only, and closing takes it off the list', async ({ browser }) => {
  const data = tempProfile('tandem-e2e-server-');
  dirs.push(data);
  server = await startSyncServer({ data, users: DEMO_ACCOUNTS.filter((u) => u.username === 'dana') });
  const cadKey = addCadKey(data, 'cad-e2e-edit');
  const d = await openConsole(browser, 'e2e-edit-1');
  const other = await openConsole(browser, 'e2e-edit-2');
  const errors = [...collectErrors(d), ...collectErrors(other)];

  // A hand-entered incident.
  await d.keyboard.press('n');
  await d.getByLabel(/^Type/).fill('Welfare check — edit E2E');
  await d.getByLabel(/^Location/).fill('10 Old Rd');
  await d.getByLabel(/^Priority/).selectOption('3');
  await d.getByLabel(/^Type/).press('Enter');
  const row = d.locator('li.incident', { hasText: 'Welfare check — edit E2E' });
  await expect(row).toHaveClass(/is-selected/);
  await expect(row.locator('.incident-main')).toBeFocused();

  // E opens it in the edit form, prefilled, with the limits the create form shows.
  await d.keyboard.press('e');
  const form = d.locator('form.incident-form');
  await expect(form.getByRole('heading', { name: /^Edit incident M/ })).toBeVisible();
  await expect(d.getByLabel(/^Type/)).toBeFocused();
  await expect(d.getByLabel(/^Type/)).toHaveValue('Welfare check — edit E2E');
  await expect(d.getByLabel(/^Location/)).toHaveValue('10 Old Rd');
  await expect(d.getByLabel(/^Priority/)).toHaveValue('3');
  await expect(d.getByLabel(/^Location/)).toHaveAttribute('maxlength', '500');
  await expect(form.locator('#incident-location-count')).toHaveText('9/500');

  // A bad edit is refused in a sentence, and the field is marked; nothing is saved.
  await d.getByLabel(/^Type/).fill('');
  await d.getByLabel(/^Location/).fill('22 New St, Apt 1');
  await d.getByLabel(/^Callback number/).fill('call me');
  await d.getByLabel(/^Priority/).selectOption('1');
  await d.getByLabel(/^Location/).press('Enter');
  await expect(form.locator('#incident-form-error')).toHaveText(
    'Type is required. Callback number must be a phone number: 7 to 15 digits, with an extension after “x” if needed.',
  );
  await expect(d.getByLabel(/^Type/)).toBeFocused();
  await expect(row.locator('.incident-location')).toHaveText('10 Old Rd');
  await shots(d, 'form-error');
  await d.mouse.wheel(0, 2000);
  await d.screenshot({ path: path.join(SHOTS, 'incident-edit-form-bottom-docked.png') });

  await d.getByLabel(/^Type/).fill('Welfare check — edit E2E');
  await d.getByLabel(/^Callback number/).fill('617-555-0144');
  await d.getByLabel(/^Location/).press('Enter');
  await expect(form).toHaveCount(0);
  await expect(row.locator('.incident-location')).toHaveText('22 New St, Apt 1');
  await expect(row.locator('.incident-priority')).toHaveText('P1');
  await expect(row).toContainText('617-555-0144');
  await expect(row.locator('.incident-main')).toBeFocused();

  // The change reaches the other console through the server.
  const otherRow = other.locator('li.incident', { hasText: 'Welfare check — edit E2E' });
  await expect(otherRow.locator('.incident-location')).toHaveText('22 New St, Apt 1');
  await expect(otherRow.locator('.incident-priority')).toHaveText('P1');

  // Esc cancels an edit: nothing typed is saved.
  await row.getByRole('button', { name: /^Edit/ }).click();
  await d.getByLabel(/^Location/).fill('Never saved');
  await d.keyboard.press('Escape');
  await expect(form).toHaveCount(0);
  await expect(row.locator('.incident-location')).toHaveText('22 New St, Apt 1');
  await expect(row.locator('.incident-main')).toBeFocused();

  // A CAD incident: what CAD sent is shown read-only, with where it comes from; notes are editable.
  const doc = mentalHealthIncident();
  doc.$id = 'urn:emergency:uid:incidentid:e2eedit1:bcf.state.pa.us';
  expect((await postEido(server.url, cadKey, doc)).status).toBe(201);
  const cadRow = d.locator('li.incident', { hasText: 'CAD-2021-004411' });
  await cadRow.locator('.incident-main').click();
  await cadRow.getByRole('button', { name: /^Edit/ }).click();
  await expect(form.getByRole('heading', { name: 'Edit incident CAD-2021-004411' })).toBeVisible();
  await expect(form).toContainText('From CAD: type, location, callback number, caller name and priority are changed in CAD, not here.');
  // Shown whole, as text: nothing to type into.
  const cadFields = form.locator('dl.cad-fields');
  await expect(cadFields).toContainText('Behavioral Health — Psychiatric / suicidal, alert (25-A-1)');
  await expect(cadFields).toContainText('39.74470, -75.54840 ±850 m (Parking lot behind the library)');
  await expect(cadFields).toContainText('8195551212');
  await expect(form.locator('input, select')).toHaveCount(1); // the one-line note to the clinician
  await expect(d.getByLabel(/^Notes/)).toBeFocused();
  await d.getByLabel(/^Notes/).fill('Dispatcher: caller calmer, sister on scene.');
  await shots(d, 'cad');
  await d.mouse.wheel(0, 2000);
  await d.screenshot({ path: path.join(SHOTS, 'incident-edit-cad-bottom-docked.png') });
  await d.getByRole('button', { name: /^Save changes/ }).click();
  await expect(form).toHaveCount(0);
  await cadRow.getByRole('button', { name: /^Edit/ }).click();
  await expect(d.getByLabel(/^Notes/)).toHaveValue('Dispatcher: caller calmer, sister on scene.');
  await d.keyboard.press('Escape');
  await expect(form).toHaveCount(0);

  // Closing takes the incident off the open list, on both consoles and after a reload.
  await row.locator('.incident-main').click();
  await row.getByRole('button', { name: 'Close incident' }).click();
  await expect(row).toHaveCount(0);
  await expect(otherRow).toHaveCount(0);
  await expect(cadRow).toBeVisible();
  await shots(d, 'after-close');
  await d.reload();
  await expect(cadRow).toBeVisible();
  await expect(d.locator('li.incident', { hasText: 'Welfare check — edit E2E' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
