import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RpcError } from '../../src/shared/contract';
import type { PreloadApi } from '../../src/shared/bridge';
import { backoffDelay, bridgeUrl, createBridgeClient, createPreloadClient, type SocketLike } from '../../src/renderer/client';

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: { t: string; id: number; name: string; input: unknown }[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.drop();
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
  reply(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  last() {
    return this.sent[this.sent.length - 1];
  }
}

const latest = () => FakeSocket.all[FakeSocket.all.length - 1];

function client(extra: Partial<Parameters<typeof createBridgeClient>[0]> = {}) {
  return createBridgeClient({ url: 'ws://h/bridge?token=t', connect: (u) => new FakeSocket(u), random: () => 0.5, ...extra });
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('bridge URL', () => {
  it('takes the token from the page URL and matches the page scheme', () => {
    expect(bridgeUrl({ protocol: 'http:', host: '127.0.0.1:5170', search: '?token=a+b/c' })).toBe('ws://127.0.0.1:5170/bridge?token=a%20b%2Fc');
    expect(bridgeUrl({ protocol: 'https:', host: 'x', search: '?token=abc&x=1' })).toBe('wss://x/bridge?token=abc');
    expect(bridgeUrl({ protocol: 'http:', host: 'x', search: '' })).toBe('ws://x/bridge?token=');
  });
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(0, 300, 10_000, () => 0.5)).toBe(300);
    expect(backoffDelay(3, 300, 10_000, () => 0.5)).toBe(2400);
    expect(backoffDelay(30, 300, 10_000, () => 0.5)).toBe(10_000);
    expect(backoffDelay(0, 300, 10_000, () => 0)).toBe(225);
    expect(backoffDelay(0, 300, 10_000, () => 1)).toBe(375);
  });
});

describe('bridge client', () => {
  it('sends calls as frames and resolves with the result', async () => {
    const c = client();
    latest().open();
    const p = c.call('incident.list', { includeClosed: false });
    const frame = latest().last();
    expect(frame).toMatchObject({ t: 'call', name: 'incident.list', input: { includeClosed: false } });
    latest().reply({ t: 'result', id: frame.id, value: [] });
    await expect(p).resolves.toEqual([]);
    expect(c.connection()).toBe('connected');
  });

  it('rejects with an RpcError carrying code and details', async () => {
    const c = client();
    latest().open();
    const p = c.call('handoff.request', { incidentId: 'i', mode: 'live' });
    latest().reply({ t: 'error', id: latest().last().id, error: { code: 'unavailable', message: 'no server', details: { directLine: '555' } } });
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'unavailable', message: 'no server', details: { directLine: '555' } });
  });

  it('delivers events to listeners by name, and unsubscribes', () => {
    const c = client();
    latest().open();
    const seen: unknown[] = [];
    const off = c.on('data.changed', (p) => seen.push(p));
    c.on('sync.status', () => seen.push('wrong'));
    latest().reply({ t: 'event', name: 'data.changed', payload: { entities: ['incident'] } });
    off();
    latest().reply({ t: 'event', name: 'data.changed', payload: { entities: ['handoff'] } });
    expect(seen).toEqual([{ entities: ['incident'] }]);
  });

  it('ignores frames that are not replies, and a throwing listener does not stop others', () => {
    const c = client();
    latest().open();
    const seen: unknown[] = [];
    c.on('data.changed', () => {
      throw new Error('boom');
    });
    c.on('data.changed', (p) => seen.push(p));
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    latest().onmessage?.({ data: 'not json' });
    latest().reply({ t: 'bogus' });
    latest().reply({ t: 'event', name: 'data.changed', payload: { entities: [] } });
    expect(seen).toHaveLength(1);
    err.mockRestore();
    warn.mockRestore();
  });

  it('queues calls made before the socket opens and sends them on open', async () => {
    const c = client();
    const p = c.call('session.get', {});
    expect(latest().sent).toHaveLength(0);
    latest().open();
    expect(latest().sent).toHaveLength(1);
    latest().reply({ t: 'result', id: latest().last().id, value: { ok: 1 } });
    await expect(p).resolves.toEqual({ ok: 1 });
  });

  it('fails a queued call with unavailable when the core stays unreachable', async () => {
    const c = client({ queueTimeoutMs: 1000 });
    const p = c.call('session.get', {}).catch((e) => e);
    await vi.advanceTimersByTimeAsync(1001);
    expect(await p).toMatchObject({ code: 'unavailable' });
  });

  it('fails in-flight calls with unavailable when the socket drops, then reconnects with backoff', async () => {
    const c = client({ backoffInitialMs: 100, backoffMaxMs: 1000 });
    const states: string[] = [];
    c.onConnection((s) => states.push(s));
    latest().open();
    const p = c.call('incident.list', { includeClosed: false }).catch((e) => e);
    latest().drop();
    expect(await p).toMatchObject({ code: 'unavailable' });
    expect(c.connection()).toBe('reconnecting');
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all).toHaveLength(2);
    latest().drop(); // still down: the next wait doubles
    await vi.advanceTimersByTimeAsync(150);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(60);
    expect(FakeSocket.all).toHaveLength(3);
    latest().open();
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
  });

  it('after reconnecting, replays the session and says every entity changed', async () => {
    const c = client({ backoffInitialMs: 10 });
    const events: string[] = [];
    c.on('session.changed', () => events.push('session'));
    c.on('data.changed', (p) => events.push(`data:${p.entities.includes('incident') && p.entities.includes('handoff')}`));
    latest().open();
    latest().drop();
    await vi.advanceTimersByTimeAsync(20);
    latest().open();
    const frame = latest().last();
    expect(frame.name).toBe('session.get');
    latest().reply({ t: 'result', id: frame.id, value: { user: null, workstation: 'w', demo: false, demoUsers: [], lockAfterMinutes: 10 } });
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['session', 'data:true']);
  });

  it('times out a call nobody answers', async () => {
    const c = client({ callTimeoutMs: 500 });
    latest().open();
    const p = c.call('presence.list', {}).catch((e) => e);
    await vi.advanceTimersByTimeAsync(501);
    expect(await p).toMatchObject({ code: 'unavailable' });
  });

  it('close() stops reconnecting and fails waiting calls', async () => {
    const c = client({ backoffInitialMs: 10 });
    latest().open();
    const p = c.call('presence.list', {}).catch((e) => e);
    c.close();
    expect(await p).toMatchObject({ code: 'unavailable' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.all).toHaveLength(1);
  });
});

