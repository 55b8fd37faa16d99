import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse, PushResponse } from '../../src/shared/sync/protocol';
import { caseFields, Client, http, incidentFields, newReplica, op, signedIn, startServer, type Session, type TestServer } from './server-helpers';

let t: TestServer;
let dispatcher: Session;
let clinician: Session;
let d: Client;
let c: Client;

beforeAll(async () => {
  t = await startServer();
  dispatcher = await signedIn(t.server, 'dispatcher');
  clinician = await signedIn(t.server, 'clinician');
  d = await Client.connect(t.server, dispatcher.headers);
  c = await Client.connect(t.server, clinician.headers);
});
afterAll(async () => {
  await d.close();
  await c.close();
  await t.cleanup();
});

/**
 * A commit after everything so far, and its poke on `c`. The server pokes over one socket, in
 * order, so every poke for an earlier commit has arrived once this one has.
 */
async function laterPoke(): Promise<number> {
  const res = await d.ok<PushResponse>('push', { ops: [op(newReplica(), 1, 'incident', `inc-later-${Date.now()}-${Math.random()}`, incidentFields(0))] });
  await c.waitFor((m) => m.t === 'poke' && m.cursor === res.cursor);
  return res.cursor;
}

const pokesSince = (before: number, until: number) => c.messages.slice(before).filter((m) => m.t === 'poke' && m.cursor < until);

describe('socket requests', () => {
  it('pushes and pulls over the socket, and pokes every console after the commit', async () => {
    const r = newReplica();
    const pokeD = d.next((m) => m.t === 'poke');
    const pokeC = c.next((m) => m.t === 'poke');
    const res = await d.ok<PushResponse>('push', { ops: [op(r, 1, 'incident', 'inc-s1', incidentFields(1)), op(r, 2, 'incident', 'inc-s1', { notes: 'n' })] });
    expect(res).toMatchObject({ lastSeq: 2, applied: 2, skipped: 0, refused: [] });
    expect(await pokeD).toEqual({ t: 'poke', cursor: res.cursor });
    expect(await pokeC).toEqual({ t: 'poke', cursor: res.cursor });
    const page = await c.ok<PullResponse>('pull', { cursor: res.cursor - 2 });
    expect(page.ops.map((o) => o.seq)).toEqual([1, 2]);
  });

  it('sends one poke per commit burst, not one per op', async () => {
    const r = newReplica();
    const before = c.messages.length;
    const ops = Array.from({ length: 50 }, (_, i) => op(r, i + 1, 'incident', `inc-burst-${i}`, incidentFields(i)));
    const res = await d.ok<PushResponse>('push', { ops });
    await c.waitFor((m) => m.t === 'poke' && m.cursor === res.cursor);
    expect(pokesSince(before, await laterPoke())).toHaveLength(1);
  });

  it('does not poke when nothing moved', async () => {
    const r = newReplica();
    const batch = [op(r, 1, 'incident', 'inc-s2', incidentFields(2))];
    const first = await d.ok<PushResponse>('push', { ops: batch });
    await c.waitFor((m) => m.t === 'poke' && m.cursor === first.cursor);
    const before = c.messages.length;
    const res = await d.ok<PushResponse>('push', { ops: batch });
    expect(res.skipped).toBe(1);
    expect(pokesSince(before, await laterPoke())).toHaveLength(0);
  });

  it('filters a dispatcher socket pull by role', async () => {
    const r = newReplica();
    await c.ok('push', { ops: [op(r, 1, 'case', 'case-s', caseFields('p'))] });
    const page = await d.ok<PullResponse>('pull', { cursor: 0, limit: 5000 });
    expect(page.ops.some((o) => o.entity === 'case')).toBe(false);
    const mine = await c.ok<PullResponse>('pull', { cursor: 0, limit: 5000 });
    expect(mine.ops.some((o) => o.id === 'case-s')).toBe(true);
    expect(page.cursor).toBe(mine.cursor);
  });

  it("answers one console's pull while another console's bulk push is still waiting", async () => {
    // A console drains a large outbox: many pushes on the wire at once, all read off its socket
    // in one go. Another console's request must not wait behind all of them.
    const r = newReplica();
    const bulk = await Client.connect(t.server, clinician.headers);
    const answered: string[] = [];
    const BATCHES = 12;
    const PER_BATCH = 250;
    const pushes = Array.from({ length: BATCHES }, (_, b) => {
      const ops = Array.from({ length: PER_BATCH }, (_, i) => op(r, b * PER_BATCH + i + 1, 'case', `case-bulk-${b}-${i}`, caseFields(`p-${i}`)));
      return bulk.ok('push', { ops }).then(() => answered.push(`push ${b}`));
    });
    // The server (in this process) reads nothing until this turn ends, and every push was
    // written to its socket in this turn (ws sends without compression at once): the other
    // console asks after all of them, before the server has read any.
    const pull = d.ok('pull', { cursor: 0, limit: 1 }).then(() => answered.push('pull'));
    await Promise.all([...pushes, pull]);
    await bulk.close();
    // One request of each console per turn: the pull goes after at most a push or two.
    expect(answered.indexOf('pull')).toBeLessThan(3);
  });

  it('answers a gap with a gap error', async () => {
    const r = newReplica();
    const res = await d.call('push', { ops: [op(r, 2, 'incident', 'inc-gap', incidentFields(3))] });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.e.code).toBe('gap');
    expect(res.e.details).toMatchObject({ expected: 1, got: 2, lastSeq: 0, applied: 0 });
  });
});

