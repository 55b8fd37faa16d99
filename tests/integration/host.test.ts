import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { startHost } from '../../src/main/host/server';
import { tempDir, randomKey } from '../helpers/tmp';
import { waitFor } from '../helpers/wait-for';

/** The headless host: per-launch token on the bridge, loopback only, files only from the renderer folder. */
const t = tempDir('tandem-host-');
let core: Core;
let host: Awaited<ReturnType<typeof startHost>>;
let url: string;

beforeAll(async () => {
  const renderer = path.join(t.dir, 'renderer');
  fs.mkdirSync(renderer);
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Tandem</title>');
  fs.writeFileSync(path.join(t.dir, 'secret.txt'), 'not for the browser');
  core = await createCore({ profileDir: path.join(t.dir, 'profile'), key: randomKey(), demo: true });
  host = await startHost({ rendererDir: renderer });
  url = host.add(core);
});
afterAll(async () => {
  await host.close();
  core.close();
  t.cleanup();
});

function connect(u: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket | null; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(u, { headers });
    ws.on('open', () => resolve({ ws, status: null }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws: null, status: res.statusCode ?? null }));
    ws.on('error', () => resolve({ ws: null, status: -1 }));
  });
}

describe('headless host', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(new URL(url).hostname).toBe('127.0.0.1');
  });

  it('refuses a bridge socket without the token, or with a wrong one', async () => {
    const base = `ws://127.0.0.1:${host.port}/bridge`;
    expect((await connect(base)).status).toBe(401);
    expect((await connect(`${base}?token=guess`)).status).toBe(401);
  });

  it('carries calls and their typed errors over the bridge with the token', async () => {
    const token = new URL(url).searchParams.get('token');
    const { ws } = await connect(`ws://127.0.0.1:${host.port}/bridge?token=${token}`);
    expect(ws).not.toBeNull();
    const replies: Record<number, unknown> = {};
    ws!.on('message', (m) => {
      const msg = JSON.parse(m.toString());
      if (msg.id !== undefined) replies[msg.id] = msg;
    });
    ws!.send(JSON.stringify({ t: 'call', id: 1, name: 'session.get', input: {} }));
    ws!.send(JSON.stringify({ t: 'call', id: 2, name: 'case.queue', input: {} }));
    ws!.send(JSON.stringify({ t: 'call', id: 3, name: 'nope', input: {} }));
    await waitFor(() => [1, 2, 3].every((id) => id in replies), { what: 'replies to calls 1, 2 and 3' });
    expect(replies[1]).toMatchObject({ t: 'result', value: { demo: true, user: null } });
    expect(replies[2]).toMatchObject({ t: 'error', error: { code: 'unauthenticated' } });
    expect(replies[3]).toMatchObject({ t: 'error', error: { code: 'unknown_request' } });
    ws!.close();
  });

  it('serves the renderer with a strict CSP and nothing outside its folder', async () => {
    const page = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const escape = await fetch(`http://127.0.0.1:${host.port}/..%2Fsecret.txt`);
    expect(await escape.text()).not.toContain('not for the browser');
  });

  it('accepts the bridge only from its own Origin and Host, even with the token', async () => {
    const token = new URL(url).searchParams.get('token');
    const bridge = `ws://127.0.0.1:${host.port}/bridge?token=${token}`;
    expect((await connect(bridge, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await connect(bridge, { origin: `http://localhost:${host.port}` })).status).toBe(403);
    expect((await connect(bridge, { host: `rebound.example:${host.port}` })).status).toBe(403);
    const own = await connect(bridge, { origin: `http://127.0.0.1:${host.port}` });
    expect(own.ws).not.toBeNull();
    own.ws!.close();
  });

  it('answers only as its own Host, with one constant CSP whatever the request says', async () => {
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: host.port, path: '/', headers: { host: `attacker.example:${host.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(rebound).toBe(421);
    const page = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(page.headers.get('content-security-policy')).toBe(host.csp);
    expect(host.csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port};`);
  });
});
