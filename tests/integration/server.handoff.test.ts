import { afterEach, describe, expect, it } from 'vitest';
import { Handoff, Presence } from '../../src/shared/entities';
import type { PullResponse } from '../../src/shared/sync/protocol';
import { Client, signedIn, startServer, type Res, type Session, type TestServer } from './server-helpers';
import { waitFor } from '../helpers/wait-for';

const DIRECT_LINE = '555-0199';

interface Floor {
  t: TestServer;
  dispatcher: Session;
  d: Client;
  clinicians: Session[];
  c: Client[];
}

let open: Floor[] = [];

async function floor(clinicians: number, config: { handoffTimeoutMs?: number } = {}): Promise<Floor> {
  const t = await startServer({ clinicianDirectLine: DIRECT_LINE, ...config });
  const dispatcher = await signedIn(t.server, 'dispatcher', { name: 'Dana Dispatch' });
  const d = await Client.connect(t.server, dispatcher.headers);
  const sessions: Session[] = [];
  const c: Client[] = [];
  for (let i = 0; i < clinicians; i++) {
    const s = await signedIn(t.server, 'clinician', { name: `Clinician ${String.fromCharCode(65 + i)}`, directLine: `555-01${i}` });
    sessions.push(s);
    c.push(await Client.connect(t.server, s.headers));
  }
  const f = { t, dispatcher, d, clinicians: sessions, c };
  open.push(f);
  return f;
}

afterEach(async () => {
  for (const f of open) {
    await Promise.all([f.d, ...f.c].map((cl) => cl.close()));
    await f.t.cleanup();
  }
  open = [];
});

const request = (cl: Client, id: string, mode: 'live' | 'followup' = 'live') => cl.call('handoff.request', { id, incidentId: `inc-${id}`, mode, note: null });
const handoffOf = (res: Res) => {
  if (!res.ok) throw new Error(`${res.e.code}: ${res.e.message}`);
  return Handoff.parse(res.r);
};

describe('handoff.request', () => {
  it('tells the dispatcher at once when no clinician console is connected, with the direct line', async () => {
    const f = await floor(0);
    const res = await request(f.d, 'h1');
    expect(res).toEqual({ ok: false, e: { code: 'unavailable', message: 'No clinician console is connected', details: { directLine: DIRECT_LINE } } });
    // A follow-up request does not need anyone connected.
    const queued = handoffOf(await request(f.d, 'h2', 'followup'));
    expect(queued.state).toBe('queued');
    expect(queued.ringingAt).toBeNull();
  });

  it('rings: creates the handoff as the server replica and pokes every console', async () => {
    const f = await floor(1);
    const poke = f.c[0].next((m) => m.t === 'poke');
    const h = handoffOf(await request(f.d, 'h1'));
    expect(h).toMatchObject({ id: 'h1', incidentId: 'inc-h1', mode: 'live', state: 'ringing', requestedBy: f.dispatcher.userId, requestedByName: 'Dana Dispatch', acceptedBy: null, declines: [] });
    expect(Date.parse(h.ringingAt ?? '')).toBeGreaterThan(Date.now() - 5000);
    await poke;
    const page = await f.c[0].ok<PullResponse>('pull', { cursor: 0 });
    const ops = page.ops.filter((o) => o.entity === 'handoff');
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ replica: 'server', seq: 1, id: 'h1', fields: { state: 'ringing' } });
    // The dispatcher receives handoffs too: they are not clinical.
    const dpage = await f.d.ok<PullResponse>('pull', { cursor: 0 });
    expect(dpage.ops.some((o) => o.entity === 'handoff')).toBe(true);
  });

  it('answers a retried request with the same handoff, and refuses a clash of ids', async () => {
    const f = await floor(1);
    const first = handoffOf(await request(f.d, 'h1'));
    const again = handoffOf(await request(f.d, 'h1'));
    expect(again).toEqual(first);
    const other = await signedIn(f.t.server, 'supervisor');
    const o = await Client.connect(f.t.server, other.headers);
    const clash = await request(o, 'h1');
    expect(clash).toMatchObject({ ok: false, e: { code: 'conflict' } });
    await o.close();
  });

  it('lets only the dispatch side request, and only clinicians answer', async () => {
    const f = await floor(1);
    expect(await request(f.c[0], 'h1')).toMatchObject({ ok: false, e: { code: 'forbidden' } });
    handoffOf(await request(f.d, 'h2'));
    expect(await f.d.call('handoff.accept', { id: 'h2' })).toMatchObject({ ok: false, e: { code: 'forbidden' } });
    expect(await f.d.call('presence.set', { status: 'available' })).toMatchObject({ ok: false, e: { code: 'forbidden' } });
    expect(await f.c[0].call('handoff.accept', { id: 'nope' })).toMatchObject({ ok: false, e: { code: 'not_found' } });
  });
});

