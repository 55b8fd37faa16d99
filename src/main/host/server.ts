import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { BRIDGE_PATH, BridgeCall, type BridgeReply } from '../../shared/bridge';
import { RpcError } from '../../shared/contract';
import { contentSecurityPolicy, contentType, resolveStatic } from './static';

/** One core the host can serve; the per-launch token picks it. */
export interface HostedCore {
  call(name: unknown, input: unknown): Promise<unknown>;
  onAny(listener: (event: string, payload: unknown) => void): () => void;
  /** A window (here: a browser tab's bridge socket) opened; returns what to call when it closes. */
  attach?(): () => void;
  /** Called when the host starts serving it: no tab open yet means nobody is at this console. */
  expectWindows?(): void;
}

export interface HostOptions {
  rendererDir: string;
  port?: number;
  /** Loopback only: the bridge is as powerful as the console itself. */
  host?: '127.0.0.1';
}

/**
 * The headless host: serves the built renderer and carries the core's contract over a
 * WebSocket on 127.0.0.1, so the real UI runs in any browser (development, tests, demos).
 * Each hosted core gets its own random token; a socket without a valid one is refused.
 */
export async function startHost(opts: HostOptions) {
  const cores = new Map<string, HostedCore>();
  const sockets = new Set<WebSocket>();
  if (!fs.existsSync(`${opts.rendererDir}/index.html`)) {
    throw new Error(`No built renderer in ${opts.rendererDir}: run npm run build:renderer first`);
  }

  // Known once listening: the host's own Host and Origin, and its CSP (a constant, never built
  // from a request: a Host header echoed into it would let a rebinding page widen connect-src).
  let ownHost = '';
  let ownOrigin = '';
  let csp = '';

  const server = http.createServer((req, res) => {
    // DNS rebinding: a page served from another name that resolves to 127.0.0.1 sends that name.
    if (req.headers.host !== ownHost) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end(`This host answers only as ${ownHost}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const file = resolveStatic(opts.rendererDir, req.url ?? '/');
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': contentType(file),
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Only the host's own page may drive it: a page the user visits elsewhere, even holding a
    // leaked token, sends its own Origin (browsers always send one on a WebSocket).
    const origin = req.headers.origin;
    if (req.headers.host !== ownHost || (origin !== undefined && origin !== ownOrigin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const core = url.pathname === BRIDGE_PATH ? cores.get(url.searchParams.get('token') ?? '') : undefined;
    if (!core) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, core));
  });

  function serveSocket(ws: WebSocket, core: HostedCore): void {
    sockets.add(ws);
    const send = (msg: BridgeReply) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const off = core.onAny((name, payload) => send({ t: 'event', name, payload }));
    const detach = core.attach?.() ?? (() => undefined);
    ws.on('close', () => {
      off();
      detach();
      sockets.delete(ws);
    });
    ws.on('message', async (data) => {
      let call: BridgeCall;
      try {
        call = BridgeCall.parse(JSON.parse(data.toString()));
      } catch {
        return; // Not a call: nothing to answer.
      }
      try {
        send({ t: 'result', id: call.id, value: await core.call(call.name, call.input) });
      } catch (err) {
        const e = err instanceof RpcError ? err : new RpcError('internal', (err as Error).message);
        send({ t: 'error', id: call.id, error: e.toJSON() });
      }
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  ownHost = `127.0.0.1:${address.port}`;
  ownOrigin = base;
  csp = contentSecurityPolicy(`ws://${ownHost}`);

  return {
    port: address.port,
    /** The Content-Security-Policy every page is served with (one constant per host). */
    csp,
    /** Serve a core; returns the URL that opens its console. */
    add(core: HostedCore): string {
      const token = crypto.randomBytes(24).toString('base64url');
      cores.set(token, core);
      core.expectWindows?.();
      return `${base}/?token=${token}`;
    },
    async close(): Promise<void> {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
