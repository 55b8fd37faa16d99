import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, WebSocket } from 'ws';
import { may } from '../shared/roles';
import { ClientMessage, PresenceAttendParams, SERVER_METHOD_CAPABILITY, WIRE_PATH, type ServerMessage, type ServerMethod } from '../shared/sync/wire';
import { ROUTE_ACCESS, authorize, requireCapability } from './access';
import type { Auth, Caller } from './auth';
import { ServerError, asServerError } from './errors';
import type { JsonBytes } from '../node/json-bytes';
import { textOf } from '../node/text';
import { consoleRefusal, HEADER_PROTOCOL, HEADER_VERSION, peerFromHeaders, type Peer } from '../shared/version';

/**
 * The consoles' WebSocket (`/v1/ws`): authenticated on the upgrade, then `req`/`res` per
 * shared/sync/wire.ts, `hello` once, and `poke` whenever the change-log cursor moves.
 */
export type MethodHandler = (caller: Caller, params: unknown) => Promise<unknown>;

/** A method's result already serialized (a pull page): sent in its envelope as it is, not stringified again. */
export class RawJson {
  constructor(readonly json: JsonBytes) {}
}

export interface HubOptions {
  auth: Auth;
  /** Every method but `presence.attend`, which the hub answers itself (it is about the socket). */
  methods: Record<Exclude<ServerMethod, 'presence.attend'>, MethodHandler>;
  /** The current change-log cursor (for `hello`). */
  cursor: () => Promise<number>;
  maxDriftMs: number;
  pingIntervalMs: number;
  /**
   * A console that has not answered a ping (or sent anything) for this long no longer counts as
   * an answerer and is dropped. Default three ping intervals.
   */
  staleAfterMs?: number;
  now: () => number;
  logger: Logger;
  /** A console whose user may answer handoffs disconnected. */
  answererLeft: () => void;
  /** The set of answerers changed (connected, left, attended or not). */
  answerersChanged?: (users: { id: string; name: string }[]) => void;
  /** Answerers connected to the other server instances on the same database (server/cluster.ts). */
  remoteAnswerers?: () => { id: string; name: string }[];
  /**
   * The live handoffs ringing now: a clinician console that links while one rings is rung at
   * once (its ring may have been lost with its previous link, or sent before it came).
   */
  ringingNow?: () => Promise<Extract<ServerMessage, { t: 'ring' }>['handoff'][]>;
  /** This instance's own answerers changed (for the other instances). */
  localAnswerersChanged?: () => void;
  /** Largest message accepted, in bytes. */
  maxPayload: number;
  /**
   * How often every open socket's caller is read again from storage, so that a session ended,
   * a user disabled or a workstation revoked (by this server or by the CLI in another process)
   * closes its sockets within this time. Default 500 ms; 0 disables (requests still recheck).
   */
  revocationCheckMs?: number;
  /**
   * The version exchange on the live link, as on every HTTP request: the upgrade's answer names
   * this server, and a console naming itself too old for it is refused (426) with what IT must do.
   */
  version?: { self: Peer; minConsole: number };
}

interface Conn {
  ws: WebSocket;
  caller: Caller;
  alive: boolean;
  /** performance.now() of the last pong or message from it. */
  heardAt: number;
  /** Someone is at this console (it says so with presence.attend; true until it says otherwise). */
  attended: boolean;
  inFlight: number;
  /** Messages read off the socket and not yet handled, oldest first. */
  queue: { data: RawData; isBinary: boolean }[];
  open: boolean;
}

const MAX_IN_FLIGHT = 64;

/** Header lines naming this server (the version exchange), for the upgrade's answers. */
function versionLines(self: Peer | undefined): string[] {
  return self ? [`${HEADER_VERSION}: ${self.version}`, `${HEADER_PROTOCOL}: ${self.protocol}`] : [];
}

