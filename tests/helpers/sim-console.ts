import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import type { SyncServerConfig } from '../../src/server/app';
import { encodeHlc } from '../../src/shared/hlc';
import { HEADER_SECRET, HEADER_WORKSTATION, ServerMessage, type ServerMethod } from '../../src/shared/sync/wire';
import { forkBundled } from './fork-ts';

/**
 * What the chaos and load runs need (issue 17): server instances in their own processes (so one
 * can be killed outright), and simulated consoles — a WebSocket each, speaking the wire protocol
 * as the sync client does (an outbox pushed in order and sent again after a reconnect, failover
 * to the next instance), without a store or a browser, so that hundreds fit in one process.
 */
export interface Instance {
  url: string;
  wsUrl: string;
  port: number;
  child: ChildProcess;
  addUser(input: { username: string; password: string; name: string; role: string; directLine?: string | null }): Promise<{ id: string }>;
  createEnrollmentToken(name: string): Promise<string>;
  /** SIGKILL: no goodbye, no close. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

export async function startInstance(config: SyncServerConfig): Promise<Instance> {
  const child = await forkBundled(new URL('./server-child.ts', import.meta.url), { TANDEM_SERVER_CHILD_CONFIG: JSON.stringify({ host: '127.0.0.1', port: 0, ...config }) });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<{ url: string; port: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code} before it was ready`)));
    child.on('message', (m: { t?: string; url: string; port: number; id?: number; ok?: boolean; r?: unknown; message?: string }) => {
      if (m.t === 'ready') return resolve({ url: m.url, port: m.port });
      const w = waiting.get(m.id!);
      waiting.delete(m.id!);
      if (m.ok) w?.resolve(m.r);
      else w?.reject(new Error(m.message));
    });
  });
  const call = (method: string, ...args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ id, method, args });
    });
  const { url, port } = await ready;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    port,
    child,
    wsUrl: `${url.replace(/^http/, 'ws')}/v1/ws`,
    addUser: (input) => call('addUser', input) as Promise<{ id: string }>,
    createEnrollmentToken: (name) => call('createEnrollmentToken', name) as Promise<string>,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async close() {
      if (!alive()) return;
      await call('close').catch(() => undefined);
      await exited;
    },
  };
}

/** Enrolls a workstation and signs a user in on it, over HTTP: the headers its socket carries. */
export async function signIn(baseUrl: string, token: string, name: string, username: string, password: string): Promise<Record<string, string>> {
  const post = async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(baseUrl + route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, string>;
    if (!res.ok) throw new Error(`${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const ws = await post('/v1/enroll', { token, name });
  const wsHeaders = { [HEADER_WORKSTATION]: ws.workstationId, [HEADER_SECRET]: ws.secret };
  const session = await post('/v1/session', { username, password }, wsHeaders);
  return { ...wsHeaders, authorization: `Bearer ${session.token}` };
}

export interface SimOp {
  replica: string;
  seq: number;
  hlc: string;
  entity: string;
  id: string;
  fields: Record<string, unknown>;
}

type Res = { ok: true; r: unknown } | { ok: false; e: { code: string; message: string; details?: unknown } };

export interface SimConsoleOptions {
  /** The instances' WebSocket URLs, in the order this console tries them. */
  wsUrls: string[];
  headers: Record<string, string>;
  replica: string;
  /** Which instance to try first. */
  first?: number;
  onMessage?: (m: ServerMessage) => void;
  /** Ops per push at most. */
  batch?: number;
}

export class SimConsole {
  private ws: WebSocket | null = null;
  private linked = false;
  private current: number;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: Res) => void; timer: NodeJS.Timeout }>();
  private stopped = false;
  private seq = 0;
  /** Ops not yet acknowledged, in order. */
  private readonly outbox: SimOp[] = [];
  private pushing = false;
  /** Ops the server refused (acknowledged, not applied), with its reasons. */
  readonly refused: { seq: number; reason: string }[] = [];
  /** The highest seq the server acknowledged. */
  acked = 0;
  /** Milliseconds from a push sent to its answer, for every push answered. */
  readonly pushMs: number[] = [];
  /** Times it connected (the first included), and when it last said hello. */
  links = 0;
  linkedAt = 0;
  private linkWaiters: (() => void)[] = [];

  constructor(private readonly o: SimConsoleOptions) {
    this.current = (o.first ?? 0) % o.wsUrls.length;
  }

  get online(): boolean {
    return this.linked && this.ws?.readyState === WebSocket.OPEN;
  }

  get pending(): number {
    return this.outbox.length;
  }

  /** Ops made so far (the last seq used). */
  get made(): number {
    return this.seq;
  }

  get instance(): number {
    return this.current;
  }

  start(): void {
    this.connect();
  }

  /** Resolves once linked (said hello). */
  linkedNow(): Promise<void> {
    if (this.online) return Promise.resolve();
    return new Promise((resolve) => this.linkWaiters.push(resolve));
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.o.wsUrls[this.current], { headers: this.o.headers, handshakeTimeout: 3000 });
    this.ws = ws;
    this.linked = false;
    ws.on('message', (data) => {
      let msg: ServerMessage;
      try {
        msg = ServerMessage.parse(JSON.parse(data.toString()));
      } catch {
        return;
      }
      if (msg.t === 'hello') {
        this.linked = true;
        this.links++;
        this.linkedAt = performance.now();
        for (const w of this.linkWaiters.splice(0)) w();
        this.flush();
      } else if (msg.t === 'res') {
        const w = this.waiting.get(msg.id);
        if (!w) return;
        this.waiting.delete(msg.id);
        clearTimeout(w.timer);
        w.resolve(msg.ok ? { ok: true, r: msg.r } : { ok: false, e: msg.e });
      }
      this.o.onMessage?.(msg);
    });
    ws.on('error', () => undefined);
    ws.on('unexpected-response', () => ws.terminate());
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.linked = false;
      for (const [id, w] of this.waiting) {
        clearTimeout(w.timer);
        this.waiting.delete(id);
        w.resolve({ ok: false, e: { code: 'unavailable', message: 'Connection to the sync server was lost' } });
      }
      if (this.stopped) return;
      // The next instance, as the sync client does.
      this.current = (this.current + 1) % this.o.wsUrls.length;
      setTimeout(() => this.connect(), 20 + Math.random() * 80).unref();
    });
  }

  /** One request; answered `unavailable` when the link is down or drops, or after `timeoutMs`. */
  call(m: ServerMethod, p: unknown, timeoutMs = 5000): Promise<Res> {
    const ws = this.ws;
    if (!ws || !this.online) return Promise.resolve({ ok: false, e: { code: 'unavailable', message: 'The sync server cannot be reached' } });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ ok: false, e: { code: 'unavailable', message: `no answer within ${timeoutMs} ms` } });
      }, timeoutMs);
      this.waiting.set(id, { resolve, timer });
      ws.send(JSON.stringify({ t: 'req', id, m, p }));
    });
  }

  /** A new op in the outbox, pushed now (or after the push on the wire). */
  add(entity: string, id: string, fields: Record<string, unknown>): SimOp {
    const seq = ++this.seq;
    const op = { replica: this.o.replica, seq, hlc: encodeHlc({ ms: Date.now(), counter: 0, replica: this.o.replica }), entity, id, fields };
    this.outbox.push(op);
    this.flush();
    return op;
  }

  /** Pushes the outbox in order, one batch on the wire at a time. */
  private flush(): void {
    if (this.pushing || !this.online || !this.outbox.length) return;
    this.pushing = true;
    const ops = this.outbox.slice(0, this.o.batch ?? 100);
    const t0 = performance.now();
    void this.call('push', { ops }, 10_000).then((res) => {
      this.pushing = false;
      if (res.ok) {
        this.pushMs.push(performance.now() - t0);
        const { lastSeq, refused } = res.r as { lastSeq: number; refused?: { seq: number; reason: string }[] };
        for (const r of refused ?? []) this.refused.push(r);
        this.acked = Math.max(this.acked, lastSeq);
        while (this.outbox.length && this.outbox[0].seq <= this.acked) this.outbox.shift();
      }
      if (this.outbox.length) setImmediate(() => this.flush());
    });
  }

  /** Waits until everything made is acknowledged (or the time is up). */
  async drained(timeoutMs: number): Promise<boolean> {
    const until = performance.now() + timeoutMs;
    while (this.outbox.length && performance.now() < until) {
      this.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.outbox.length === 0;
  }

  /** Cuts its link as a network would (no close handshake); it reconnects, to the next instance. */
  cut(): void {
    this.ws?.terminate();
  }

  /** The whole change log as this console's instance hands it out: [replica, seq] of each op. */
  async pullAll(): Promise<{ replica: string; seq: number }[]> {
    const out: { replica: string; seq: number }[] = [];
    let cursor = 0;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.call('pull', { cursor, limit: 5000, excludeOwn: false }, 30_000);
      if (!res.ok) throw new Error(`pull: ${res.e.code}: ${res.e.message}`);
      const body = res.r as { ops: { replica: string; seq: number }[]; cursor: number; more: boolean };
      out.push(...body.ops.map(({ replica, seq }) => ({ replica, seq })));
      cursor = body.cursor;
      if (!body.more) break;
    }
    return out;
  }

  close(): void {
    this.stopped = true;
    this.ws?.terminate();
    this.ws = null;
  }
}

/** Every op in the change log, paged over HTTP from one instance: [replica, seq, entity, id]. */
export async function readWholeLog(baseUrl: string, headers: Record<string, string>): Promise<{ replica: string; seq: number; entity: string; id: string }[]> {
  const out: { replica: string; seq: number; entity: string; id: string }[] = [];
  let cursor = 0;
  for (let page = 0; page < 10_000; page++) {
    const res = await fetch(`${baseUrl}/v1/pull?cursor=${cursor}&limit=5000`, { headers });
    if (!res.ok) throw new Error(`pull: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { ops: { replica: string; seq: number; entity: string; id: string }[]; cursor: number; more: boolean };
    out.push(...body.ops.map(({ replica, seq, entity, id }) => ({ replica, seq, entity, id })));
    cursor = body.cursor;
    if (!body.more) break;
  }
  return out;
}

/** Acknowledged ops missing from the log, and ops in it more than once, for these consoles. */
export function exactlyOnce(consoles: SimConsole[], log: { replica: string; seq: number }[], replicaOf: (c: SimConsole) => string): { lost: number; duplicated: number } {
  const count = new Map<string, number>();
  for (const o of log) count.set(`${o.replica}:${o.seq}`, (count.get(`${o.replica}:${o.seq}`) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  for (const c of consoles) {
    const r = replicaOf(c);
    for (let s = 1; s <= c.acked; s++) if (!count.has(`${r}:${s}`)) lost++;
  }
  for (const n of count.values()) if (n > 1) duplicated += n - 1;
  return { lost, duplicated };
}
