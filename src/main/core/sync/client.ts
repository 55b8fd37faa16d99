import WebSocket from 'ws';
import {
  WIRE_PATH,
  ServerMessage,
  HEADER_MACHINE,
  HEADER_SECRET,
  HEADER_WORKSTATION,
  EnrollResponse,
  SessionResponse,
  type ServerMethod,
  AUDIT_PUSH_MAX,
  AuditPushResponse,
} from '../../../shared/sync/wire';
import { MAX_MESSAGE_BYTES, PushResponse, parsePullResponse, type LoggedOp } from '../../../shared/sync/protocol';
import { MfaChallenge, RpcError, RpcErrorCode, type SyncStatus, type User } from '../../../shared/contract';
import type { Handoff } from '../../../shared/entities';
import type { ReplicaStore } from '../store/replica';
import { auditAfter } from '../store/queries/audit';
import type { JsonBytes } from '../../../node/json-bytes';
import { textOf } from '../../../node/text';
import { HEADER_PROTOCOL, HEADER_VERSION, MIN_SERVER_PROTOCOL, PROTOCOL, TANDEM_VERSION, peerFromHeaders, serverRefusal, type Peer } from '../../../shared/version';
import { describeCertificateError, isCertificateError, requestJson, trustedCa, type JsonResponse, type Trust } from '../../../node/trusted-http';

/**
 * Keeps one workstation replica in step with the ECC sync server: pushes the outbox,
 * pulls the change log from the stored cursor, reconnects with backoff, and reports its
 * state for the status bar. Offline is a normal state: local work never waits on it.
 */
export interface SyncClientOptions {
  serverUrl: string;
  /**
   * Several instances of the sync server (issue 17), tried in this order; `serverUrl` is used
   * when this is absent or empty. When the server in use goes away the console moves to the
   * next one at once and resumes from its cursor (every instance shares one change log).
   */
  serverUrls?: readonly string[];
  store: ReplicaStore;
  enrollmentToken?: string;
  /** A site enrollment key from the machine policy: the console enrolls itself on first start. */
  enrollmentKey?: string;
  /** SHA-256 of this machine's id (src/node/machine-id.ts): the identity is bound to it. */
  machineId?: string | null;
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
  /** The private CA (caFile) every connection to the server trusts besides the system's. */
  tls?: Trust;
  /** This console's release and protocol, and the oldest server protocol it works with (tests of the exchange only). */
  protocol?: { self: Peer; minServer: number };
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Store meta key: session tokens signed out while the server could not be reached. */
const PENDING_SIGN_OUTS = 'pendingSignOuts';

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
  /** The server said hello on the current socket: requests may go out. */
  private linked = false;
  /** Attempts in a row that ended without progress, and why the last one failed. */
  private failures = 0;
  private lastFailure: string | null = null;
  /** A failed push or pull is tried again after a backoff, while the link stays up. */
  private retryTimer: NodeJS.Timeout | null = null;
  /** performance.now() when the server was last heard from (a ping or any message). */
  private heardAt = 0;
  private heartbeatMs = 0;
  private watchdog: NodeJS.Timeout | null = null;
  /** Whether a person is at this console; null until a shell says (then it is told to the server). */
  private attended: boolean | null = null;
  /** The sync server's instances, in the order tried, and the one in use. */
  private readonly urls: string[];
  private current = 0;
  /** Connection attempts since a server last said hello, across the instances (a whole round backs off). */
  private tried = 0;

  constructor(private readonly opts: SyncClientOptions) {
    this.now = opts.now ?? Date.now;
    this.urls = opts.serverUrls?.length ? [...opts.serverUrls] : [opts.serverUrl];
    this.status = {
      state: 'offline',
      offlineSince: new Date(this.now()).toISOString(),
      pending: opts.store.pendingCount(),
      refused: opts.store.refusedCount(),
      quarantined: opts.store.quarantinedCount(),
      lastSyncedAt: opts.store.metaGet('lastSyncedAt') ?? null,
      error: null,
      serverUrl: this.urls[0],
    };
  }

  getStatus(): SyncStatus {
    return { ...this.status, pending: this.opts.store.pendingCount(), refused: this.opts.store.refusedCount(), quarantined: this.opts.store.quarantinedCount() };
  }