describe('handoff.accept', () => {
  it('first accept wins: two clinicians accept at once, exactly one gets it, the other is told who', async () => {
    const f = await floor(2);
    for (let round = 0; round < 5; round++) {
      const id = `h-race-${round}`;
      handoffOf(await request(f.d, id));
      const [a, b] = await Promise.all([f.c[0].call('handoff.accept', { id }), f.c[1].call('handoff.accept', { id })]);
      const winners = [a, b].filter((r) => r.ok);
      const losers = [a, b].filter((r) => !r.ok);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      const won = handoffOf(winners[0]);
      expect(won.state).toBe('accepted');
      const winnerName = won.acceptedByName;
      expect(['Clinician A', 'Clinician B']).toContain(winnerName);
      expect(losers[0]).toEqual({ ok: false, e: { code: 'conflict', message: `Already accepted by ${winnerName}`, details: { acceptedByName: winnerName } } });
      // Accepting again is harmless for the winner.
      const winnerClient = won.acceptedBy === f.clinicians[0].userId ? f.c[0] : f.c[1];
      expect(handoffOf(await winnerClient.call('handoff.accept', { id })).acceptedAt).toBe(won.acceptedAt);
      // Finish the call so the next round starts clean.
      handoffOf(await winnerClient.call('handoff.complete', { id, outcome: 'resolved_by_phone', caseId: `case-${round}` }));
    }
  });

  it('puts the accepting clinician on a call, and back to available on completion', async () => {
    const f = await floor(2);
    handoffOf(await request(f.d, 'h1'));
    const accepted = handoffOf(await f.c[1].call('handoff.accept', { id: 'h1' }));
    expect(accepted.acceptedBy).toBe(f.clinicians[1].userId);
    const presence = async () => {
      const page = await f.d.ok<PullResponse>('pull', { cursor: 0 });
      const rows = new Map<string, Record<string, unknown>>();
      for (const o of page.ops.filter((x) => x.entity === 'presence')) rows.set(o.id, { ...rows.get(o.id), ...o.fields, id: o.id });
      return Presence.parse(rows.get(f.clinicians[1].userId));
    };
    expect(await presence()).toMatchObject({ status: 'on_call', name: 'Clinician B', directLine: '555-011' });
    // Only the clinician who accepted may complete it.
    expect(await f.c[0].call('handoff.complete', { id: 'h1', outcome: 'referral', caseId: 'case-1' })).toMatchObject({
      ok: false,
      e: { code: 'forbidden', message: 'Only Clinician B, who accepted this handoff, can complete it' },
    });
    const done = handoffOf(await f.c[1].call('handoff.complete', { id: 'h1', outcome: 'referral', caseId: 'case-1' }));
    expect(done).toMatchObject({ state: 'completed', outcome: 'referral', caseId: 'case-1' });
    expect(done.endedAt).not.toBeNull();
    expect((await presence()).status).toBe('available');
    // Completed is terminal.
    expect(await f.c[1].call('handoff.complete', { id: 'h1', outcome: 'referral', caseId: 'case-1' })).toMatchObject({
      ok: false,
      e: { code: 'conflict', message: 'A handoff that is completed cannot complete' },
    });
  });
});

