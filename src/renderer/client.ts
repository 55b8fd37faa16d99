import {
  RpcError,
  RpcErrorShape,
  type CoreClient,
  type EventName,
  type EventPayload,
  type RequestInput,
  type RequestName,
  type RequestOutput,
} from '../shared/contract';
import { BRIDGE_PATH, BridgeReply, type PreloadApi } from '../shared/bridge';
import { ENTITY_NAMES } from '../shared/entities';
import type { ConnectionState } from './logic/status';
import { errorMessage } from './state/errors';

/**
 * The renderer's one way to reach the workstation core. In Electron it goes through the
 * preload's `window.tandem`; in a browser (the headless host) through the /bridge
 * WebSocket. Both give the same `ConsoleClient`, so no view can tell which it has.
 *
 * Beyond `CoreClient` the client reports whether the core is reachable at all
 * (`onConnection`): always connected over IPC, and over the bridge while the socket is up.
 * After the bridge comes back it replays what the renderer may have missed — a fresh
 * `session.changed` and a `data.changed` naming every entity — so views refresh themselves.
 */
export interface ConsoleClient extends CoreClient {
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Stops reconnecting and fails calls still waiting. */
  close(): void;
}

type Listener = (payload: unknown) => void;

/** A tiny event hub (the renderer may not import Node's `events`). A throwing listener does not stop the others. */
class Hub {
  private readonly map = new Map<string, Set<Listener>>();

