import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHost, tempProfile, type Host } from './helpers';

/**
 * Issue 14, in Chromium through the headless host: the page's effective CSP refuses an inline
 * script, and a page from another origin cannot drive the console's bridge even with its token.
 */
let host: Host;
let profile: string;
let foreign: http.Server | null = null;

test.beforeAll(async () => {
  profile = tempProfile();
  host = await startHost({ profile, extraArgs: ['--demo'] });
});

test.afterAll(async () => {
  await host?.stop();
  if (foreign) await new Promise<void>((resolve) => foreign!.close(() => resolve()));
  fs.rmSync(profile, { recursive: true, force: true });
});

test('the console page refuses an inline script', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(host.url);
  await expect(page.getByRole('button', { name: /^Clinician/ })).toBeVisible();
  // The built page carries the policy itself too, whoever serves it.
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta).toContain("script-src 'self'");
  const ran = await page.evaluate(async () => {
    const w = window as unknown as { inlineRan?: boolean };
    const blocked = new Promise<string>((resolve) => document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true }));
    const s = document.createElement('script');
    s.textContent = 'window.inlineRan = true';
    document.head.appendChild(s);
    return { ran: w.inlineRan === true, directive: await blocked };
  });
  expect(ran.ran).toBe(false);
  expect(ran.directive).toMatch(/^script-src/);
  await expect.poll(() => violations.length).toBeGreaterThan(0);
});

test('a page from another origin cannot open the bridge, even with the token', async ({ page }) => {
  foreign = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((resolve) => foreign!.listen(0, '127.0.0.1', () => resolve()));
  const elsewhere = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`;
  const bridge = host.url.replace(/^http/, 'ws').replace(/\/\?token=/, '/bridge?token=');
  await page.goto(elsewhere);
  const outcome = await page.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => resolve('open');
        ws.onclose = () => resolve('refused');
      }),
    bridge,
  );
  expect(outcome).toBe('refused');
  // The console's own page still opens it.
  await page.goto(host.url);
  await expect(page.getByRole('button', { name: /^Clinician/ })).toBeVisible();
});
