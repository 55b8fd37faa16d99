import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import { DEMO_ACCOUNTS, startHost, startSyncServer, tempProfile, type Host, type SyncServerProcess } from './helpers';

/**
 * Issue 14, two-step sign-in in Chromium through the headless host, against a real sync server
 * that requires it of clinicians: the first sign-in sets it up (QR code and key, confirmed by a
 * code from the key, recovery codes shown once), the next asks for a code, refuses a wrong one
 * and a used one, and takes the right one. The codes are made here with otpauth, as a phone would.
 */
let server: SyncServerProcess | null = null;
let host: Host | null = null;
const dirs: string[] = [];
const SHOTS = '/tmp/shots-security';

const codeAt = (secret: string, at: number) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at });

async function axe(page: Page, what: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/mfa-${what}.png`, fullPage: true });
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), what).toEqual([]);
}

test.afterEach(async () => {
  await host?.stop();
  await server?.stop();
  host = server = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// A server and a console (two tsx processes) to start: on a loaded machine that alone took 195 s.
test.setTimeout(600_000);

test('a clinician sets up two-step sign-in at the first sign-in, then signs in with a code; wrong and used codes are refused', async ({ page }) => {
  const data = tempProfile('tandem-e2e-server-');
  const profile = tempProfile();
  dirs.push(data, profile);
  server = await startSyncServer({ data, users: DEMO_ACCOUNTS.filter((u) => u.username === 'chris'), extraArgs: ['--require-mfa', 'clinician,supervisor,admin'] });
  host = await startHost({ profile, extraArgs: ['--server', server.url, '--enroll', server.enroll('e2e-mfa')] });

  await page.goto(host.url);
  await page.getByLabel('Username').fill('chris');
  await page.getByLabel('Password').fill('tandem-demo');
  await page.keyboard.press('Enter');

  // Setup: the QR code and the key, then a code from the app.
  await expect(page.getByRole('heading', { name: 'Set up two-step sign-in' })).toBeVisible();
  await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
  const secret = (await page.getByTestId('mfa-secret').innerText()).replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await axe(page, 'setup');
  await page.getByLabel('Code from the app').fill('000000' === codeAt(secret, Date.now()) ? '111111' : '000000');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alert')).toContainText(/Wrong code/);
  // The same key stays on screen after a wrong code.
  await expect(page.getByTestId('mfa-secret')).toHaveText(secret.replace(/(.{4})/g, '$1 ').trim());
  const setupCode = codeAt(secret, Date.now());
  await page.getByLabel('Code from the app').fill(setupCode);
  await page.keyboard.press('Enter');

  // The recovery codes, once.
  await expect(page.getByRole('heading', { name: 'Keep your recovery codes' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
  await axe(page, 'recovery-codes');
  await page.getByRole('button', { name: /I have kept them/ }).click();
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Keep your recovery codes' })).toHaveCount(0);

  // Next time: a code is asked.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Username').fill('chris');
  await page.getByLabel('Password').fill('tandem-demo');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Two-step sign-in' })).toBeVisible();
  await expect(page.getByTestId('mfa-secret')).toHaveCount(0);
  await axe(page, 'code');
  const codeField = page.getByLabel('Code from your authenticator app');
  // The code that confirmed setup was used: refused.
  await codeField.fill(setupCode);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alert')).toContainText(/already used|Wrong code/);
  await page.screenshot({ path: `${SHOTS}/mfa-code-refused.png`, fullPage: true });
  // The next step's code (a phone a little ahead, inside the window) signs in.
  await codeField.fill(codeAt(secret, Date.now() + 30_000));
  await page.keyboard.press('Enter');
  await expect(page.getByText('Online', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Keep your recovery codes' })).toHaveCount(0);
});
