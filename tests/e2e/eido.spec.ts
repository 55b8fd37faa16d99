import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';
import { addCadKey, postEido } from './server';
import { SAMPLE_TEXT, mentalHealthIncident } from '../unit/eido.fixtures';

/**
 * CAD intake end to end: CAD POSTs EIDO to a real sync server (a child process, keyed with
 * the real CLI); a real dispatcher console (headless host) in Chromium shows the incident
 * within a second, flagged with its eligibility reasons, cautions and location.
 */
const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/eido');
let server: SyncServerProcess | null = null;
let host: Host | null = null;
const dirs: string[] = [];

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

test.afterEach(async () => {
  await host?.stop();
  await server?.stop();
  host = server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('an EIDO posted to the server is on the dispatcher console within a second, with its eligibility reasons', async ({ page }) => {
  const data = tempProfile('tandem-e2e-eido-server-');
  const profile = tempProfile('tandem-e2e-eido-console-');
  dirs.push(data, profile);
  server = await startSyncServer({ data, users: DEMO_ACCOUNTS.filter((u) => u.username === 'dana' || u.username === 'chris') });
  const key = addCadKey(data, 'cad-e2e');
  host = await startHost({ profile, extraArgs: ['--demo', '--server', server.url, '--enroll', server.enroll('e2e-eido-dispatch')] });

  const errors = collectErrors(page);
  await page.goto(host.url);
  await page.getByRole('button', { name: /^Dispatcher/ }).click();
  await expect(page.getByRole('heading', { name: /Open incidents/ })).toBeVisible();
  await expect(page.getByText('Online', { exact: true })).toBeVisible();

  // A behavioral-health call from CAD: the dispatcher should see why the clinician could take it.
  const doc = mentalHealthIncident();
  doc.$id = 'urn:emergency:uid:incidentid:e2e0001:bcf.state.pa.us';
  const t0 = Date.now();
  const answer = await postEido(server.url, key, doc);
  expect(answer.status).toBe(201);
  const row = page.locator('li.incident', { hasText: 'CAD-2021-004411' });
  await expect(row).toBeVisible({ timeout: 1000 });
  const shownAfter = Date.now() - t0;
  console.log(`POST /eido → row visible on the dispatcher console: ${shownAfter} ms`);
  expect(shownAfter).toBeLessThan(1000);

  await expect(row).toContainText('Behavioral Health — Psychiatric / suicidal, alert (25-A-1)');
  await expect(row).toContainText('39.74470, -75.54840 ±850 m (Parking lot behind the library)');
  await expect(row).toContainText('8195551212');
  await expect(row).toContainText('Dana Whitfield');
  await expect(row.getByRole('list', { name: 'Safety cautions' })).toContainText('Subject previously fled on foot');
  const eligibility = row.locator('.eligibility');
  await expect(eligibility).toContainText('Clinician could take this');
  await expect(eligibility).toContainText('EMD Protocol 25: Psychiatric / Abnormal Behavior / Suicide Attempt: code 25-A-1 (rule 25)');
  await expect(eligibility).toContainText('Notes describe a mental-health concern');

  // One that the run card excludes: the exclusion is shown, and the badge says so.
  const excluded = mentalHealthIncident();
  excluded.$id = 'urn:emergency:uid:incidentid:e2e0002:bcf.state.pa.us';
  excluded.incidentComponent.internalIncidentId = 'CAD-2021-004412';
  excluded.notesComponent[0].notesActionComments = 'Brother has a knife, threatening to kill the neighbor.';
  expect((await postEido(server.url, key, excluded)).status).toBe(201);
  const exRow = page.locator('li.incident', { hasText: 'CAD-2021-004412' });
  await expect(exRow.locator('.eligibility')).toContainText('Not for the clinician alone');
  await expect(exRow.locator('.eligibility')).toContainText('Weapons involved: "knife" in notes');

  // The NENA sample as CAD sent it: no incident type, no clinician indicators.
  expect((await postEido(server.url, key, SAMPLE_TEXT)).status).toBe(201);
  const nena = page.locator('li.incident', { hasText: 'a56e556d871' });
  await expect(nena).toContainText('42 W Cellular Street, Wilmington, DE');
  await expect(nena).toContainText('Emergency call (no incident type from CAD)');
  await expect(nena.locator('.eligibility')).toContainText('No clinician criteria matched');
  await expect(nena).not.toContainText('Not for the clinician alone');

  // A bad document is refused with the reason; the console carries on.
  const bad = await postEido(server.url, key, '{"eidoVersion": "1.0"');
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('not_json');

  // A near miss (keys in the wrong case, NIEM names in camel case...) comes through repaired; the
  // dispatcher reviewing it sees what Tandem repaired, as CAD was told.
  const near = await postEido(server.url, key, fs.readFileSync(path.join(FIXTURES, 'near-miss.eido.json'), 'utf8'));
  expect(near.status).toBe(201);
  const repairedCount = (near.body as { warningCount: number }).warningCount;
  expect(repairedCount).toBeGreaterThan(1);
  const nearRow = page.locator('li.incident', { hasText: 'CAM-25-0314-0199' });
  await expect(nearRow).toBeVisible();
  await expect(nearRow.locator('.intake-repairs')).toHaveCount(0); // shown on the selected incident
  await nearRow.locator('.incident-main').click();
  const repairs = nearRow.locator('.intake-repairs');
  await expect(repairs).toContainText(`Repaired on intake from CAD: ${repairedCount} problems in the document`);
  await repairs.locator('summary').click();
  await expect(repairs.locator('li')).toHaveCount(repairedCount);
  await expect(repairs).toContainText('did you mean "lastUpdateTimeStamp"');
  await nearRow.screenshot({ path: path.join('test-results', 'eido-incident-repaired.png') });

  await row.locator('.incident-main').click();
  await expect(row).toHaveClass(/is-selected/);
  await expect(row.locator('.intake-repairs')).toHaveCount(0); // a clean document: nothing repaired
  await row.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join('test-results', 'eido-incident.png') });
  await row.screenshot({ path: path.join('test-results', 'eido-incident-row.png') });
  expect(errors).toEqual([]);
});
