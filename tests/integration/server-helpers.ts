import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { Role } from '../../src/shared/roles';
import { encodeHlc } from '../../src/shared/hlc';
import type { EntityName } from '../../src/shared/entities';
import { HEADER_SECRET, HEADER_WORKSTATION, ServerMessage, type ServerMethod } from '../../src/shared/sync/wire';
import { createSyncServer, type SyncServer, type SyncServerConfig } from '../../src/server/app';

/** Helpers for the sync server's integration tests: a real server on 127.0.0.1, port 0, temp dir. */
export const PASSWORD = 'correct horse battery';

export interface TestServer {
  server: SyncServer;
  dir: string;
  /** Stops the server (idempotent). */
  stop(): Promise<void>;
  /** Stops it and removes its data. */
  cleanup(): Promise<void>;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-server-test-'));
}

export async function startServer(config: Partial<SyncServerConfig> = {}, dir = tempDir()): Promise<TestServer> {
  const server = await createSyncServer({ dataDir: dir, host: '127.0.0.1', port: 0, ...config });
  return {
    server,
    dir,
    stop: () => server.close(),
    cleanup: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
}

export async function http<T = unknown>(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  route: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<HttpResult<T>> {
  const res = await fetch(base + route, {
    method,
    headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export interface Workstation {
  workstationId: string;
  secret: string;
  headers: Record<string, string>;
}

export async function enroll(server: SyncServer, name = 'desk'): Promise<Workstation> {
  const token = await server.admin.createEnrollmentToken(name);
  const res = await http<{ workstationId: string; secret: string }>(server.url, 'POST', '/v1/enroll', { body: { token, name } });
  if (res.status !== 200) throw new Error(`enroll failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { workstationId, secret } = res.body;
  return { workstationId, secret, headers: { [HEADER_WORKSTATION]: workstationId, [HEADER_SECRET]: secret } };
}

export interface Session {
  ws: Workstation;
  token: string;
  userId: string;
  name: string;
  role: Role;
  /** Workstation headers plus the Bearer session. */
  headers: Record<string, string>;
}

let userCounter = 0;

/** Adds a user, enrolls a workstation (unless given) and signs in. */
export async function signedIn(server: SyncServer, role: Role, opts: { name?: string; ws?: Workstation; directLine?: string } = {}): Promise<Session> {
  const username = `${role}${++userCounter}`;
  const name = opts.name ?? `${role[0].toUpperCase()}${role.slice(1)} ${userCounter}`;
  const user = await server.admin.addUser({ username, password: PASSWORD, name, role, directLine: opts.directLine ?? null });
  const ws = opts.ws ?? (await enroll(server, `${username}-desk`));
  const res = await http<{ token: string }>(server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username, password: PASSWORD } });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ws, token: res.body.token, userId: user.id, name, role, headers: { ...ws.headers, authorization: `Bearer ${res.body.token}` } };
}

let replicaCounter = 0;
export function newReplica(): string {
  return `ws-test${++replicaCounter}-${process.pid}`;
}

/** An op as a console would push it. */
export function op(
  replica: string,
  seq: number,
  entity: EntityName | string,
  id: string,
  fields: Record<string, unknown>,
  ms = Date.now(),
): { replica: string; seq: number; hlc: string; entity: string; id: string; fields: Record<string, unknown> } {
  return { replica, seq, hlc: encodeHlc({ ms, counter: seq, replica }), entity, id, fields };
}

export function incidentFields(n: number): Record<string, unknown> {
  const at = new Date().toISOString();
  return {
    number: `INC-${n}`,
    source: 'manual',
    type: 'Welfare check',
    priority: null,
    status: 'open',
    location: `${n} Main St`,
    callbackNumber: null,
    callerName: null,
    notes: null,
    cautions: null,
    eligibility: null,
    eidoRaw: null,
    eidoUpdatedAt: null,
    createdAt: at,
    createdBy: 'test',
    updatedAt: at,
  };
}

export function caseFields(personId: string): Record<string, unknown> {
  const at = new Date().toISOString();
  return {
    personId,
    incidentId: null,
    incidentNumber: null,
    origin: 'manual',
    reason: 'Follow-up',
    status: 'open',
    risk: 'low',
    ownerId: null,
    ownerName: null,
    dueAt: null,
    consent: null,
    safetyAlert: null,
    closedAt: null,
    closureReason: null,
    createdAt: at,
    updatedAt: at,
  };
}

export type Res = { ok: true; r: unknown } | { ok: false; e: { code: string; message: string; details?: unknown } };

/** A console's socket: `call` sends a `req` and waits for its `res`; every message is kept. */
export class Client {
  readonly messages: ServerMessage[] = [];
  private nextId = 1;
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const msg = ServerMessage.parse(JSON.parse(data.toString()));
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  static connect(server: SyncServer, headers: Record<string, string>): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(server.wsUrl, { headers });
      const client = new Client(socket);
      const timer = setTimeout(() => reject(new Error('connect timed out')), 5000);
      socket.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      client
        .waitFor((m) => m.t === 'hello', 5000)
        .then(() => {
          clearTimeout(timer);
          resolve(client);
        }, reject);
    });
  }

  /** The first message (already received or still to come) matching `pred`. */
  waitFor(pred: (m: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return this.next(pred, timeoutMs);
  }

  /** The next message from now on matching `pred`. */
  next(pred: (m: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (m: ServerMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('timed out waiting for a message'));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  sendRaw(data: string): void {
    this.socket.send(data);
  }

  async call(m: ServerMethod, p: unknown): Promise<Res> {
    const id = this.nextId++;
    const reply = this.next((msg) => msg.t === 'res' && msg.id === id);
    this.socket.send(JSON.stringify({ t: 'req', id, m, p }));
    const msg = await reply;
    if (msg.t !== 'res') throw new Error('unreachable');
    return msg.ok ? { ok: true, r: msg.r } : { ok: false, e: msg.e as Res extends { e: infer E } ? E : never };
  }

  /** Like `call`, but throws on an error response. */
  async ok<T = unknown>(m: ServerMethod, p: unknown): Promise<T> {
    const res = await this.call(m, p);
    if (!res.ok) throw new Error(`${m} failed: ${res.e.code}: ${res.e.message}`);
    return res.r as T;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
