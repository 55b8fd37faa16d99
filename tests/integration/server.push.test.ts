import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse, PushResponse } from '../../src/shared/sync/protocol';
import { caseFields, enroll, http, incidentFields, newReplica, op, signedIn, startServer, type Session, type TestServer } from './server-helpers';

let t: TestServer;
let dispatcher: Session;
let clinician: Session;

beforeAll(async () => {
  t = await startServer();
  dispatcher = await signedIn(t.server, 'dispatcher');
  clinician = await signedIn(t.server, 'clinician');
});
afterAll(() => t.cleanup());

const push = (s: Session, ops: unknown[]) => http<PushResponse & { code?: string; message?: string; details?: Record<string, unknown> }>(t.server.url, 'POST', '/v1/push', { headers: s.headers, body: { ops } });
const pull = (s: Session, cursor = 0, limit = 5000) => http<PullResponse>(t.server.url, 'GET', `/v1/pull?cursor=${cursor}&limit=${limit}`, { headers: s.headers });
const health = async () => (await http<{ cursor: number }>(t.server.url, 'GET', '/v1/health')).body.cursor;

describe('push', () => {
  it('applies ops in order and hands them out by cursor', async () => {
    const r = newReplica();
    const before = await health();
    const res = await push(dispatcher, [op(r, 1, 'incident', 'inc-a', incidentFields(1)), op(r, 2, 'incident', 'inc-a', { status: 'closed' })]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ lastSeq: 2, applied: 2, skipped: 0, refused: [], cursor: before + 2, from: before });
    const page = await pull(clinician, before);
    expect(page.body.ops.map((o) => [o.replica, o.seq, o.cursor])).toEqual([
      [r, 1, before + 1],
      [r, 2, before + 2],
    ]);
  });

  it('is idempotent: the same batch twice is skipped the second time', async () => {
    const r = newReplica();
    const batch = [op(r, 1, 'incident', 'inc-idem', incidentFields(2)), op(r, 2, 'incident', 'inc-idem', { notes: 'x' })];
    const first = await push(dispatcher, batch);
    expect(first.body).toMatchObject({ lastSeq: 2, applied: 2, skipped: 0 });
    const cursor = await health();
    const second = await push(dispatcher, batch);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ lastSeq: 2, applied: 0, skipped: 2, refused: [], cursor, from: cursor });
    expect(await health()).toBe(cursor);
    // A batch that overlaps what the server has applies only what is new.
    const third = await push(dispatcher, [...batch, op(r, 3, 'incident', 'inc-idem', { notes: 'y' })]);
    expect(third.body).toMatchObject({ lastSeq: 3, applied: 1, skipped: 2 });
  });

  it('stops at a gap: ops before it are kept, nothing after it is applied', async () => {
    const r = newReplica();
    const before = await health();
    const res = await push(dispatcher, [
      op(r, 1, 'incident', 'inc-gap', incidentFields(3)),
      op(r, 3, 'incident', 'inc-gap', { notes: 'after the gap' }),
      op(r, 4, 'incident', 'inc-gap', { notes: 'also after' }),
    ]);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('gap');
    expect(res.body.message).toContain('expected seq 2, got 3');
    expect(res.body.details).toMatchObject({ replica: r, expected: 2, got: 3, lastSeq: 1, applied: 1 });
    expect(await health()).toBe(before + 1);
    const page = await pull(clinician, before);
    expect(page.body.ops).toHaveLength(1);
    expect(page.body.ops[0].fields.notes).toBeNull();
    // Pushing again from the expected seq goes through.
    const again = await push(dispatcher, [op(r, 2, 'incident', 'inc-gap', { notes: 'in order' }), op(r, 3, 'incident', 'inc-gap', { notes: 'after the gap' })]);
    expect(again.body).toMatchObject({ lastSeq: 3, applied: 2 });
  });

  it('refuses bad ops whole, records them, and moves the replica on', async () => {
    const r = newReplica();
    const before = await health();
    const res = await push(dispatcher, [
      op(r, 1, 'spaceship', 'x-1', { name: 'nope' }),
      op(r, 2, 'incident', 'inc-ref', { ...incidentFields(4), secretField: 'x' }),
      op(r, 3, 'case', 'case-by-dispatcher', caseFields('p-1')),
      op(r, 4, 'incident', 'inc-ref', { ...incidentFields(4), status: 'maybe' }),
      { replica: r, seq: 5, hlc: 'yesterday', entity: 'incident', id: 'inc-ref', fields: {} },
      op(r, 6, 'handoff', 'h-forged', { state: 'accepted' }),
      op(r, 7, 'incident', 'inc-ok', incidentFields(5)),
    ]);
    expect(res.status).toBe(200);
    expect(res.body.lastSeq).toBe(7);
    expect(res.body.applied).toBe(1);
    const reasons = Object.fromEntries(res.body.refused.map((x) => [x.seq, x.reason]));
    expect(Object.keys(reasons).map(Number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reasons[1]).toContain('unknown entity "spaceship"');
    expect(reasons[2]).toContain('no field secretField');
    expect(reasons[3]).toBe('a dispatcher may not change case records');
    expect(reasons[4]).toContain('invalid incident.status');
    expect(reasons[5]).toContain('malformed op: hlc');
    expect(reasons[6]).toBe('a dispatcher may not change handoff records');
    // Only the good op reached the change log; nothing of the refused ones did.
    expect(await health()).toBe(before + 1);
    const page = await pull(clinician, before);
    expect(page.body.ops.map((o) => o.id)).toEqual(['inc-ok']);
    // Kept for review.
    const refused = await t.server.admin.refusedOps(20);
    const mine = refused.filter((x) => x.replica === r);
    expect(mine).toHaveLength(6);
    expect(mine.every((x) => x.workstationId === dispatcher.ws.workstationId && x.userId === dispatcher.userId)).toBe(true);
    // The refused seqs count as held: pushing them again is skipped.
    const again = await push(dispatcher, [op(r, 3, 'case', 'case-by-dispatcher', caseFields('p-1'))]);
    expect(again.body).toMatchObject({ lastSeq: 7, applied: 0, skipped: 1, refused: [] });
  });

  it('refuses an op without a readable replica or seq without moving any replica', async () => {
    const before = await health();
    const res = await push(dispatcher, [{ nonsense: true }, 42, null]);
    expect(res.status).toBe(200);
    expect(res.body.refused).toHaveLength(3);
    expect(res.body.refused.every((x) => x.seq === null && x.reason.startsWith('malformed op'))).toBe(true);
    expect(res.body).toMatchObject({ applied: 0, skipped: 0, lastSeq: 0 });
    expect(await health()).toBe(before);
  });

  it('refuses a body that is not a push', async () => {
    const res = await push(dispatcher, 'not an array' as unknown as unknown[]);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('bad_request');
  });

  it('refuses ops stamped too far ahead of the server clock, with a clock-drift reason', async () => {
    const r = newReplica();
    const before = await health();
    const res = await push(dispatcher, [
      op(r, 1, 'incident', 'inc-future', incidentFields(6), Date.now() + 60 * 60_000),
      op(r, 2, 'incident', 'inc-near', incidentFields(7), Date.now() + 60_000),
    ]);
    expect(res.body.refused).toHaveLength(1);
    expect(res.body.refused[0].seq).toBe(1);
    expect(res.body.refused[0].reason).toMatch(/Clock drift of \d+ s exceeds the allowed 300 s/);
    expect(res.body).toMatchObject({ lastSeq: 2, applied: 1 });
    expect((await pull(clinician, before)).body.ops.map((o) => o.id)).toEqual(['inc-near']);
  });

  it('refuses a timestamp minted by another replica', async () => {
    const r = newReplica();
    const forged = { ...op(r, 1, 'incident', 'inc-forged', incidentFields(8)), hlc: op('server', 1, 'incident', 'x', {}).hlc };
    const res = await push(dispatcher, [forged]);
    expect(res.body.refused[0].reason).toContain('was not made by replica');
  });

  it("binds a replica to the first workstation that pushes it; another workstation's ops for it are refused", async () => {
    const r = newReplica();
    expect((await push(dispatcher, [op(r, 1, 'incident', 'inc-bound', incidentFields(9))])).body.applied).toBe(1);
    const other = await signedIn(t.server, 'dispatcher');
    const before = await health();
    const res = await push(other, [op(r, 2, 'incident', 'inc-bound', { notes: 'hijack' })]);
    expect(res.body.refused).toEqual([{ seq: 2, reason: `replica ${r} belongs to another workstation` }]);
    expect(res.body.lastSeq).toBe(0);
    expect(await health()).toBe(before);
    // The owner's sequence did not move.
    expect((await push(dispatcher, [op(r, 2, 'incident', 'inc-bound', { notes: 'mine' })])).body).toMatchObject({ applied: 1, lastSeq: 2 });
    // Nobody may push as the server.
    const asServer = await push(dispatcher, [op('server', 999, 'incident', 'inc-srv', incidentFields(10))]);
    expect(asServer.body.refused[0].reason).toBe('replica server belongs to another workstation');
  });

  it('lets clinicians push clinical records', async () => {
    const r = newReplica();
    const res = await push(clinician, [
      op(r, 1, 'person', 'p-1', { name: 'Sam', dob: null, phones: ['555'], address: null, language: null, safetyFlags: null, createdAt: new Date().toISOString() }),
      op(r, 2, 'case', 'c-1', caseFields('p-1')),
    ]);
    expect(res.body).toMatchObject({ applied: 2, refused: [] });
  });

  it('refuses a workstation that is not enrolled, or a missing or foreign session, before anything happens', async () => {
    const r = newReplica();
    const before = await health();
    const batch = [op(r, 1, 'incident', 'inc-anon', incidentFields(11))];
    const noWs = await http<{ code: string }>(t.server.url, 'POST', '/v1/push', { body: { ops: batch } });
    expect(noWs.status).toBe(401);
    const fakeWs = await http<{ code: string }>(t.server.url, 'POST', '/v1/push', {
      headers: { ...dispatcher.headers, 'x-tandem-workstation': 'wst_fake', 'x-tandem-secret': 'nope' },
      body: { ops: batch },
    });
    expect(fakeWs.status).toBe(401);
    const wrongSecret = await http(t.server.url, 'POST', '/v1/push', { headers: { ...dispatcher.headers, 'x-tandem-secret': 'wrong' }, body: { ops: batch } });
    expect(wrongSecret.status).toBe(401);
    const noSession = await http(t.server.url, 'POST', '/v1/push', { headers: dispatcher.ws.headers, body: { ops: batch } });
    expect(noSession.status).toBe(401);
    // A session is bound to the workstation it was opened on.
    const otherWs = await enroll(t.server);
    const foreign = await http(t.server.url, 'POST', '/v1/push', {
      headers: { ...otherWs.headers, authorization: dispatcher.headers.authorization },
      body: { ops: batch },
    });
    expect(foreign.status).toBe(401);
    expect(await health()).toBe(before);
  });
});