  private setStatus(patch: Partial<SyncStatus>): void {
    const wasOnline = this.status.state === 'online';
    this.status = { ...this.status, ...patch };
    if (patch.state && patch.state !== 'online' && patch.state !== 'failing' && (wasOnline || !this.status.offlineSince)) {
      this.status.offlineSince = new Date(this.now()).toISOString();
    }
    if (patch.state === 'online') this.status.offlineSince = null;
    this.opts.onStatus(this.getStatus());
  }

  /** Re-announce pending counts after a local change. */
  announce(): void {
    this.opts.onStatus(this.getStatus());
  }

  /** The instance in use (the one last reached, else the first). */
  get serverUrl(): string {
    return this.urls[this.current];
  }

  private httpUrl(path: string, base = this.serverUrl): string {
    return new URL(path, base).toString();
  }

  /**
   * One HTTP request to the sync server: to the instance in use, else to each of the others in
   * turn when it cannot be reached; the one that answers becomes the instance in use. Throws
   * the first instance's error when none answers.
   */
  private async request(path: string, opts: Omit<Parameters<typeof requestJson>[1], 'trust'>): Promise<JsonResponse> {
    let first: unknown = null;
    for (let k = 0; k < this.urls.length; k++) {
      const at = (this.current + k) % this.urls.length;
      try {
        const res = await requestJson(this.httpUrl(path, this.urls[at]), { ...opts, trust: this.opts.tls });
        if (at !== this.current && !this.ws) this.useInstance(at);
        return res;
      } catch (err) {
        first ??= err;
      }
    }
    throw first;
  }

  private useInstance(at: number): void {
    this.current = at;
    if (this.status.serverUrl !== this.serverUrl) this.setStatus({ serverUrl: this.serverUrl });
  }

  private credentials(): { id: string; secret: string } | null {
    const id = this.opts.store.metaGet('workstationId');
    const secret = this.opts.store.metaGet('workstationSecret');
    if (!id || !secret) return null;
    // An identity enrolled on another machine (a copied or roaming profile) is not this one's.
    const boundTo = this.opts.store.metaGet('workstationMachine');
    if (boundTo && this.opts.machineId && boundTo !== this.opts.machineId) return null;
    return { id, secret };
  }

  /** Headers naming this workstation (and its machine) to the server. */
  private identityHeaders(creds: { id: string; secret: string }): Record<string, string> {
    return { [HEADER_WORKSTATION]: creds.id, [HEADER_SECRET]: creds.secret, ...(this.opts.machineId ? { [HEADER_MACHINE]: this.opts.machineId } : {}), ...this.versionHeaders() };
  }

  private self(): Peer {
    return this.opts.protocol?.self ?? { version: TANDEM_VERSION, protocol: PROTOCOL };
  }

  private versionHeaders(): Record<string, string> {
    const self = this.self();
    return { [HEADER_VERSION]: self.version, [HEADER_PROTOCOL]: String(self.protocol) };
  }

  /** The version exchange: a server that refused this console (426), or one too old for it, is said as such. */
  private checkVersions(res: JsonResponse): void {
    if (res.status === 426) throw new RpcError('conflict', errorText(res));
    const self = this.opts.protocol?.self ?? { version: TANDEM_VERSION, protocol: PROTOCOL };
    const refusal = serverRefusal(peerFromHeaders((n) => res.header(n)), self, this.opts.protocol?.minServer ?? MIN_SERVER_PROTOCOL);
    if (refusal) throw new RpcError('conflict', refusal);
  }

