import { test, expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * On the floor: F9 from the open new-incident form with a note, the conference panel keeping
 * what the dispatcher knew, and a second call that never takes the keyboard from the first.
 * Screenshots at 460 px docked, 1280 × 720 and 1920 × 1080, each checked with axe-core.
 */
const DIRECT = '+1 555 0142';
let server: SyncServerProcess | null = null;
const hosts: Host[] = [];
const dirs: string[] = [];

const SIZES = [
  { name: 'docked', width: 460, height: 900 },
  { name: '1280', width: 1280, height: 720 },
  { name: '1920', width: 1920, height: 1080 },
];

async function openConsole(browser: Browser, name: string, account: string): Promise<Page> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({ profile: dir, extraArgs: ['--demo', '--server', server!.url, '--enroll', server!.enroll(name), '--direct-line', DIRECT] });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 460, height: 900 } })).newPage();
  await page.goto(host.url);
  await page.getByLabel(/Username/i).fill(account);
  await page.getByLabel(/Password/i).fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  return page;
}

/** Screenshots at the three sizes, and 0 serious or critical axe-core violations at each. */
async function shots(page: Page, what: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.screenshot({ path: `test-results/floor-${what}-${size.name}.png` });
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

test('F9 from the open form saves and conferences with a note; the panel keeps what dispatch knew; a second call never takes Enter', async ({ browser }) => {
  const dir = tempProfile('tandem-e2e-server-');
  dirs.push(dir);
  server = await startSyncServer({ data: dir, users: DEMO_ACCOUNTS.filter((u) => ['dana', 'chris'].includes(u.username)), handoffTimeoutMs: 60_000, directLine: DIRECT });
  const chris = await openConsole(browser, 'e2e-clin', 'chris');
  const dispatcher = await openConsole(browser, 'e2e-dispatch', 'dana');

  await expect(dispatcher.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  await dispatcher.keyboard.press('n');
  await dispatcher.getByLabel(/^Type/).fill('Welfare check — suicidal statements');
  await dispatcher.getByLabel(/^Location/).fill('1200 Massachusetts Ave, Apt 4B');
  await dispatcher.getByLabel(/^Callback number/).fill('not a number');
  await dispatcher.getByLabel(/^Caller name/).fill('Sam (roommate)');
  await dispatcher.getByLabel(/^Priority/).selectOption('2');
  await dispatcher.getByLabel(/^Notes/).fill('Texted goodbye messages; no weapons known.');
  await dispatcher.getByLabel(/^Note to the clinician/).fill('Roommate is on the line, he is in the bathroom');
  await dispatcher.keyboard.press('F9');
  const formError = dispatcher.locator('#incident-form-error');
  await expect(formError).toHaveText('Callback number must be a phone number: 7 to 15 digits, with an extension after “x” if needed.');
  await expect(dispatcher.getByLabel(/^Callback number/)).toBeFocused();
  await shots(dispatcher, 'form-error');

  await dispatcher.getByLabel(/^Callback number/).fill('617-555-0188');
  await dispatcher.keyboard.press('F9');
  const row = dispatcher.locator('li.incident', { hasText: 'suicidal statements' });
  await expect(row.locator('.handoff-line')).toContainText('Ringing clinician');
  // "no weapons known" is read as a negation: the clinician could take this, and the row says what was set aside.
  await expect(row.locator('.eligibility')).toContainText('Clinician could take this');
  await expect(row.locator('.eligibility')).toContainText('Not counted: "weapon*" in notes — negated by “no”');

  const card = chris.locator('.ringing-card');
  await expect(card).toContainText('Roommate is on the line, he is in the bathroom');
  await shots(chris, 'ringing');
  await chris.keyboard.press('a');
  const conf = chris.locator('.conference-card');
  await expect(conf).toBeVisible();
  for (const fact of ['Sam (roommate)', 'Texted goodbye messages; no weapons known.', '1200 Massachusetts Ave, Apt 4B', '617-555-0188', 'Roommate is on the line']) {
    await expect(conf).toContainText(fact);
  }

  // A second call rings during the conference: Enter stays with the conference.
  await dispatcher.keyboard.press('n');
  await dispatcher.getByLabel(/^Type/).fill('Anxiety / panic attack');
  await dispatcher.getByLabel(/^Location/).fill('45 Prospect St');
  await dispatcher.keyboard.press('F9');
  await expect(card).toContainText('Anxiety / panic attack');
  await expect(card.getByRole('button', { name: /^Accept/ })).not.toBeFocused();
  await chris.locator('body').click({ position: { x: 5, y: 5 } });
  await chris.keyboard.press('Enter');
  await expect(card).toBeVisible();
  await expect(dispatcher.locator('li.incident', { hasText: 'panic attack' }).locator('.handoff-line')).toContainText('Ringing clinician');
  await shots(chris, 'conference-second-call');
  await shots(dispatcher, 'dispatcher-two-calls');
});
