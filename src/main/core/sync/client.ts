import WebSocket from 'ws';
import {
  WIRE_PATH,
  ServerMessage,
  HEADER_SECRET,
  HEADER_WORKSTATION,
  EnrollResponse,
  SessionResponse,
  type ServerMethod,
} from '../../../shared/sync/wire';
import { PushResponse, parsePullResponse, type LoggedOp } from '../../../shared/sync/protocol';
import { RpcError, RpcErrorCode, type SyncStatus, type User } from '../../../shared/contract';
import type { Handoff } from '../../../shared/entities';
import type { ReplicaStore } from '../store/replica';
import type { JsonBytes } from '../../../node/json-bytes';
import { textOf } from '../../../node/text';

/**
 * Keeps one workstation replica in step with the ECC sync server: pushes the outbox,
 * pulls the change log from the stored cursor, reconnects with backoff, and reports its
 * state for the status bar. Offline is a normal state: local work never waits on it.
 */
export interface SyncClientOptions {
  serverUrl: string;
  store: ReplicaStore;
  enrollmentToken?: string;
  workstationName: string;
  onRemoteOps: (ops: LoggedOp[]) => void;
  /** The server says a live handoff is ringing (ahead of the change log). */
  onRing?: (handoff: Handoff) => void;
  /**
   * Who a live handoff would ring now, as the server sees it; null when this console cannot
   * know (the link is down or not yet up).
   */
  onAnswerers?: (users: { id: string; name: string }[] | null) => void;
  onStatus: (status: SyncStatus) => void;
  now?: () => number;
  pushBatch?: number;
  /** Push batches on the wire at once. */
  pushWindow?: number;
  pullPage?: number;
  /** Longest wait between reconnect attempts. */
  maxBackoffMs?: number;
  tls?: { ca?: string | Buffer };
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class SyncClient {
  private ws: WebSocket | null = null;
  private session: { token: string; user: User } | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private status: SyncStatus;
  private backoffMs = 250;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pulling = false;
  private pullAgain = false;
  private pushing = false;
  private pushAgain = false;
  private readonly now: () => number;
  /** performance.now() when the server was last heard from (a ping or any message). */
  private heardAt = 0;
  private heartbeatMs = 0;
  private watchdog: NodeJS.Timeout | null = null;
  /** Whether a person is at this console; null until a shell says (then it is told to the server). */
  private attended: boolean | null = null;

  constructor(private readonly opts: SyncClientOptions) {
    this.now = opts.now ?? Date.now;
    this.status = {
      state: 'offline',
      offlineSince: new Date(this.now()).toISOString(),
      pending: opts.store.pendingCount(),
      refused: opts.store.refusedCount(),
      lastSyncedAt: opts.store.metaGet('lastSyncedAt') ?? null,
      error: null,
      serverUrl: opts.serverUrl,
    };
  }

  getStatus(): SyncStatus {
    return { ...this.status, pending: this.opts.store.pendingCount(), refused: this.opts.store.refusedCount() };
  }

  private setStatus(patch: Partial<SyncStatus>): void {
    const wasOnline = this.status.state === 'online';
    this.status = { ...this.status, ...patch };
    if (patch.state && patch.state !== 'online' && (wasOnline || !this.status.offlineSince)) {
      this.status.offlineSince = new Date(this.now()).toISOString();
    }
    if (patch.state === 'online') this.status.offlineSince = null;
    this.opts.onStatus(this.getStatus());
  }

  /** Re-announce pending counts after a local change. */
  announce(): void {
    this.opts.onStatus(this.getStatus());
  }

  private httpUrl(path: string): string {
    return new URL(path, this.opts.serverUrl).toString();
  }

  private credentials(): { id: string; secret: string } | null {
    const id = this.opts.store.metaGet('workstationId');
    const secret = this.opts.store.metaGet('workstationSecret');
    return id && secret ? { id, secret } : null;
  }

  /** Enrolls this workstation once with a one-time token; the secret lives in the encrypted store. */
  async ensureEnrolled(): Promise<{ id: string; secret: string }> {
    const existing = this.credentials();
    if (existing) return existing;
    if (!this.opts.enrollmentToken) {
      throw new RpcError('unavailable', 'This workstation is not enrolled with the sync server: ask IT for an enrollment token');
    }
    const res = await fetch(this.httpUrl('/v1/enroll'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: this.opts.enrollmentToken, name: this.opts.workstationName }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new RpcError('unavailable', `Enrollment refused: ${await errorText(res)}`);
    const body = EnrollResponse.parse(await res.json());
    this.opts.store.metaSet('workstationId', body.workstationId);
    this.opts.store.metaSet('workstationSecret', body.secret);
    return { id: body.workstationId, secret: body.secret };
  }

  /** Signs in against the server; throws RpcError('unavailable') when it cannot be reached. */
  async signIn(username: string, password: string): Promise<{ token: string; user: User }> {
    let creds: { id: string; secret: string };
    let res: Response;
    try {
      creds = await this.ensureEnrolled();
      res = await fetch(this.httpUrl('/v1/session'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HEADER_WORKSTATION]: creds.id, [HEADER_SECRET]: creds.secret },
        body: JSON.stringify({ username, password }),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      if (err instanceof RpcError) throw err;
      throw new RpcError('unavailable', `Cannot reach the sync server at ${this.opts.serverUrl}`);
    }
    if (res.status === 401 || res.status === 403) throw new RpcError('unauthenticated', await errorText(res));
    if (!res.ok) throw new RpcError('unavailable', `Sync server error: ${await errorText(res)}`);
    const body = SessionResponse.parse(await res.json());
    return { token: body.token, user: body.user };
  }

  /** Starts (or restarts) the link for a signed-in user. */
  start(session: { token: string; user: User }): void {
    this.session = session;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.session = null;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.ws?.terminate();
    this.ws = null;
    this.stopWatchdog();
    this.opts.onAnswerers?.(null);
    this.failPending(new RpcError('unavailable', 'Signed out'));
    this.setStatus({ state: 'offline' });
  }

  private connect(): void {
    const creds = this.credentials();
    if (!creds || !this.session || this.stopped) return;
    this.setStatus({ state: this.status.state === 'online' ? 'connecting' : this.status.state === 'error' ? 'error' : 'offline' });
    const url = this.httpUrl(WIRE_PATH).replace(/^http/, 'ws');
    const ws = new WebSocket(url, {
      headers: { [HEADER_WORKSTATION]: creds.id, [HEADER_SECRET]: creds.secret, authorization: `Bearer ${this.session.token}` },
      ca: this.opts.tls?.ca,
      handshakeTimeout: 3000,
    });
    this.ws = ws;
    ws.on('message', (data) => {
      if (this.ws === ws) this.heardAt = performance.now();
      this.onMessage(ws, textOf(data));
    });
    ws.on('ping', () => {
      if (this.ws === ws) this.heardAt = performance.now();
    });
    ws.on('close', () => this.onClose(ws));
    ws.on('error', () => {
      /* 'close' follows and schedules the reconnect */
    });
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401) this.setStatus({ state: 'error', error: 'The sync server refused this session: sign in again' });
      ws.terminate();
    });
  }

  private onClose(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.stopWatchdog();
    this.opts.onAnswerers?.(null);
    this.failPending(new RpcError('unavailable', 'Connection to the sync server was lost'));
    if (this.stopped) return;
    if (this.status.state !== 'error') this.setStatus({ state: 'offline' });
    const delay = this.backoffMs * (0.75 + Math.random() * 0.5);
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private onMessage(ws: WebSocket, text: string): void {
    let msg: ServerMessage;
    try {
      msg = ServerMessage.parse(JSON.parse(text));
    } catch {
      return; // A message we do not understand is dropped; the link stays up.
    }
    if (msg.t === 'hello') {
      const drift = Math.abs(msg.serverTime - this.now());
      if (drift > msg.maxDriftMs) {
        this.setStatus({ state: 'error', error: `This workstation's clock is ${Math.round(drift / 1000)} s off the server's: fix the system clock (NTP) to sync` });
        ws.close();
        return;
      }
      this.backoffMs = 250;
      this.startWatchdog(ws, msg.heartbeatMs ?? 0);
      this.setStatus({ state: 'online', error: null });
      this.sendAttended();
      void this.syncNow();
    } else if (msg.t === 'answerers') {
      this.opts.onAnswerers?.(msg.users);
    } else if (msg.t === 'ring') {
      this.opts.onRing?.(msg.handoff);
    } else if (msg.t === 'poke') {
      if (msg.cursor > this.cursor()) void this.pull();
    } else if (msg.t === 'res') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.r);
      else p.reject(new RpcError(toRpcCode(msg.e.code), msg.e.message, msg.e.details));
    }
  }

  /**
   * A link cut without a close (a cable pulled, a VPN dropped) shows only as silence: the server
   * pings every `heartbeatMs`, and three of them unheard means the link is gone. Closing it
   * here makes the console say it is offline and reconnect, instead of trusting a dead socket.
   */
  private startWatchdog(ws: WebSocket, heartbeatMs: number): void {
    this.stopWatchdog();
    this.heartbeatMs = heartbeatMs;
    this.heardAt = performance.now();
    if (heartbeatMs <= 0) return;
    this.watchdog = setInterval(() => {
      if (this.ws !== ws) return this.stopWatchdog();
      if (performance.now() - this.heardAt > this.heartbeatMs * 3) {
        this.stopWatchdog();
        ws.terminate();
      }
    }, Math.max(250, Math.min(1000, heartbeatMs / 2)));
    this.watchdog.unref?.();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  /** Whether someone is at this console (a window is open); told to the server now and on every reconnect. */
  setAttended(attended: boolean): void {
    if (this.attended === attended) return;
    this.attended = attended;
    this.sendAttended();
  }

  private sendAttended(): void {
    if (this.attended === null || !this.isOnline()) return;
    this.rpc('presence.attend', { attended: this.attended }).catch(() => undefined); // sent again on reconnect
  }

  isOnline(): boolean {
    return this.status.state === 'online' && this.ws?.readyState === WebSocket.OPEN;
  }

  /** One request to the server over the socket; fails fast when the link is down. */
  rpc(method: ServerMethod, params: unknown, timeoutMs = 5000): Promise<unknown> {
    return this.rpcJson(method, JSON.stringify(params), timeoutMs);
  }

  /** The same, with the parameters already written as JSON (as text, or as bytes). */
  private rpcJson(method: ServerMethod, paramsJson: string | JsonBytes, timeoutMs: number): Promise<unknown> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.status.state !== 'online') {
      return Promise.reject(new RpcError('unavailable', 'The sync server cannot be reached'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError('unavailable', `The sync server did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const head = `{"t":"req","id":${id},"m":${JSON.stringify(method)},"p":`;
      if (typeof paramsJson === 'string') ws.send(`${head}${paramsJson}}`);
      else ws.send(paramsJson.prepend(head).text('}').bytes(), { binary: false });
    });
  }

  cursor(): number {
    return Number(this.opts.store.metaGet('cursor') ?? 0);
  }

  /** Push everything pending, then pull everything new. */
  async syncNow(): Promise<void> {
    await this.push();
    await this.pull();
  }

  /**
   * Drains the outbox in order. Up to `pushWindow` batches are on the wire at once, so the
   * server applies one while the next is read and sent (it handles a socket's requests in
   * arrival order, so they still land in sequence). Safe to call at any time; concurrent
   * calls coalesce.
   */
  async push(): Promise<void> {
    if (this.pushing) {
      this.pushAgain = true;
      return;
    }
    this.pushing = true;
    const store = this.opts.store;
    const size = this.opts.pushBatch ?? 2000;
    const window = this.opts.pushWindow ?? 3;
    const inFlight: { lastSeq: number; response: Promise<unknown> }[] = [];
    try {
      do {
        this.pushAgain = false;
        let sent = 0;
        for (;;) {
          while (inFlight.length < window && this.isOnline()) {
            const batch = store.outboxJson(size, sent);
            if (batch.count === 0) break;
            sent = batch.lastSeq;
            const response = this.rpcJson('push', batch.json.prepend('{"ops":').text('}'), 30_000);
            response.catch(() => undefined); // a failure is reported when its turn comes
            inFlight.push({ lastSeq: sent, response });
          }
          const next = inFlight.shift();
          if (!next) break;
          const res = PushResponse.parse(await next.response);
          store.transaction(() => {
            store.acknowledge(res.lastSeq, res.refused);
            // The log moved only by this push's own ops: nothing to pull back for them (the
            // server's poke for this push then finds the cursor there already).
            const at = this.cursor();
            if (res.from !== undefined && at >= res.from && res.cursor > at) store.metaSet('cursor', String(res.cursor));
          });
          this.markSynced();
          if (res.lastSeq < next.lastSeq) return; // the server stopped early (a gap); try again later
        }
      } while (this.pushAgain);
    } catch (err) {
      this.reportTransient(err);
    } finally {
      // Whatever was still on the wire is acknowledged by the next push (the server skips repeats).
      this.pushing = false;
    }
  }

  /**
   * Pulls pages from the stored cursor; each page and its cursor commit together. The next
   * page is asked for before this one is applied, so the server reads it meanwhile.
   */
  async pull(): Promise<void> {
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = true;
    const store = this.opts.store;
    const ask = (cursor: number) => {
      const response = this.rpc('pull', { cursor, limit: this.opts.pullPage ?? 5000, excludeOwn: true }, 30_000);
      response.catch(() => undefined);
      return response;
    };
    try {
      do {
        this.pullAgain = false;
        if (!this.isOnline()) return;
        let pending: Promise<unknown> | null = ask(this.cursor());
        while (pending) {
          const res = parsePullResponse(await pending);
          pending = res.more && this.isOnline() ? ask(res.cursor) : null;
          // The server leaves our own ops out; one that comes back anyway is already applied here.
          const foreign = res.ops.filter((op) => op.replica !== store.replicaId);
          // Never back: a push acknowledged meanwhile may have moved it past this page.
          store.applyRemote(foreign, () => store.metaSet('cursor', String(Math.max(res.cursor, this.cursor()))));
          if (foreign.length) this.opts.onRemoteOps(foreign);
          this.markSynced();
        }
      } while (this.pullAgain);
    } catch (err) {
      this.reportTransient(err);
    } finally {
      this.pulling = false;
    }
  }

  private markSynced(): void {
    const at = new Date(this.now()).toISOString();
    this.opts.store.metaSet('lastSyncedAt', at);
    this.setStatus({ lastSyncedAt: at });
  }

  private reportTransient(err: unknown): void {
    // A dropped link is handled by reconnect; anything else is shown but does not stop work.
    if (err instanceof RpcError && err.code === 'unavailable') return;
    this.setStatus({ error: (err as Error).message });
  }
}

/** The server's error code as the contract knows it; one it does not (e.g. `gap`) is `internal`. */
function toRpcCode(code: string): RpcErrorCode {
  const known = RpcErrorCode.safeParse(code);
  return known.success ? known.data : 'internal';
}

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { message?: string; error?: string };
    return body.message ?? body.error ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}