  /**
   * Enrolls this workstation once, with the fleet's site key from the machine policy or a
   * one-time token; the secret lives in the encrypted store, bound to this machine.
   */
  async ensureEnrolled(): Promise<{ id: string; secret: string }> {
    const existing = this.credentials();
    if (existing) return existing;
    const { enrollmentKey, enrollmentToken, machineId } = this.opts;
    if (!enrollmentKey && !enrollmentToken) {
      throw new RpcError('unavailable', 'This workstation is not enrolled with the sync server: IT must set enrollmentKey (a fleet) or enrollmentToken (one machine) in the machine policy');
    }
    const credential = enrollmentKey ? { key: enrollmentKey } : { token: enrollmentToken };
    let res: JsonResponse;
    try {
      res = await this.request('/v1/enroll', {
        method: 'POST',
        headers: this.versionHeaders(),
        body: { ...credential, name: this.opts.workstationName, ...(machineId ? { machineId } : {}) },
        timeoutMs: 5000,
      });
    } catch (err) {
      throw await this.unreachable(err);
    }
    this.checkVersions(res);
    if (!res.ok) throw new RpcError('unavailable', `Enrollment refused: ${errorText(res)}`);
    const body = EnrollResponse.parse(res.body);
    this.opts.store.metaSet('workstationId', body.workstationId);
    this.opts.store.metaSet('workstationSecret', body.secret);
    if (machineId) this.opts.store.metaSet('workstationMachine', machineId);
    return { id: body.workstationId, secret: body.secret };
  }

  /** Signs in against the server; throws RpcError('unavailable') when it cannot be reached. */
  async signIn(username: string, password: string, code?: string): Promise<{ token: string; user: User; recoveryCodes?: string[] }> {
    let creds: { id: string; secret: string };
    let res: JsonResponse;
    try {
      creds = await this.ensureEnrolled();
      res = await this.request('/v1/session', {
        method: 'POST',
        headers: this.identityHeaders(creds),
        body: code ? { username, password, code } : { username, password },
        timeoutMs: 5000,
      });
    } catch (err) {
      if (err instanceof RpcError) throw err;
      throw await this.unreachable(err);
    }
    this.checkVersions(res);
    if (res.status === 401 || res.status === 403) throw new RpcError('unauthenticated', errorText(res), mfaChallenge(res));
    // Throttled: said as the server says it, never taken for "unreachable" (which would sign in offline).
    if (res.status === 429) throw new RpcError('rate_limited', errorText(res));
    if (!res.ok) throw new RpcError('unavailable', `Sync server error: ${errorText(res)}`);
    const body = SessionResponse.parse(res.body);
    void this.endPendingSessions();
    return body.recoveryCodes ? { token: body.token, user: body.user, recoveryCodes: body.recoveryCodes } : { token: body.token, user: body.user };
  }

  /** Why the server could not be reached: a certificate problem named as one, else the network. */
  private async unreachable(err: unknown): Promise<RpcError> {
    if (isCertificateError(err)) return new RpcError('unavailable', await describeCertificateError(err, this.serverUrl, this.opts.tls));
    return new RpcError('unavailable', this.urls.length > 1 ? `Cannot reach the sync server at ${this.urls.join(' or ')}` : `Cannot reach the sync server at ${this.serverUrl}`);
  }

  /**
   * Ends a session on the server (sign-out). When the server cannot be reached the token is
   * kept in the encrypted store and ended at the next connection (`endPendingSessions`), so a
   * token left behind never outlives the sign-out by more than the time offline.
   */
  async endSession(token: string): Promise<boolean> {
    const ended = await this.deleteSession(token);
    if (!ended) {
      const pending = this.pendingSignOuts();
      if (!pending.includes(token)) this.opts.store.metaSet(PENDING_SIGN_OUTS, JSON.stringify([...pending, token]));
    }
    return ended;
  }

  /** Ends the sessions signed out while offline; called whenever the server answers again. */
  async endPendingSessions(): Promise<void> {
    const pending = this.pendingSignOuts();
    if (!pending.length) return;
    const left: string[] = [];
    for (const token of pending) if (!(await this.deleteSession(token))) left.push(token);
    const now = this.pendingSignOuts().filter((t) => !pending.includes(t) || left.includes(t));
    this.opts.store.metaSet(PENDING_SIGN_OUTS, JSON.stringify(now));
  }

  private pendingSignOuts(): string[] {
    try {
      const v = JSON.parse(this.opts.store.metaGet(PENDING_SIGN_OUTS) ?? '[]') as unknown;
      return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
    } catch {
      return [];
    }
  }

