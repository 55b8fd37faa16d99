import { RpcError, type EventName, type EventPayload, type RequestName, type SessionInfo, type User } from '../../src/shared/contract';
import type { ConsoleClient } from '../../src/renderer/client';
import { createDataStore } from '../../src/renderer/state/data';
import { createSessionStore } from '../../src/renderer/state/session';
import { createUiStore } from '../../src/renderer/state/ui';
import type { ConnectionState } from '../../src/renderer/logic/status';
import type { StorageLike } from '../../src/renderer/storage';

/** A scripted console core for the renderer's store tests (not a test file itself). */

export const dana: User = { id: 'u-dana', username: 'dana', name: 'Dana Reyes', role: 'dispatcher', directLine: null };
export const chris: User = { id: 'u-chris', username: 'chris', name: 'Chris Okafor', role: 'clinician', directLine: '+1 555 0142' };

export type Handler = (input: unknown) => unknown;
export type Handlers = Partial<Record<RequestName, Handler>>;

/** Handlers per request, events pushed by the test; every call is recorded in order. */
export function fakeCore(handlers: Handlers, user: User | null = dana) {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const connectionListeners = new Set<(c: ConnectionState) => void>();
  const calls: { name: string; input: unknown }[] = [];
  const info = (): SessionInfo => ({ user, workstation: 'ws-1', demo: true, demoUsers: [dana, chris], lockAfterMinutes: 10, locked: false });
  const defaults: Handlers = {
    'session.get': () => info(),
    'incident.list': () => [],
    'handoff.list': () => [],
    'presence.list': () => [],
    'presence.live': () => ({ known: false, answerers: [] }),
  };
  const client: ConsoleClient = {
    async call(name, input) {
      calls.push({ name, input });
      const h = handlers[name] ?? defaults[name];
      if (!h) throw new RpcError('unknown_request', name);
      return (await h(input)) as never;
    },
    on<E extends EventName>(event: E, l: (p: EventPayload<E>) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(l as (p: unknown) => void);
      return () => set.delete(l as (p: unknown) => void);
    },
    connection: (): ConnectionState => 'connected',
    onConnection: (l) => {
      connectionListeners.add(l);
      return () => connectionListeners.delete(l);
    },
    close() {},
  };
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => listeners.get(event)?.forEach((l) => l(payload));
  const connect = (state: ConnectionState) => connectionListeners.forEach((l) => l(state));
  /** Names of the calls made since `from` (an earlier `calls.length`). */
  const namesSince = (from: number) => calls.slice(from).map((c) => c.name);
  return { client, calls, emit, connect, namesSince };
}

export function memoryStorage(): StorageLike & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

/** Lets every settled promise chain run on (one macrotask turn). */
export const flush = () => new Promise((r) => setTimeout(r, 0));

/** A request the test answers later: `reply` resolves it, `refuse` rejects it. */
export function pending<T = unknown>() {
  let reply: (v: T) => void = () => {};
  let refuse: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    reply = res;
    refuse = rej;
  });
  return { promise, reply, refuse };
}

/** What both desks stand on: the session loaded, the lists loaded, and the ui store. */
export async function signedIn(client: ConsoleClient) {
  const session = createSessionStore({ client });
  await session.getState().load();
  const data = createDataStore({ client, session });
  data.getState().refreshAll();
  await flush();
  return { session, data, ui: createUiStore() };
}