describe('preload client', () => {
  function fakeApi(reply: Awaited<ReturnType<PreloadApi['call']>> | Error) {
    let emit: (name: string, payload: unknown) => void = () => {};
    const api: PreloadApi = {
      call: vi.fn(async () => {
        if (reply instanceof Error) throw reply;
        return reply;
      }),
      on: (l) => {
        emit = l;
        return () => {};
      },
    };
    return { api, emit: (n: string, p: unknown) => emit(n, p) };
  }

  it('unwraps ok replies', async () => {
    const { api } = fakeApi({ ok: true, value: [1] });
    await expect(createPreloadClient(api).call('presence.list', {})).resolves.toEqual([1]);
    expect(api.call).toHaveBeenCalledWith('presence.list', {});
  });
  it('turns error replies into RpcError', async () => {
    const { api } = fakeApi({ ok: false, error: { code: 'conflict', message: 'taken', details: { acceptedByName: 'Sam' } } });
    const err = await createPreloadClient(api)
      .call('handoff.accept', { id: 'h' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'conflict', details: { acceptedByName: 'Sam' } });
  });
  it('turns a broken IPC into unavailable', async () => {
    const { api } = fakeApi(new Error('ipc gone'));
    await expect(createPreloadClient(api).call('session.get', {})).rejects.toMatchObject({ code: 'unavailable' });
  });
  it('routes events by name and is always connected', () => {
    const { api, emit } = fakeApi({ ok: true, value: null });
    const c = createPreloadClient(api);
    const seen: unknown[] = [];
    c.on('handoff.ringing', (h) => seen.push(h));
    emit('handoff.ringing', { id: 'h' });
    emit('data.changed', {});
    expect(seen).toEqual([{ id: 'h' }]);
    expect(c.connection()).toBe('connected');
  });
});