describe('decline, cancel, timeout', () => {
  it('stays ringing until every connected clinician has declined', async () => {
    const f = await floor(2);
    handoffOf(await request(f.d, 'h1'));
    const one = handoffOf(await f.c[0].call('handoff.decline', { id: 'h1', reason: 'On another call' }));
    expect(one.state).toBe('ringing');
    expect(one.declines).toEqual([{ by: f.clinicians[0].userId, name: 'Clinician A', reason: 'On another call', at: expect.any(String) }]);
    // Declining twice does not count twice.
    expect(handoffOf(await f.c[0].call('handoff.decline', { id: 'h1', reason: 'Still busy' })).declines).toHaveLength(1);
    const both = handoffOf(await f.c[1].call('handoff.decline', { id: 'h1', reason: 'Off shift in 2 min' }));
    expect(both.state).toBe('declined');
    expect(both.declines).toHaveLength(2);
    expect(both.endedAt).not.toBeNull();
    expect(await f.c[0].call('handoff.accept', { id: 'h1' })).toMatchObject({ ok: false, e: { code: 'conflict', message: 'A handoff that is declined cannot accept' } });
    expect(await f.c[0].call('handoff.decline', { id: 'h1', reason: '' })).toMatchObject({ ok: false, e: { code: 'bad_request' } });
  });

  it('is declined when the only clinician who had not declined disconnects', async () => {
    const f = await floor(2);
    handoffOf(await request(f.d, 'h1'));
    handoffOf(await f.c[0].call('handoff.decline', { id: 'h1', reason: 'Busy' }));
    const poke = f.d.next((m) => m.t === 'poke');
    await f.c[1].close();
    await poke;
    const page = await f.d.ok<PullResponse>('pull', { cursor: 0 });
    const states = page.ops.filter((o) => o.entity === 'handoff' && 'state' in o.fields).map((o) => o.fields.state);
    expect(states[states.length - 1]).toBe('declined');
  });

  it('rings a clinician console that links while a handoff rings (its ring lost with a cut link), but not for one she declined', async () => {
    const f = await floor(2);
    handoffOf(await request(f.d, 'h1'));
    handoffOf(await request(f.d, 'h2'));
    handoffOf(await f.c[0].call('handoff.decline', { id: 'h2', reason: 'Busy' }));
    // Her link is cut and she comes back (a second console of hers would be the same).
    await f.c[0].close();
    const back = await Client.connect(f.t.server, f.clinicians[0].headers);
    f.c[0] = back;
    const ring = await back.waitFor((m) => m.t === 'ring', 2000);
    expect(ring).toMatchObject({ t: 'ring', handoff: { id: 'h1', state: 'ringing' } });
    // h2, which she declined, does not ring her again (the other clinician has not declined it: it still rings).
    await back.ok('pull', { cursor: 0 });
    expect(back.messages.filter((m) => m.t === 'ring').map((m) => (m.t === 'ring' ? m.handoff.id : ''))).toEqual(['h1']);
  });

  it('lets the dispatcher cancel a ringing handoff', async () => {
    const f = await floor(1);
    handoffOf(await request(f.d, 'h1'));
    const cancelled = handoffOf(await f.d.call('handoff.cancel', { id: 'h1' }));
    expect(cancelled.state).toBe('cancelled');
    expect(await f.c[0].call('handoff.accept', { id: 'h1' })).toMatchObject({ ok: false, e: { code: 'conflict', message: 'A handoff that is cancelled cannot accept' } });
    expect(await f.c[0].call('handoff.cancel', { id: 'h1' })).toMatchObject({ ok: false, e: { code: 'forbidden' } });
  });

  it('times out when nobody accepts in time', async () => {
    const f = await floor(1, { handoffTimeoutMs: 250 });
    handoffOf(await request(f.d, 'h1'));
    handoffOf(await request(f.d, 'h2'));
    handoffOf(await f.c[0].call('handoff.accept', { id: 'h2' }));
    const stateOf = async (id: string) => {
      const page = await f.d.ok<PullResponse>('pull', { cursor: 0 });
      return String(page.ops.filter((o) => o.entity === 'handoff' && o.id === id && 'state' in o.fields).at(-1)?.fields.state);
    };
    const leftRinging = async (id: string) => {
      const state = await stateOf(id);
      return state !== 'ringing' && state;
    };
    expect(await waitFor(() => leftRinging('h1'), { what: 'h1 to leave ringing', every: 50 })).toBe('timed_out');
    expect(await f.c[0].call('handoff.accept', { id: 'h1' })).toMatchObject({ ok: false, e: { code: 'conflict', message: 'A handoff that is timed out cannot accept' } });
    // The accepted one is untouched by its old timer. A handoff that rings later times out
    // later: once h3 has timed out, h2's old timer has fired too.
    handoffOf(await request(f.d, 'h3'));
    expect(await waitFor(() => leftRinging('h3'), { what: 'h3 to leave ringing', every: 50 })).toBe('timed_out');
    const page = await f.d.ok<PullResponse>('pull', { cursor: 0 });
    const h2 = page.ops.filter((o) => o.id === 'h2' && 'state' in o.fields).map((o) => o.fields.state);
    expect(h2).toEqual(['ringing', 'accepted']);
  });
});

describe('presence.set', () => {
  it('writes the clinician presence row that every console receives', async () => {
    const f = await floor(1);
    const p = Presence.parse(await f.c[0].ok('presence.set', { status: 'away' }));
    expect(p).toMatchObject({ id: f.clinicians[0].userId, name: 'Clinician A', status: 'away', directLine: '555-010' });
    const page = await f.d.ok<PullResponse>('pull', { cursor: 0 });
    expect(page.ops.find((o) => o.entity === 'presence')).toMatchObject({ replica: 'server', id: f.clinicians[0].userId, fields: { status: 'away' } });
    expect(await f.c[0].call('presence.set', { status: 'asleep' })).toMatchObject({ ok: false, e: { code: 'bad_request' } });
  });
});