  /** True once the server no longer holds the session (ended now, or already gone: 401). */
  private async deleteSession(token: string): Promise<boolean> {
    const creds = this.credentials();
    if (!creds) return true;
    try {
      const res = await this.request('/v1/session', {
        method: 'DELETE',
        headers: { ...this.identityHeaders(creds), authorization: `Bearer ${token}` },
        timeoutMs: 5000,
      });
      return res.ok || res.status === 401;
    } catch {
      return false;
    }
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
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.auditTimer) clearTimeout(this.auditTimer);
    this.auditTimer = null;
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
    this.setStatus({ state: this.status.state === 'online' ? 'connecting' : this.status.state === 'error' || this.status.state === 'failing' ? this.status.state : 'offline' });
    const url = this.httpUrl(WIRE_PATH).replace(/^http/, 'ws');
    const ws = new WebSocket(url, {
      headers: { ...this.identityHeaders(creds), authorization: `Bearer ${this.session.token}` },
      ca: trustedCa(this.opts.tls),
      handshakeTimeout: 3000,
      // The same limit the server enforces; pull pages are far smaller (PULL_PAGE_MAX_BYTES).
      maxPayload: MAX_MESSAGE_BYTES,
    });
    this.ws = ws;
    this.linked = false;
    ws.on('message', (data) => {
      if (this.ws === ws) this.heardAt = performance.now();
      this.onMessage(ws, textOf(data));
    });
    ws.on('ping', () => {
      if (this.ws === ws) this.heardAt = performance.now();
    });
    ws.on('close', (code, reason) => {
      // The server ended this session (signed out elsewhere, revoked, user disabled, workstation
      // revoked): say so, and stop knocking with a token it no longer accepts.
      if (code === 4401 && this.ws === ws) {
        this.stopped = true;
        this.setStatus({ state: 'error', error: `The sync server ended this session: ${reason.toString() || 'sign in again'}` });
      }
      this.onClose(ws, code, reason.toString());
    });
    ws.on('error', (err) => {
      // 'close' follows and schedules the reconnect; a certificate problem is said as one.
      if (!isCertificateError(err)) return;
      void describeCertificateError(err, this.serverUrl, this.opts.tls).then((message) => {
        if (this.ws === ws || this.ws === null) this.setStatus({ state: 'error', error: message });
      });
    });
    // The version exchange on the live link, as on every HTTP request: a server too old for
    // this console (or one that finds this console too old: 426) is said as such, not as a
    // link that keeps dropping. It is tried again with backoff: IT may upgrade meanwhile.
    ws.on('upgrade', (res) => {
      const refusal = serverRefusal(
        peerFromHeaders((n) => {
          const v = res.headers[n];
          return Array.isArray(v) ? v[0] : v;
        }),
        this.self(),
        this.opts.protocol?.minServer ?? MIN_SERVER_PROTOCOL,
      );
      if (refusal && this.ws === ws) {
        this.setStatus({ state: 'error', error: refusal });
        ws.terminate();
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401) this.setStatus({ state: 'error', error: 'The sync server refused this session: sign in again' });
      if (res.statusCode === 426) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c.slice(0, 4096)));
        res.on('end', () => {
          if (this.ws !== ws && this.ws !== null) return;
          let message = 'The sync server refused this console: its version is not supported there (HTTP 426)';
          try {
            const m = (JSON.parse(text) as { message?: unknown }).message;
            if (typeof m === 'string' && m) message = m;
          } catch {
            // the default above
          }
          this.setStatus({ state: 'error', error: message });
        });
        res.on('error', () => undefined);
        // The body is read before the socket goes (the refusal says what IT must do).
        res.on('close', () => ws.terminate());
        return;
      }
      ws.terminate();
    });
  }

  private onClose(ws: WebSocket, code = 1006, reason = ''): void {
    if (this.ws !== ws) return;
    this.ws = null;
    const wasLinked = this.linked;
    this.linked = false;
    this.stopWatchdog();
    this.opts.onAnswerers?.(null);
    this.failPending(new RpcError('unavailable', 'Connection to the sync server was lost'));
    if (this.stopped) return;
    // A link that keeps dropping after hello (a message too large, a server that fails every
    // pull) is a sync that cannot progress: counted, and said on the status bar.
    if (wasLinked && code !== 1000) this.failed(`the connection closed (code ${code}${CLOSE_REASONS[code] ? `: ${CLOSE_REASONS[code]}` : ''}${reason ? `, ${reason}` : ''})`);
    if (this.status.state === 'failing') {
      // Stays failing until something gets through.
    } else if (this.status.state !== 'error') this.setStatus({ state: 'offline' });
    // Several instances: the next one now; only a whole round of them that failed backs off.
    let delay: number;
    this.tried++;
    if (this.urls.length > 1) this.useInstance((this.current + 1) % this.urls.length);
    if (this.urls.length > 1 && this.tried % this.urls.length !== 0) {
      delay = 20 + Math.random() * 80;
    } else {
      delay = this.backoffMs * (0.75 + Math.random() * 0.5);
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
    }
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
      this.tried = 0;
      this.linked = true;
      // Never "online" while sync cannot progress: that waits for the first page or push that gets through.
      if (this.failures >= FAILING_AFTER) this.setStatus({ state: 'failing' });
      else this.setStatus({ state: 'online', error: null });
      void this.endPendingSessions();
      this.startWatchdog(ws, msg.heartbeatMs ?? 0);
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
    return this.linked && this.ws?.readyState === WebSocket.OPEN;
  }

  /** One request to the server over the socket; fails fast when the link is down. */
  rpc(method: ServerMethod, params: unknown, timeoutMs = 5000): Promise<unknown> {
    return this.rpcJson(method, JSON.stringify(params), timeoutMs);
  }

  /** The same, with the parameters already written as JSON (as text, or as bytes). */
  private rpcJson(method: ServerMethod, paramsJson: string | JsonBytes, timeoutMs: number): Promise<unknown> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.linked) {
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
    await this.pushAudit();
  }

  private auditTimer: ReturnType<typeof setTimeout> | null = null;
  private auditPushing = false;

  /** An audit entry was written here: pushed within a second, with whatever follows it. */
  auditWritten(): void {
    if (this.auditTimer) return;
    this.auditTimer = setTimeout(() => {
      this.auditTimer = null;
      void this.pushAudit();
    }, 1000);
    (this.auditTimer as { unref?: () => void }).unref?.();
  }

  /**
   * Sends this workstation's audit chain past what the server last said it holds, in order, in
   * batches; the server verifies it on arrival. Kept here until the server has it.
   */
  async pushAudit(): Promise<void> {
    if (this.auditPushing || !this.isOnline()) return;
    this.auditPushing = true;
    try {
      const store = this.opts.store;
      let after = Number(store.metaGet('auditPushed') ?? 0);
      for (;;) {
        const entries = auditAfter(store.reads, after, AUDIT_PUSH_MAX);
        if (!entries.length) break;
        const res = AuditPushResponse.parse(await this.rpc('audit.push', { entries }, 30_000));
        if (res.seq <= after) break; // Nothing taken: tried again with the next sync.
        after = res.seq;
        store.metaSet('auditPushed', String(after));
        if (entries.length < AUDIT_PUSH_MAX) break;
      }
    } catch {
      // Pushed with the next sync.
    } finally {
      this.auditPushing = false;
    }
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
    await this.pushParked(size);
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
   * The signed-in person's own changes parked while someone else was signed in here
   * (ReplicaStore.beginSession), pushed under her session, one replica at a time. They are in
   * her tables already. A failure is reported and tried again with the next push; it never
   * holds up the outbox.
   */
  private async pushParked(size: number): Promise<void> {
    const store = this.opts.store;
    const user = this.session?.user.id;
    try {
      while (user && this.isOnline()) {
        const batch = store.parkedBatch(user, size);
        if (batch.count === 0) return;
        const res = PushResponse.parse(await this.rpcJson('push', batch.json.prepend('{"ops":').text('}'), 30_000));
        store.settleParked(batch.replica, res.lastSeq, res.refused);
        if (res.lastSeq < batch.lastSeq) return;
      }
    } catch (err) {
      this.reportTransient(err);
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
    // After a change of scope (ReplicaStore.adoptScope) the first full pull takes our own ops too.
    // Read inside the try: a store closed under a pull in flight is a transient, not a crash.
    let pullOwn = false;
    const ask = (cursor: number) => {
      const response = this.rpc('pull', { cursor, limit: this.opts.pullPage ?? 5000, excludeOwn: !pullOwn }, 30_000);
      response.catch(() => undefined);
      return response;
    };
    try {
      pullOwn = store.metaGet('pullOwn') === '1';
      do {
        this.pullAgain = false;
        if (!this.isOnline()) return;
        let pending: Promise<unknown> | null = ask(this.cursor());
        while (pending) {
          const res = parsePullResponse(await pending);
          pending = res.more && this.isOnline() ? ask(res.cursor) : null;
          // The server leaves our own ops out; one that comes back anyway is already applied here.
          const foreign = pullOwn ? res.ops : res.ops.filter((op) => op.replica !== store.replicaId);
          // Never back: a push acknowledged meanwhile may have moved it past this page. An op that
          // fails its check is set aside in the same transaction, and the cursor moves past it.
          store.applyRemote(foreign, () => {
            store.quarantine(res.quarantined);
            store.metaSet('cursor', String(Math.max(res.cursor, this.cursor())));
            if (pullOwn && !res.more) store.metaSet('pullOwn', '0');
          });
          if (res.quarantined.length) void this.reportQuarantine();
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

  /** Tells the server which pulled ops were set aside here, so that someone can act on them. */
  private async reportQuarantine(): Promise<void> {
    const rows = this.opts.store.unreportedQuarantine(100);
    if (!rows.length || !this.isOnline()) return;
    try {
      await this.rpc('sync.report', { quarantined: rows.map(([, cursor, reason]) => ({ cursor, reason: reason.slice(0, 1000) })) });
      this.opts.store.markQuarantineReported(rows[rows.length - 1][0]);
    } catch {
      // Reported with the next one.
    }
  }

  private markSynced(): void {
    const at = new Date(this.now()).toISOString();
    this.opts.store.metaSet('lastSyncedAt', at);
    const recovered = this.failures > 0 || this.status.state === 'failing';
    this.failures = 0;
    this.lastFailure = null;
    if (recovered && this.isOnline()) this.setStatus({ lastSyncedAt: at, state: 'online', error: null });
    else this.setStatus({ lastSyncedAt: at });
  }

  /** One more attempt that ended without progress; after FAILING_AFTER in a row the status says so. */
  private failed(reason: string): void {
    this.failures++;
    this.lastFailure = reason;
    if (this.failures >= FAILING_AFTER) this.setStatus({ state: 'failing', error: reason });
  }

  /** Tries push and pull again after a backoff that grows with each failure in a row. */
  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = Math.min(250 * 2 ** Math.min(this.failures, 10), this.opts.maxBackoffMs ?? 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.isOnline()) void this.syncNow();
    }, delay);
  }

  private reportTransient(err: unknown): void {
    // Stopped (signed out, console closing): nothing to count, show or retry.
    if (this.stopped) return;
    // A dropped link is handled by reconnect (and counted there); anything else is counted and shown.
    if (err instanceof RpcError && err.code === 'unavailable' && !this.isOnline()) return;
    const message = (err as Error).message;
    this.failed(message);
    if (this.status.state !== 'failing') this.setStatus({ error: message });
    this.scheduleRetry();
  }
}

/** Failed attempts in a row after which the status says "sync failing" rather than online. */
export const FAILING_AFTER = 3;

const CLOSE_REASONS: Record<number, string> = {
  1006: 'dropped',
  1009: 'a message was larger than the limit',
  1011: 'server error',
  4401: 'session ended',
};

/** The server's error code as the contract knows it; one it does not (e.g. `gap`) is `internal`. */
function toRpcCode(code: string): RpcErrorCode {
  const known = RpcErrorCode.safeParse(code);
  return known.success ? known.data : 'internal';
}

/** The second step of a sign-in the server asks for (server/mfa.ts), passed on to the window as it came; undefined for anything else. */
function mfaChallenge(res: JsonResponse): MfaChallenge | undefined {
  const parsed = MfaChallenge.safeParse((res.body as { details?: unknown } | null)?.details);
  return parsed.success ? parsed.data : undefined;
}

function errorText(res: JsonResponse): string {
  const body = res.body as { message?: unknown; error?: unknown } | null;
  const text = body?.message ?? body?.error;
  return typeof text === 'string' ? text : `HTTP ${res.status}`;
}
