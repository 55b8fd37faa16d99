import { test, expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import net from 'node:net';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * Signals a dispatcher can trust, with consoles killed and links cut (not only signed out):
 * the clinician chip says exactly what F9 would do, and a clinician console that lost its link
 * says it cannot take calls instead of ringing a call someone else took. Screenshots at the
 * docked width go to test-results/; axe-core checks every screen shown.
 */
const DIRECT = '+1 555 0142';
const FLOOR = '+1 555 0100';
let server: SyncServerProcess | null = null;
const hosts: Host[] = [];
const dirs: string[] = [];
const closers: (() => Promise<void> | void)[] = [];

async function startServer(): Promise<void> {
  const dir = tempProfile('tandem-e2e-server-');
  dirs.push(dir);
  const users = DEMO_ACCOUNTS.filter((u) => ['dana', 'chris', 'sam'].includes(u.username));
  server = await startSyncServer({ data: dir, users, handoffTimeoutMs: 60_000, directLine: DIRECT });
}

/** A TCP relay in front of the server whose link can be cut with no FIN and no RST: a pulled cable. */
async function relay(target: string) {
  const port = Number(new URL(target).port);
  const pairs: [net.Socket, net.Socket][] = [];
  const held: net.Socket[] = [];
  let cut = false;
  const srv = net.createServer((a) => {
    a.on('error', () => undefined);
    if (cut) return void held.push(a);
    const b = net.connect(port, '127.0.0.1');
    b.on('error', () => a.destroy());
    a.pipe(b);
    b.pipe(a);
    pairs.push([a, b]);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const r = {
    url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`,
    cut() {
      cut = true;
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    heal() {
      cut = false;
      for (const s of held.splice(0)) s.destroy();
    },
  };
  closers.push(async () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });
  return r;
}

async function openConsole(browser: Browser, name: string, account: string, serverUrl = server!.url): Promise<{ page: Page; host: Host }> {
  const dir = tempProfile();
  dirs.push(dir);
  const host = await startHost({
    profile: dir,
    extraArgs: ['--demo', '--server', serverUrl, '--enroll', server!.enroll(name), '--direct-line', DIRECT, '--floor-line', FLOOR],
  });
  hosts.push(host);
  const page = await (await browser.newContext({ viewport: { width: 460, height: 900 } })).newPage();
  await page.goto(host.url);
  await page.getByLabel(/Username/i).fill(account);
  await page.getByLabel(/Password/i).fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  return { page, host };
}

async function newIncident(page: Page, type: string, location: string): Promise<void> {
  await expect(page.getByRole('heading', { name: /^Open incidents/ })).toBeVisible();
  await page.keyboard.press('n');
  await page.keyboard.type(type);
  await page.keyboard.press('Tab');
  await page.keyboard.type(location);
  await page.keyboard.press('Enter');
  await expect(page.locator('li.incident', { hasText: type })).toHaveClass(/is-selected/);
}

/** 0 serious or critical axe-core violations on what the page shows now. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), what).toEqual([]);
}

const chip = (page: Page) => page.locator('.statusbar .status-row').first();

test.afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  for (const c of closers.splice(0).reverse()) await c();
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

test('the chip says what F9 would do: a killed console and a closed window are not present clinicians', async ({ browser }) => {
  await startServer();
  const dispatcher = (await openConsole(browser, 'e2e-dispatch', 'dana')).page;
  await expect(chip(dispatcher)).toContainText('Clinician: none connected — F9 gives direct line');

  const chris = await openConsole(browser, 'e2e-clin-1', 'chris');
  const sam = await openConsole(browser, 'e2e-clin-2', 'sam');
  // A fresh demo: nobody has set a presence yet, and F9 would ring both.
  await expect(chip(dispatcher)).toContainText(/Clinician: available — (Chris Okafor|Sam Patel) \+1/);
  await dispatcher.screenshot({ path: 'test-results/presence-two-connected.png' });
  await expectAccessible(dispatcher, 'dispatcher with clinicians connected');

  await chris.host.kill();
  await expect(chip(dispatcher)).toContainText('Clinician: available — Sam Patel', { timeout: 15_000 });
  await expect(chip(dispatcher)).not.toContainText('Chris');

  await sam.page.close(); // her console runs on, with nobody at it
  await expect(chip(dispatcher)).toContainText('Clinician: none connected — F9 gives direct line', { timeout: 15_000 });
  await newIncident(dispatcher, 'Welfare check — nobody there', '9 Pine St');
  await dispatcher.keyboard.press('F9');
  await expect(dispatcher.getByRole('alert').filter({ hasText: 'Could not reach the clinician' })).toContainText(`call direct: ${DIRECT}`);
  await dispatcher.screenshot({ path: 'test-results/presence-none-f9-direct-line.png' });
  await expectAccessible(dispatcher, 'dispatcher banner');
});

test('a cut link: the clinician console says it cannot take calls, the chip drops her, and a call taken meanwhile never rings on', async ({
  browser,
}) => {
  await startServer();
  const link = await relay(server!.url);
  const chris = (await openConsole(browser, 'e2e-clin-1', 'chris', link.url)).page;
  const sam = (await openConsole(browser, 'e2e-clin-2', 'sam')).page;
  const dispatcher = (await openConsole(browser, 'e2e-dispatch', 'dana')).page;
  await expect(chip(dispatcher)).toContainText('+1');

  await newIncident(dispatcher, 'Suicidal statements — link cut', '1200 Massachusetts Ave');
  await dispatcher.keyboard.press('F9');
  await expect(chris.locator('.ringing-card')).toBeVisible();
  await expect(sam.locator('.ringing-card')).toBeVisible();

  link.cut();
  const offline = chris.getByRole('alert').filter({ hasText: 'This console is offline: it cannot take live calls right now.' });
  await expect(offline).toBeVisible({ timeout: 15_000 });
  await expect(offline).toContainText(FLOOR);
  await expect(chris.locator('.ringing-card')).toHaveCount(0);
  await expect(chris.getByRole('button', { name: /^Accept/ })).toHaveCount(0);
  await expect(chip(dispatcher)).toContainText('Clinician: available — Sam Patel', { timeout: 15_000 });
  await chris.screenshot({ path: 'test-results/presence-clinician-offline.png' });
  await expectAccessible(chris, 'offline clinician console');

  await sam.keyboard.press('a');
  await expect(sam.locator('.conference-card')).toBeVisible();

  link.heal();
  await expect(offline).toHaveCount(0, { timeout: 20_000 });
  await expect(chris.getByRole('alert').filter({ hasText: 'Taken by Sam Patel' })).toBeVisible();
  await expect(chris.locator('.ringing-card')).toHaveCount(0);
  await expect(chip(dispatcher)).toContainText(/Chris Okafor|\+1/);
  await chris.screenshot({ path: 'test-results/presence-clinician-reconciled.png' });
});
