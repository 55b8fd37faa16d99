import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LivePresence } from '../../src/shared/contract';
import { Client, signedIn, startServer, type TestServer } from './server-helpers';
import { startCluster } from '../helpers/cluster';
import { randomKey, tempDir } from '../helpers/tmp';
import { createCore } from '../../src/main/core';
import { startHost } from '../../src/main/host/server';
import { BRIDGE_PATH } from '../../src/shared/bridge';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { waitFor } from '../helpers/wait-for';
import { manualClock } from '../helpers/clock';
import type { PullResponse } from '../../src/shared/sync/protocol';

/**
 * Presence that never lies: who a live handoff (F9) would ring is the server's own answerer
 * set — clinician consoles connected, answering the heartbeat and with a window open — and
 * every console is told that set the moment it changes. Consoles are killed and links cut
 * here, not only signed out.
 */
const DIRECT_LINE = '555-0199';
const PING_MS = 150;

type Answerers = { id: string; name: string }[];
const lastAnswerers = (c: Client): Answerers | null => {
  const all = c.messages.filter((m) => m.t === 'answerers');
  const last = all[all.length - 1];
  return last && last.t === 'answerers' ? last.users : null;
};

/** A TCP relay between consoles and the server whose link can be cut without closing anything. */
async function relay(port: number) {
  const pairs: { a: net.Socket; b: net.Socket }[] = [];
  let cut = false;
  const held: net.Socket[] = [];
  const server = net.createServer((a) => {
    if (cut) {
      held.push(a); // accepted, never answered: what a dead network looks like
      a.on('error', () => undefined);
      return;
    }
    const b = net.connect(port, '127.0.0.1');
    a.on('error', () => b.destroy());
    b.on('error', () => a.destroy());
    a.pipe(b);
    b.pipe(a);
    pairs.push({ a, b });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    /** Nothing more gets through either way, and nobody is told: no FIN, no RST. */
    cut() {
      cut = true;
      for (const { a, b } of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    heal() {
      cut = false;
      for (const s of held.splice(0)) s.destroy();
    },
    async close() {
      for (const { a, b } of pairs) {
        a.destroy();
        b.destroy();
      }
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the server tells every console who F9 would ring', () => {
  let t: TestServer | null = null;
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await t?.cleanup();
    t = null;
  });

  async function floor() {
    t = await startServer({ clinicianDirectLine: DIRECT_LINE, pingIntervalMs: PING_MS });
    const dispatcher = await signedIn(t.server, 'dispatcher', { name: 'Dana Dispatch' });
    const d = await Client.connect(t.server, dispatcher.headers);
    clients.push(d);
    return { server: t.server, d };
  }

  it('on connect, when a clinician connects or leaves, and F9 agrees with it', async () => {
    const { server, d } = await floor();
    await d.waitFor((m) => m.t === 'answerers');
    expect(lastAnswerers(d)).toEqual([]);

    const alex = await signedIn(server, 'clinician', { name: 'Alex Clinician' });
    const c = await Client.connect(server, alex.headers);
    clients.push(c);
    await waitFor(() => lastAnswerers(d)?.length === 1, { what: 'the dispatcher to be told Alex is there' });
    expect(lastAnswerers(d)).toEqual([{ id: alex.userId, name: 'Alex Clinician' }]);
    expect(lastAnswerers(c)).toEqual([{ id: alex.userId, name: 'Alex Clinician' }]);

    await c.close();
    await waitFor(() => lastAnswerers(d)?.length === 0, { what: 'the dispatcher to be told Alex left' });
    const res = await d.call('handoff.request', { id: 'h1', incidentId: 'inc-1', mode: 'live', note: null });
    expect(res).toMatchObject({ ok: false, e: { code: 'unavailable', details: { directLine: DIRECT_LINE } } });
  });

  it('a console with no window open is not a present clinician, and is not rung', async () => {
    const { server, d } = await floor();
    const alex = await signedIn(server, 'clinician', { name: 'Alex Clinician' });
    const c = await Client.connect(server, alex.headers);
    clients.push(c);
    await waitFor(() => lastAnswerers(d)?.length === 1, { what: 'Alex present' });

    expect(await c.ok('presence.attend', { attended: false })).toEqual({ attended: false });
    await waitFor(() => lastAnswerers(d)?.length === 0, { what: 'Alex gone once the window closed' });
    const refused = await d.call('handoff.request', { id: 'h1', incidentId: 'inc-1', mode: 'live', note: null });
    expect(refused).toMatchObject({ ok: false, e: { code: 'unavailable', message: 'No clinician console is connected' } });

    await c.ok('presence.attend', { attended: true });
    await waitFor(() => lastAnswerers(d)?.length === 1, { what: 'Alex back with a window' });
    const rung = await d.call('handoff.request', { id: 'h2', incidentId: 'inc-2', mode: 'live', note: null });
    expect(rung).toMatchObject({ ok: true });
    await c.waitFor((m) => m.t === 'ring' && m.handoff.id === 'h2');
    expect(c.messages.some((m) => m.t === 'ring' && m.handoff.id === 'h1')).toBe(false);
  });

  it('a live call nobody accepts stops ringing after the default ring timeout, 20 s', async () => {
    const clock = manualClock();
    t = await startServer({ clinicianDirectLine: DIRECT_LINE, pingIntervalMs: 0, clock });
    const dispatcher = await signedIn(t.server, 'dispatcher');
    const d = await Client.connect(t.server, dispatcher.headers);
    const alex = await signedIn(t.server, 'clinician', { name: 'Alex Clinician' });
    const c = await Client.connect(t.server, alex.headers);
    clients.push(d, c);
    await d.ok('handoff.request', { id: 'h1', incidentId: 'inc-1', mode: 'live', note: null });
    const stateOf = async () => {
      const page = await d.ok<PullResponse>('pull', { cursor: 0 });
      return page.ops.filter((o) => o.id === 'h1' && 'state' in o.fields).at(-1)?.fields.state;
    };
    clock.advance(19_999);
    expect(await stateOf()).toBe('ringing');
    clock.advance(1);
    await waitFor(async () => (await stateOf()) === 'timed_out', { what: 'h1 timed out at 20 s' });
  });

  it('refuses a malformed attend with a sentence, and a dispatcher may say it too without becoming an answerer', async () => {
    const { d } = await floor();
    const bad = await d.call('presence.attend', { attended: 'yes' });
    expect(bad).toMatchObject({ ok: false, e: { code: 'bad_request', message: 'Invalid presence.attend: say { attended: true } or { attended: false }' } });
    await d.ok('presence.attend', { attended: true });
    expect(lastAnswerers(d)).toEqual([]);
  });

  it('a clinician whose link is cut (no close at all) is dropped within a few heartbeats', async () => {
    const { server, d } = await floor();
    const alex = await signedIn(server, 'clinician', { name: 'Alex Clinician' });
    const c = await Client.connect(server, alex.headers);
    clients.push(c);
    await waitFor(() => lastAnswerers(d)?.length === 1, { what: 'Alex present' });

    // Stop reading the socket: pings go unanswered, exactly as when a cable is pulled.
    const tcp = (c.socket as unknown as { _socket: net.Socket })._socket;
    tcp.pause();
    const cutAt = performance.now();
    await waitFor(() => lastAnswerers(d)?.length === 0, { timeout: 10_000, what: 'Alex dropped after the cut' });
    const tookMs = performance.now() - cutAt;
    expect(tookMs).toBeGreaterThanOrEqual(PING_MS * 2); // not dropped on one late pong
    const res = await d.call('handoff.request', { id: 'h1', incidentId: 'inc-1', mode: 'live', note: null });
    expect(res).toMatchObject({ ok: false, e: { code: 'unavailable', details: { directLine: DIRECT_LINE } } });
    tcp.resume();
  });
});

describe('consoles: live presence through the core', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function setup() {
    const cluster = await startCluster({ server: { pingIntervalMs: PING_MS, clinicianDirectLine: DIRECT_LINE } });
    closers.push(() => cluster.close());
    await cluster.addUser('dana', 'dispatcher', 'Dana Dispatch');
    await cluster.addUser('alex', 'clinician', 'Alex Clinician');
    await cluster.addUser('sam', 'clinician', 'Sam Clinician');
    const link = await relay(cluster.server.port);
    closers.push(() => link.close());
    const dispatcher = await cluster.console('dispatch-desk', 'dana');
    const live = async () => (await dispatcher.call('presence.live', {})) as LivePresence;
    const names = async () => (await live()).answerers.map((a) => a.name);
    return { cluster, link, dispatcher, live, names };
  }

  it('a killed clinician console and a signed-out one disappear; a closed window too', async () => {
    const { cluster, names, dispatcher } = await setup();
    const alex = await cluster.console('alex-desk', 'alex');
    const sam = await cluster.console('sam-desk', 'sam');
    await waitFor(async () => (await names()).length === 2, { what: 'both clinicians live' });
    expect(await names()).toEqual(['Alex Clinician', 'Sam Clinician']);
    const events: LivePresence[] = [];
    dispatcher.on('presence.live', (p) => events.push(p as LivePresence));

    alex.close(); // the process gone: its socket closes with it
    await waitFor(async () => (await names()).join() === 'Sam Clinician', { what: 'Alex gone after his console died' });
    expect(events.at(-1)?.answerers.map((a) => a.name)).toEqual(['Sam Clinician']);

    const detach = sam.attach();
    await waitFor(async () => (await names()).join() === 'Sam Clinician', { what: 'Sam still there with a window' });
    detach();
    await waitFor(async () => (await names()).length === 0, { what: 'Sam gone once her window closed' });

    const win = sam.attach();
    await waitFor(async () => (await names()).join() === 'Sam Clinician', { what: 'Sam back' });
    await sam.call('session.signOut', {});
    await waitFor(async () => (await names()).length === 0, { what: 'Sam gone after signing out' });
    win();
  });

  it('a console the headless host serves is present only while a browser tab has it open', async () => {
    const { cluster, names } = await setup();
    const alex = await cluster.console('alex-desk', 'alex');
    await waitFor(async () => (await names()).join() === 'Alex Clinician', { what: 'Alex live (a core no shell serves counts as attended)' });

    const renderer = tempDir('tandem-renderer-');
    closers.push(() => renderer.cleanup());
    fs.writeFileSync(path.join(renderer.dir, 'index.html'), '<!doctype html><title>t</title>');
    const host = await startHost({ rendererDir: renderer.dir });
    closers.push(() => host.close());
    const url = new URL(host.add(alex));
    await waitFor(async () => (await names()).length === 0, { what: 'Alex not present: no tab open on the host yet' });

    const tab = new WebSocket(`ws://127.0.0.1:${url.port}${BRIDGE_PATH}?token=${url.searchParams.get('token')}`);
    await new Promise((resolve, reject) => tab.once('open', resolve).once('error', reject));
    await waitFor(async () => (await names()).join() === 'Alex Clinician', { what: 'Alex present with a tab open' });
    tab.close();
    await waitFor(async () => (await names()).length === 0, { what: 'Alex gone once the tab closed' });
  });

  it('a clinician console whose link is cut goes offline itself and drops off the dispatcher’s list', async () => {
    const { cluster, link, names } = await setup();
    // Alex's console talks to the server through the relay, whose link can be cut.
    const dir = tempDir('tandem-cut-');
    closers.push(() => dir.cleanup());
    const viaRelay = await createCore({
      profileDir: dir.dir,
      key: randomKey(),
      workstationName: 'alex-relay',
      sync: { serverUrl: link.url, enrollmentToken: await cluster.server.admin.createEnrollmentToken('alex-relay') },
    });
    closers.push(() => viaRelay.close());
    await viaRelay.call('session.signIn', { username: 'alex', password: 'pw-alex-123' });
    await waitFor(async () => (await names()).join() === 'Alex Clinician', { what: 'Alex live through the relay' });

    link.cut();
    await waitFor(async () => (await names()).length === 0, { timeout: 10_000, what: 'the server to drop the silent console' });
    await waitFor(() => viaRelay.syncStatus().state === 'offline', { timeout: 10_000, what: 'Alex’s console to see its link is dead' });
    expect(await viaRelay.call('presence.live', {})).toEqual({ known: false, answerers: [] });

    link.heal();
    await waitFor(() => viaRelay.syncStatus().state === 'online', { timeout: 15_000, what: 'Alex back online after the link heals' });
    await waitFor(async () => (await names()).join() === 'Alex Clinician', { what: 'Alex live again' });
  });
});