describe('malformed messages', () => {
  it('answers a malformed request that has an id with an error, and drops the rest, without closing', async () => {
    d.sendRaw('this is not json');
    d.sendRaw(JSON.stringify({ hello: 'there' }));
    d.sendRaw(JSON.stringify(null));
    d.sendRaw(JSON.stringify([1, 2, 3]));
    d.socket.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    d.sendRaw(JSON.stringify({ t: 'req', id: 9001, m: 'launch.missiles', p: {} }));
    const err = await d.waitFor((m) => m.t === 'res' && m.id === 9001);
    expect(err).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    d.sendRaw(JSON.stringify({ t: 'req', id: 9002, m: 'pull', p: { cursor: 'zero' } }));
    expect(await d.waitFor((m) => m.t === 'res' && m.id === 9002)).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    d.sendRaw(JSON.stringify({ t: 'req', id: 9003, m: 'push', p: { ops: 'all of them' } }));
    expect(await d.waitFor((m) => m.t === 'res' && m.id === 9003)).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    d.sendRaw(JSON.stringify({ t: 'req', id: 9004, m: 'handoff.accept', p: null }));
    // A dispatcher may not accept; the role check comes first.
    expect(await d.waitFor((m) => m.t === 'res' && m.id === 9004)).toMatchObject({ ok: false, e: { code: 'forbidden' } });
    // The socket and the server are still fine.
    const page = await d.ok<PullResponse>('pull', { cursor: 0, limit: 1 });
    expect(page.ops).toHaveLength(1);
    expect((await http(t.server.url, 'GET', '/v1/health')).status).toBe(200);
  });

  it('survives a flood of junk from many sockets', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => Client.connect(t.server, clinician.headers)));
    for (const cl of clients) for (let i = 0; i < 200; i++) cl.sendRaw(i % 2 ? '{"t":"req"' : JSON.stringify({ t: 'req', id: 1000 + i, m: 'presence.set', p: { status: 'nope' } }));
    // Each socket answers every request that has an id, once: a bad request, or "too many in
    // flight" past 64 at once (the junk without an id is dropped). Once all are answered the
    // flood is over, and the server carries on.
    const ids = Array.from({ length: 100 }, (_, k) => 1000 + 2 * k);
    for (const cl of clients) {
      const answers = await Promise.all(ids.map((id) => cl.waitFor((m) => m.t === 'res' && m.id === id, 20_000)));
      for (const res of answers) {
        expect(res).toMatchObject({ ok: false });
        if (res.t === 'res' && !res.ok) expect(['bad_request', 'unavailable']).toContain(res.e.code);
      }
      expect(cl.messages.filter((m) => m.t === 'res')).toHaveLength(ids.length);
    }
    const last = await clients[0].ok<PullResponse>('pull', { cursor: 0, limit: 1 });
    expect(last.ops).toHaveLength(1);
    await Promise.all(clients.map((cl) => cl.close()));
    expect((await http(t.server.url, 'GET', '/v1/health')).status).toBe(200);
  });
});