  on(name: string, fn: Listener): () => void {
    let set = this.map.get(name);
    if (!set) this.map.set(name, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  emit(name: string, payload: unknown): void {
    for (const fn of [...(this.map.get(name) ?? [])]) {
      try {
        fn(payload);
      } catch (err) {
        console.error(`Listener for ${name} failed`, err);
      }
    }
  }
}

/** Any error shape from a transport as an RpcError. */
export function toRpcError(raw: unknown): RpcError {
  if (raw instanceof RpcError) return raw;
  const parsed = RpcErrorShape.safeParse(raw);
  if (parsed.success) return new RpcError(parsed.data.code, parsed.data.message, parsed.data.details);
  return new RpcError('internal', errorMessage(raw, 'Unknown error from the console core'));
}

// ---------------------------------------------------------------------------------------
// Electron: window.tandem

export function createPreloadClient(api: PreloadApi): ConsoleClient {
  const hub = new Hub();
  const unsubscribe = api.on((name, payload) => hub.emit(name, payload));
  return {
    async call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>> {
      let reply: Awaited<ReturnType<PreloadApi['call']>>;
      try {
        reply = await api.call(name, input);
      } catch (err) {
        throw new RpcError('unavailable', `The console core did not answer ${name}: ${errorMessage(err)}`);
      }
      if (reply && reply.ok === true) return reply.value as RequestOutput<N>;
      throw toRpcError(reply && reply.ok === false ? reply.error : reply);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return hub.on(event, listener as Listener);
    },
    connection: () => 'connected',
    onConnection: () => () => {},
    close: () => unsubscribe(),
  };
}

// ---------------------------------------------------------------------------------------
// Headless host: WebSocket bridge

/** The parts of a WebSocket the client uses (so tests can hand it a fake). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface BridgeClientOptions {
  url: string;
  /** Opens a socket; defaults to the browser's WebSocket. */
  connect?: (url: string) => SocketLike;
  /** A call gets no answer for this long: it fails with `unavailable`. */
  callTimeoutMs?: number;
  /** A call made while the socket is down waits this long for it to come back. */
  queueTimeoutMs?: number;
  /** Reconnect delays: first, then doubling up to max (with jitter). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
}

const OPEN = 1;

/** `ws(s)://<host>/bridge?token=<token>` for a page served by the headless host. */
export function bridgeUrl(loc: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}${BRIDGE_PATH}?token=${encodeURIComponent(token)}`;
}

/** Delay before reconnect attempt `attempt` (0-based): exponential with ±25 % jitter, capped. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.75 + random() * 0.5));
}

interface Waiting {
  name: string;
  frame: string;
  resolve: (value: unknown) => void;
  reject: (err: RpcError) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

export function createBridgeClient(opts: BridgeClientOptions): ConsoleClient {
  const connect = opts.connect ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const callTimeoutMs = opts.callTimeoutMs ?? 30_000;
  const queueTimeoutMs = opts.queueTimeoutMs ?? 5_000;
  const initialMs = opts.backoffInitialMs ?? 300;
  const maxMs = opts.backoffMaxMs ?? 10_000;
  const random = opts.random ?? Math.random;

  const hub = new Hub();
  const connectionHub = new Hub();
  /** Sent, waiting for a reply. */
  const inflight = new Map<number, Waiting>();
  /** Made while the socket was down, waiting for it to open. */
  const queued = new Map<number, Waiting>();
  let seq = 0;
  let socket: SocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let attempt = 0;
  let everOpened = false;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  function setState(next: ConnectionState): void {
    if (next === state) return;
    state = next;
    connectionHub.emit('state', next);
  }

  function fail(w: Waiting, err: RpcError): void {
    if (w.timer) clearTimeout(w.timer);
    w.reject(err);
  }

  function send(id: number, w: Waiting): void {
    try {
      socket!.send(w.frame);
    } catch (err) {
      fail(w, new RpcError('unavailable', `Could not send ${w.name} to the console core: ${errorMessage(err)}`));
      return;
    }
    w.timer = setTimeout(() => {
      inflight.delete(id);
      w.reject(new RpcError('unavailable', `The console core did not answer ${w.name} within ${Math.round(callTimeoutMs / 1000)} s`));
    }, callTimeoutMs);
    inflight.set(id, w);
  }

  function open(): void {
    if (closed) return;
    let s: SocketLike;
    try {
      s = connect(opts.url);
    } catch (err) {
      console.error('Bridge socket could not be created', err);
      scheduleReconnect();
      return;
    }
    socket = s;
    s.onopen = () => {
      if (socket !== s) return;
      const reconnected = everOpened;
      everOpened = true;
      attempt = 0;
      setState('connected');
      for (const [id, w] of [...queued]) {
        queued.delete(id);
        if (w.timer) clearTimeout(w.timer);
        w.timer = null;
        send(id, w);
      }
      if (reconnected) void replay();
    };
    s.onmessage = (ev) => {
      if (socket !== s) return;
      onFrame(ev.data);
    };
    s.onerror = () => {
      // onclose follows and does the work.
    };
    s.onclose = () => {
      if (socket !== s) return;
      socket = null;
      for (const [id, w] of [...inflight]) {
        inflight.delete(id);
        fail(w, new RpcError('unavailable', `Lost the connection to the console core during ${w.name}`));
      }
      if (closed) return;
      setState(everOpened ? 'reconnecting' : 'connecting');
      scheduleReconnect();
    };
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer) return;
    const delay = backoffDelay(attempt++, initialMs, maxMs, random);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      open();
    }, delay);
  }

  /** After a reconnect: whatever was pushed while the socket was down is gone, so say "everything changed". */
  async function replay(): Promise<void> {
    try {
      const info = await client.call('session.get', {});
      hub.emit('session.changed', info);
    } catch (err) {
      console.warn('Could not refresh the session after reconnecting', err);
    }
    hub.emit('data.changed', { entities: [...ENTITY_NAMES] });
  }

  function onFrame(data: unknown): void {
    let msg: BridgeReply;
    try {
      const parsed = BridgeReply.safeParse(JSON.parse(String(data)));
      if (!parsed.success) {
        console.warn('Ignoring a bridge frame that is not a reply', parsed.error.issues[0]);
        return;
      }
      msg = parsed.data;
    } catch {
      console.warn('Ignoring a bridge frame that is not JSON');
      return;
    }
    if (msg.t === 'event') {
      hub.emit(msg.name, msg.payload);
      return;
    }
    const w = inflight.get(msg.id);
    if (!w) return;
    inflight.delete(msg.id);
    if (w.timer) clearTimeout(w.timer);
    if (msg.t === 'result') w.resolve(msg.value);
    else w.reject(toRpcError(msg.error));
  }

  const client: ConsoleClient = {
    call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>> {
      return new Promise<RequestOutput<N>>((resolve, reject) => {
        if (closed) {
          reject(new RpcError('unavailable', 'The console client is closed'));
          return;
        }
        const id = ++seq;
        const w: Waiting = {
          name,
          frame: JSON.stringify({ t: 'call', id, name, input: input ?? {} }),
          resolve: resolve as (value: unknown) => void,
          reject,
          timer: null,
        };
        if (socket && socket.readyState === OPEN) {
          send(id, w);
          return;
        }
        w.timer = setTimeout(() => {
          queued.delete(id);
          reject(new RpcError('unavailable', `The console core cannot be reached (${name} was not sent)`));
        }, queueTimeoutMs);
        queued.set(id, w);
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return hub.on(event, listener as Listener);
    },
    connection: () => state,
    onConnection(listener) {
      return connectionHub.on('state', listener as Listener);
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      const s = socket;
      socket = null;
      for (const [id, w] of [...inflight, ...queued]) {
        inflight.delete(id);
        queued.delete(id);
        fail(w, new RpcError('unavailable', 'The console client is closed'));
      }
      try {
        s?.close(1000, 'closed');
      } catch {
        // Already closed.
      }
    },
  };

  open();
  return client;
}

// ---------------------------------------------------------------------------------------

/** The client for this page: Electron's preload when present, else the headless host's bridge. */
export function createClient(): ConsoleClient {
  const api = (globalThis as { tandem?: PreloadApi }).tandem;
  if (api && typeof api.call === 'function' && typeof api.on === 'function') return createPreloadClient(api);
  return createBridgeClient({ url: bridgeUrl(window.location) });
}
