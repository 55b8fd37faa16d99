import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type EntityName } from '../../src/shared/entities';
import type { LoggedOp, PullResponse, PushResponse } from '../../src/shared/sync/protocol';
import { caseFields, http, incidentFields, newReplica, op, signedIn, startServer, type Session, type TestServer } from './server-helpers';

let t: TestServer;
let dispatcher: Session;
let clinician: Session;
let admin: Session;
const CLINICAL = (Object.keys(ENTITIES) as EntityName[]).filter((e) => ENTITIES[e].read === 'clinical.read');

const push = (s: Session, ops: unknown[]) => http<PushResponse>(t.server.url, 'POST', '/v1/push', { headers: s.headers, body: { ops } });
const pull = (s: Session, cursor: number, limit?: number) =>
  http<PullResponse & { code?: string }>(t.server.url, 'GET', `/v1/pull?cursor=${cursor}${limit ? `&limit=${limit}` : ''}`, { headers: s.headers });

/** Pulls page by page until `more` is false; bounded. */
async function pullAll(s: Session, limit: number): Promise<{ ops: LoggedOp[]; pages: number; cursor: number }> {
  let cursor = 0;
  const ops: LoggedOp[] = [];
  for (let pages = 1; pages <= 1000; pages++) {
    const res = await pull(s, cursor, limit);
    expect(res.status).toBe(200);
    expect(res.body.cursor).toBeGreaterThanOrEqual(cursor);
    ops.push(...res.body.ops);
    cursor = res.body.cursor;
    if (!res.body.more) return { ops, pages, cursor };
  }
  throw new Error('pull did not finish');
}

beforeAll(async () => {
  t = await startServer();
  dispatcher = await signedIn(t.server, 'dispatcher');
  clinician = await signedIn(t.server, 'clinician');
  admin = await signedIn(t.server, 'admin');
  // Interleave 30 incidents (everyone) with 30 clinical rows (clinicians only).
  const rd = newReplica();
  const rc = newReplica();
  const now = new Date().toISOString();
  for (let i = 1; i <= 30; i++) {
    const d = await push(dispatcher, [op(rd, i, 'incident', `inc-${i}`, incidentFields(i))]);
    expect(d.body.applied).toBe(1);
    const kind = i % 3;
    const clinical =
      kind === 0
        ? op(rc, i, 'person', `p-${i}`, { name: `Person ${i}`, dob: null, phones: null, address: null, language: null, safetyFlags: null, createdAt: now })
        : kind === 1
          ? op(rc, i, 'case', `c-${i}`, caseFields(`p-${i}`))
          : op(rc, i, 'case_event', `e-${i}`, { caseId: 'c-1', at: now, kind: 'note', authorId: clinician.userId, authorName: clinician.name, body: { text: 'secret note' }, corrects: null });
    const c = await push(clinician, [clinical]);
    expect(c.body.applied).toBe(1);
  }
});
afterAll(() => t.cleanup());

describe('pull', () => {
  it('gives a clinician everything, in cursor order, in bounded pages', async () => {
    const { ops, pages, cursor } = await pullAll(clinician, 7);
    expect(ops).toHaveLength(60);
    expect(pages).toBe(9);
    const cursors = ops.map((o) => o.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(60);
    expect(cursor).toBe(cursors[cursors.length - 1]);
  });

  it('never gives a dispatcher (or an admin) a clinical row, and still moves the cursor past them', async () => {
    for (const s of [dispatcher, admin]) {
      const { ops, cursor } = await pullAll(s, 4);
      expect(ops).toHaveLength(30);
      expect(ops.every((o) => o.entity === 'incident')).toBe(true);
      expect(ops.some((o) => CLINICAL.includes(o.entity))).toBe(false);
      expect(JSON.stringify(ops)).not.toContain('secret note');
      // The cursor reaches the head even though the last ops are clinical.
      const head = (await http<{ cursor: number }>(t.server.url, 'GET', '/v1/health')).body.cursor;
      expect(cursor).toBe(head);
    }
  });

  it('answers a pull at the head with no ops, the same cursor and no more', async () => {
    const head = (await http<{ cursor: number }>(t.server.url, 'GET', '/v1/health')).body.cursor;
    const res = await pull(dispatcher, head);
    expect(res.body).toEqual({ ops: [], cursor: head, more: false });
  });

  it('returns ops exactly as pushed, with their cursor', async () => {
    const res = await pull(dispatcher, 0, 1);
    expect(res.body.more).toBe(true);
    expect(res.body.ops[0]).toMatchObject({ cursor: 1, seq: 1, entity: 'incident', id: 'inc-1', fields: expect.objectContaining({ number: 'INC-1', location: '1 Main St' }) });
  });

  it('refuses limits out of range and bad cursors', async () => {
    expect((await pull(clinician, 0, 5001)).status).toBe(400);
    expect((await http(t.server.url, 'GET', '/v1/pull?cursor=-1', { headers: clinician.headers })).status).toBe(400);
    expect((await http(t.server.url, 'GET', '/v1/pull?cursor=abc', { headers: clinician.headers })).status).toBe(400);
    expect((await http(t.server.url, 'GET', '/v1/pull?cursor=0', {})).status).toBe(401);
  });

  it('defaults the limit and the cursor', async () => {
    const res = await http<PullResponse>(t.server.url, 'GET', '/v1/pull', { headers: clinician.headers });
    expect(res.status).toBe(200);
    expect(res.body.ops).toHaveLength(60);
    expect(res.body.more).toBe(false);
  });
});