function byName(byId: Map<string, string>): { id: string; name: string }[] {
  return [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

function refuseUpgrade(socket: Duplex, err: ServerError | { status: number; code: string; message: string }, self?: Peer): void {
  const body = JSON.stringify({ code: err.code, message: err.message });
  const head = [`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status]}`, 'Connection: close', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...versionLines(self)];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

export class Hub {
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private pokeScheduled = false;
  private head = 0;
  private pinger: NodeJS.Timeout | null = null;
  private closing = false;
  /** Connections with messages waiting, in the order their turns come (see received). */
  private readonly turns: Conn[] = [];
  private turnScheduled = false;
  private readonly sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private sweepAgain = false;
  /** The answerers last told to the consoles, as a key (ids in order). */
  private answerersKey = '';
  private answererIds = new Set<string>();
  /** This instance's own answerers last told to the other instances, as a key. */
  private localKey = '';

  constructor(private readonly o: HubOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, clientTracking: false });
    // The 101 answer names this server, so a console can tell one too old for it.
    this.wss.on('headers', (headers) => headers.push(...versionLines(o.version?.self)));
    if (o.pingIntervalMs > 0) {
      this.pinger = setInterval(() => this.heartbeat(), o.pingIntervalMs);
      this.pinger.unref();
    }
    const every = o.revocationCheckMs ?? 500;
    if (every > 0) {
      this.sweeper = setInterval(() => void this.sweep(), every);
      this.sweeper.unref();
    }
  }

  /**
   * Reads every open socket's caller again (one read transaction for all of them) and closes
   * (4401) each whose session ended or expired, whose user was removed or disabled, or whose
   * workstation was revoked; a user given another role has that role's powers from now on.
   * Called on a timer, and at once after an administrative change made by this process.
   */
  sweep(): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    const run = async () => {
      do {
        this.sweepAgain = false;
        const conns = [...this.conns].filter((c) => c.open);
        if (!conns.length || this.closing) continue;
        let results;
        try {
          results = await this.o.auth.recheckAll(conns.map((c) => c.caller));
        } catch (err) {
          this.o.logger.warn({ err }, 'revocation check failed; retrying on the next tick');
          return;
        }
        conns.forEach((c, i) => {
          const r = results[i];
          if (r instanceof ServerError) {
            this.o.logger.info({ user: c.caller.user.id, workstation: c.caller.workstation.id, reason: r.message }, 'closing a revoked connection');
            this.revoked(c, r);
          } else {
            c.caller = r;
          }
        });
      } while (this.sweepAgain);
    };
    this.sweeping = run().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /** Closes its socket (4401, the reason in the close frame): nothing more is answered on it. */
  private revoked(conn: Conn, err: ServerError): void {
    if (!conn.open) return;
    conn.open = false;
    conn.queue.length = 0;
    conn.ws.close(4401, err.message.slice(0, 120));
  }

  /** Handles an HTTP upgrade request; wire it to the server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.o.logger.debug({ err }, 'upgrade socket error'));
    let path = '';
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      // fall through: not our path
    }
    const self = this.o.version?.self;
    if (path !== WIRE_PATH || this.closing) {
      refuseUpgrade(socket, new ServerError('not_found', `No WebSocket at ${path}`), self);
      return;
    }
    if (this.o.version) {
      const peer = peerFromHeaders((n) => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      });
      const refusal = peer ? consoleRefusal(peer, this.o.version.self, this.o.version.minConsole) : null;
      if (refusal) {
        this.o.logger.info({ console: peer, remote: req.socket.remoteAddress }, 'refused WebSocket: console too old');
        refuseUpgrade(socket, { status: 426, code: 'upgrade_required', message: refusal }, self);
        return;
      }
    }
    authorize(this.o.auth, req.headers, ROUTE_ACCESS['GET /v1/ws'])
      .then(async (caller) => ({ caller, cursor: await this.o.cursor() }))
      .then(
        ({ caller, cursor }) => {
          if (socket.destroyed || this.closing) return;
          this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, caller, cursor));
        },
        (err) => {
          const e = asServerError(err);
          if (e.code === 'internal') this.o.logger.error({ err }, 'upgrade failed');
          else this.o.logger.info({ reason: e.message, remote: req.socket.remoteAddress }, 'refused WebSocket');
          refuseUpgrade(socket, e, self);
        },
      );
  }

  private connected(ws: WebSocket, caller: Caller, cursor: number): void {
    const conn: Conn = { ws, caller, alive: true, heardAt: performance.now(), attended: true, inFlight: 0, queue: [], open: true };
    this.conns.add(conn);
    this.head = Math.max(this.head, cursor);
    this.o.logger.info({ user: caller.user.id, role: caller.user.role, workstation: caller.workstation.id }, 'console connected');
    ws.on('pong', () => {
      conn.alive = true;
      conn.heardAt = performance.now();
    });
    ws.on('message', (data, isBinary) => this.received(conn, data, isBinary));
    ws.on('error', (err) => this.o.logger.debug({ err }, 'socket error'));
    ws.on('close', () => {
      // Its queued requests go unanswered; the console sends them again when it reconnects.
      conn.open = false;
      conn.queue.length = 0;
      this.conns.delete(conn);
      this.o.logger.info({ user: caller.user.id, workstation: caller.workstation.id }, 'console disconnected');
      if (may(caller.user.role, 'handoff.answer') && !this.closing) this.answerersMaybeChanged(true);
    });
    this.send(conn, {
      t: 'hello',
      serverTime: this.o.now(),
      cursor,
      user: caller.user,
      maxDriftMs: this.o.maxDriftMs,
      ...(this.o.pingIntervalMs > 0 ? { heartbeatMs: this.o.pingIntervalMs } : {}),
    });
    this.send(conn, { t: 'answerers', users: this.answererList() });
    if (may(caller.user.role, 'handoff.answer')) {
      this.answerersMaybeChanged();
      this.o.ringingNow?.().then(
        (ringing) => {
          // (not one this clinician already declined)
          for (const handoff of ringing) {
            const declined = (handoff.declines ?? []).some((d) => d.by === caller.user.id);
            if (!declined && this.isAnswerer(conn)) this.send(conn, { t: 'ring', handoff });
          }
        },
        (err) => this.o.logger.warn({ err }, 'could not read the ringing handoffs for a console that linked'),
      );
    }
  }

  private staleAfterMs(): number {
    return this.o.staleAfterMs ?? (this.o.pingIntervalMs > 0 ? this.o.pingIntervalMs * 3 : Infinity);
  }

  private isAnswerer(c: Conn): boolean {
    return (
      c.open &&
      c.attended &&
      may(c.caller.user.role, 'handoff.answer') &&
      c.ws.readyState === WebSocket.OPEN &&
      performance.now() - c.heardAt <= this.staleAfterMs()
    );
  }

  /** This instance's answerers: its own consoles' users that a live handoff would ring, by name. */
  localAnswerers(): { id: string; name: string }[] {
    const byId = new Map<string, string>();
    for (const c of this.conns) if (this.isAnswerer(c)) byId.set(c.caller.user.id, c.caller.user.name);
    return byName(byId);
  }

  /** Who a live handoff would ring now, on every instance, one entry per person, by name. */
  private answererList(): { id: string; name: string }[] {
    const local = this.localAnswerers();
    const remote = this.o.remoteAnswerers?.() ?? [];
    if (!remote.length) return local;
    const byId = new Map<string, string>();
    for (const u of [...remote, ...local]) byId.set(u.id, u.name);
    return byName(byId);
  }

  /**
   * Tells every console when the answerers changed (at most once per change); when someone
   * dropped out (`left`: an answerer's console closed), ringing handoffs are checked again.
   */
  answerersMaybeChanged(left = false): void {
    if (this.closing) return;
    const local = this.localAnswerers().map((u) => u.id).join('\n');
    if (local !== this.localKey) {
      this.localKey = local;
      this.o.localAnswerersChanged?.();
    }
    const users = this.answererList();
    const key = users.map((u) => u.id).join('\n');
    if (key === this.answerersKey) {
      if (left) this.o.answererLeft();
      return;
    }
    const before = this.answererIds;
    this.answerersKey = key;
    this.answererIds = new Set(users.map((u) => u.id));
    for (const c of this.conns) this.send(c, { t: 'answerers', users });
    this.o.answerersChanged?.(users);
    if (left || [...before].some((id) => !this.answererIds.has(id))) this.o.answererLeft();
  }

  private send(conn: Conn, msg: ServerMessage | Buffer): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(Buffer.isBuffer(msg) ? msg : JSON.stringify(msg), { binary: false }, (err) => {
      if (err) this.o.logger.debug({ err }, 'send failed');
    });
  }

  private fail(conn: Conn, id: number, err: ServerError): void {
    this.send(conn, { t: 'res', id, ok: false, e: err.toWire() });
  }

  /**
   * Requests are handled one per event-loop turn, taking connections in turn. Handled as they
   * were read, a console draining a large outbox had several pushes read off its socket in one
   * go (libuv reads a ready socket until it is empty) and applied back to back, while another
   * console's pull or a dispatcher's handoff waited behind all of them; now it waits behind at
   * most one request of each other console. Deferring also keeps the parse of a large push out
   * of the read, so the next socket is read sooner.
   */
  private received(conn: Conn, data: RawData, isBinary: boolean): void {
    conn.heardAt = performance.now();
    if (conn.queue.length + conn.inFlight >= MAX_IN_FLIGHT) {
      this.handle(conn, data, isBinary, true);
      return;
    }
    conn.queue.push({ data, isBinary });
    if (conn.queue.length === 1) this.turns.push(conn);
    this.scheduleTurn();
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.takeTurn());
  }

  private takeTurn(): void {
    this.turnScheduled = false;
    let conn = this.turns.shift();
    while (conn && !conn.queue.length) conn = this.turns.shift(); // closed while waiting
    if (!conn) return;
    const next = conn.queue.shift();
    if (conn.queue.length) this.turns.push(conn);
    if (this.turns.length) this.scheduleTurn();
    if (next && conn.open) this.handle(conn, next.data, next.isBinary);
  }

  private handle(conn: Conn, data: RawData, isBinary: boolean, tooMany = false): void {
    let raw: unknown;
    try {
      if (isBinary) throw new Error('binary');
      const text = textOf(data);
      raw = JSON.parse(text);
    } catch {
      this.o.logger.debug({ user: conn.caller.user.id }, 'dropped a message that is not JSON text');
      return;
    }
    const msg = ClientMessage.safeParse(raw);
    if (!msg.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) {
        const issue = msg.error.issues[0];
        const where = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
        this.fail(conn, id, new ServerError('bad_request', `Malformed request: ${where}${issue?.message ?? 'invalid'}`));
      } else {
        this.o.logger.debug({ user: conn.caller.user.id }, 'dropped a malformed message without an id');
      }
      return;
    }
    const { id, m, p } = msg.data;
    if (tooMany || conn.inFlight >= MAX_IN_FLIGHT) {
      this.fail(conn, id, new ServerError('unavailable', `Too many requests in flight (at most ${MAX_IN_FLIGHT})`));
      return;
    }
    conn.inFlight++;
    this.run(conn, m, p)
      .then(
        (r) =>
          this.send(conn, r instanceof RawJson ? r.json.prepend(`{"t":"res","id":${id},"ok":true,"r":`).text('}').bytes() : { t: 'res', id, ok: true, r }),
        (err) => {
          const e = asServerError(err);
          if (e.code === 'internal') this.o.logger.error({ err, method: m }, 'request failed');
          this.fail(conn, id, e);
          // Its session or user is gone: nothing more will be answered on this socket.
          if (e.code === 'unauthenticated') this.revoked(conn, e);
        },
      )
      .finally(() => {
        conn.inFlight--;
      });
  }

  /**
   * One request: the caller is read again first (since the socket opened, its session may have
   * ended or expired and its user been removed, disabled or given another role), then the
   * method's capability is checked before its parameters are read.
   */
  private async run(conn: Conn, m: ServerMethod, p: unknown): Promise<unknown> {
    conn.caller = await this.o.auth.recheck(conn.caller);
    requireCapability(conn.caller.user, SERVER_METHOD_CAPABILITY[m]);
    if (m === 'presence.attend') {
      const r = PresenceAttendParams.safeParse(p);
      if (!r.success) throw new ServerError('bad_request', 'Invalid presence.attend: say { attended: true } or { attended: false }');
      conn.attended = r.data.attended;
      this.answerersMaybeChanged();
      return { attended: conn.attended };
    }
    return this.o.methods[m](conn.caller, p);
  }

  /** The cursor moved: poke every console, at most once per socket per tick. */
  committed(cursor: number): void {
    this.head = Math.max(this.head, cursor);
    if (this.pokeScheduled || this.closing) return;
    this.pokeScheduled = true;
    setImmediate(() => {
      this.pokeScheduled = false;
      for (const conn of this.conns) this.send(conn, { t: 'poke', cursor: this.head });
    });
  }

  /** A live handoff is ringing: tell every clinician console connected here now, not at its next pull. */
  ring(handoff: Extract<ServerMessage, { t: 'ring' }>['handoff']): void {
    for (const c of this.conns) if (this.isAnswerer(c)) this.send(c, { t: 'ring', handoff });
  }

  /** User ids of connected consoles that may answer a handoff: the people a live handoff can ring. */
  answerers(): Set<string> {
    return new Set(this.answererList().map((u) => u.id));
  }

  connections(): { userId: string; role: string; workstationId: string }[] {
    return [...this.conns].map((c) => ({ userId: c.caller.user.id, role: c.caller.user.role, workstationId: c.caller.workstation.id }));
  }

  /** Closes every socket of a workstation (its enrollment was revoked). */
  dropWorkstation(workstationId: string): void {
    const err = new ServerError('unauthenticated', "This workstation's enrollment was revoked; ask IT to enroll it again");
    for (const c of this.conns) if (c.caller.workstation.id === workstationId) this.revoked(c, err);
  }

  private heartbeat(): void {
    const stale = this.staleAfterMs();
    for (const c of this.conns) {
      if (!c.alive && performance.now() - c.heardAt > stale) {
        this.o.logger.info({ user: c.caller.user.id }, 'console stopped answering pings');
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        // the close handler cleans up
      }
    }
    this.answerersMaybeChanged();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.pinger) clearInterval(this.pinger);
    if (this.sweeper) clearInterval(this.sweeper);
    await this.sweeping;
    const waits: Promise<void>[] = [];
    for (const c of this.conns) {
      waits.push(
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          const t = setTimeout(() => {
            c.ws.terminate();
            resolve();
          }, 1000);
          c.ws.once('close', () => {
            clearTimeout(t);
            resolve();
          });
          c.ws.close(1001, 'server shutting down');
        }),
      );
    }
    await Promise.all(waits);
    this.conns.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
