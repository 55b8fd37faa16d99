import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, type EventName } from '../../src/shared/contract';
import { BRIDGE_PATH } from '../../src/shared/bridge';
import { createEventBus, type EventBus } from '../../src/main/core/events';
import { EVENT_CHANNEL, forwardEvents } from '../../src/main/electron/forward';
import { startHost } from '../../src/main/host/server';
import { tempDir } from '../helpers/tmp';

/**
 * Every event of the contract (shared/contract.ts `events`) reaches the UI through both
 * transports, the Electron shell's IPC and the headless host's bridge, and an event added to the
 * contract does too, with no list of names to edit anywhere.
 */
const ADDED = 'test.added' as EventName;
const t = tempDir('tandem-events-');
let host: Awaited<ReturnType<typeof startHost>>;

beforeAll(async () => {
  const renderer = path.join(t.dir, 'renderer');
  fs.mkdirSync(renderer);
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Tandem</title>');
  host = await startHost({ rendererDir: renderer });
  // As if the contract had one more event than the core and the shells were written for.
  (events as Record<string, z.ZodType>)[ADDED] = z.object({ n: z.number() });
});
afterAll(async () => {
  delete (events as Record<string, z.ZodType>)[ADDED];
  await host.close();
  t.cleanup();
});

/** The headless host's bridge for one core: the events that come over it, in order. */
async function bridgeEvents(bus: EventBus): Promise<{ received: { name: string; payload: unknown }[]; until: (n: number) => Promise<void>; close: () => void }> {
  const url = new URL(host.add({ call: async () => null, onAny: bus.onAny }));
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${BRIDGE_PATH}?token=${url.searchParams.get('token')}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const received: { name: string; payload: unknown }[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { t: string; name: string; payload: unknown };
    if (msg.t === 'event') received.push({ name: msg.name, payload: msg.payload });
    waiters.splice(0).forEach((w) => w());
  });
  /** Waits for the n-th event; fails after a few seconds naming the ones that came. */
  const until = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bridge carried ${received.length} of ${n} events: ${received.map((e) => e.name).join(', ')}`)), 5000);
      const check = () => {
        if (received.length < n) return void waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      check();
    });
  return { received, until, close: () => ws.close() };
}

describe('core events reach every transport', () => {
  it('forwards each event of the contract, and one just added to it, through the bridge and through IPC', async () => {
    const names = Object.keys(events) as EventName[];
    expect(names).toEqual(expect.arrayContaining(['sync.status', 'data.changed', 'handoff.ringing', 'handoff.updated', 'session.changed', ADDED]));
    const bus = createEventBus();
    const bridge = await bridgeEvents(bus);
    const ipc: unknown[][] = [];
    const rang: unknown[] = [];
    const stopIpc = forwardEvents(bus, () => ({ isDestroyed: () => false, send: (...args) => ipc.push(args) }), (h) => rang.push(h));

    names.forEach((name, n) => bus.emit(name, { n } as never));
    await bridge.until(names.length);

    const sent = names.map((name, n) => ({ name, payload: { n } }));
    expect(bridge.received).toEqual(sent);
    expect(ipc).toEqual(sent.map((e) => [EVENT_CHANNEL, e.name, e.payload]));
    // Only a ringing handoff goes past the window.
    expect(rang).toEqual([{ n: names.indexOf('handoff.ringing') }]);

    stopIpc();
    bridge.close();
    bus.close();
  });

  it('sends nothing to a window that is gone, and stops when unsubscribed', () => {
    const bus = createEventBus();
    const ipc: unknown[][] = [];
    let destroyed = false;
    const stop = forwardEvents(bus, () => ({ isDestroyed: () => destroyed, send: (...args) => ipc.push(args) }), () => undefined);
    bus.emit('data.changed', { entities: ['case'] });
    destroyed = true;
    bus.emit('data.changed', { entities: ['task'] });
    stop();
    destroyed = false;
    bus.emit('data.changed', { entities: ['person'] });
    expect(ipc).toEqual([[EVENT_CHANNEL, 'data.changed', { entities: ['case'] }]]);
  });
});
