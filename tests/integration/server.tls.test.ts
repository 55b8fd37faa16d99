import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { SyncServer } from '../../src/server/app';
import { HEADER_SECRET, HEADER_WORKSTATION } from '../../src/shared/sync/wire';
import { PASSWORD, startServer, tempDir } from './server-helpers';

const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

function selfSigned(dir: string): { cert: string; key: string } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const res = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (res.status !== 0) throw new Error(`openssl failed: ${res.stderr}`);
  return { cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') };
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function post(url: string, ca: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Enrolls a workstation and signs a new clinician in over HTTPS; returns the socket headers. */
async function signedInOver(server: SyncServer, ca: string): Promise<Record<string, string>> {
  await server.admin.addUser({ username: 'tls-user', password: PASSWORD, name: 'TLS User', role: 'clinician' });
  const token = await server.admin.createEnrollmentToken();
  const enrolled = await post(`${server.url}/v1/enroll`, ca, { token, name: 'tls-desk' });
  expect(enrolled.status).toBe(200);
  const ws = { [HEADER_WORKSTATION]: String(enrolled.body.workstationId), [HEADER_SECRET]: String(enrolled.body.secret) };
  const session = await post(`${server.url}/v1/session`, ca, { username: 'tls-user', password: PASSWORD }, ws);
  expect(session.status).toBe(200);
  return { ...ws, authorization: `Bearer ${String(session.body.token)}` };
}

describe.skipIf(!hasOpenssl)('TLS', () => {
  it('speaks HTTPS and WSS when given a certificate and key', async () => {
    const dir = tempDir();
    const tls = selfSigned(dir);
    const t = await startServer({ tls }, dir);
    try {
      expect(t.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(t.server.wsUrl).toMatch(/^wss:\/\//);
      const health = await get(`${t.server.url}/v1/health`, tls.cert);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ ok: true });
      // An untrusted certificate is refused by a client that checks.
      await expect(get(`${t.server.url}/v1/health`, '')).rejects.toThrow();
      const s = await signedInOver(t.server, tls.cert);
      const hello = await new Promise<unknown>((resolve, reject) => {
        const ws = new WebSocket(t.server.wsUrl, { headers: s, ca: tls.cert });
        ws.once('message', (data) => {
          resolve(JSON.parse(String(data)));
          ws.close();
        });
        ws.once('error', reject);
      });
      expect(hello).toMatchObject({ t: 'hello' });
    } finally {
      await t.cleanup();
    }
  });
});
