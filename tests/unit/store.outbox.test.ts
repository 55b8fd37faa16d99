import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/core/store/open';
import { ReplicaStore } from '../../src/main/core/store/replica';
import { tempDir, randomKey } from '../helpers/tmp';

let cleanup = () => {};
afterEach(() => cleanup());

function store(opts: { keepAcknowledgedMax?: number } = {}, now: () => number = Date.now) {
  const t = tempDir();
  cleanup = t.cleanup;
  return new ReplicaStore(openStore(path.join(t.dir, 'tandem.db'), { key: randomKey() }), now, opts);
}

const rowsInOutbox = (s: ReplicaStore) => (s.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;

const seqs = (s: ReplicaStore) => s.outboxBatch(100).map((op) => op.seq);

describe('outbox sequence numbers', () => {
  it('hands out the numbers of a rolled-back transaction again, so the outbox has no gap', () => {
    const s = store();
    s.write('person', 'p1', { name: 'A' });
    expect(() =>
      s.transaction(() => {
        s.write('person', 'p2', { name: 'B' });
        s.write('person', 'p3', { name: 'C' });
        throw new Error('validation failed after two writes');
      }),
    ).toThrow('validation failed');
    s.write('person', 'p4', { name: 'D' });
    expect(seqs(s)).toEqual([1, 2]);
    expect(s.read('person', 'p2')).toBeNull();
    expect(s.pendingCount()).toBe(2);
  });

  it('keeps the numbers of an outer transaction when an inner one fails and is caught', () => {
    const s = store();
    s.transaction(() => {
      s.write('person', 'p1', { name: 'A' });
      try {
        s.transaction(() => {
          s.write('person', 'p2', { name: 'B' });
          throw new Error('inner');
        });
      } catch {
        // the caller carries on without the inner change
      }
      s.write('person', 'p3', { name: 'C' });
    });
    expect(seqs(s)).toEqual([1, 2]);
    expect(s.outboxBatch(10).map((op) => op.id)).toEqual(['p1', 'p3']);
  });

  it('counts pending ops as they are written and acknowledged, refused ones apart', () => {
    const s = store();
    expect(s.pendingCount()).toBe(0);
    for (let i = 0; i < 5; i++) s.write('person', `p${i}`, { name: `P${i}` });
    expect(s.pendingCount()).toBe(5);
    s.acknowledge(3, [{ seq: 2, reason: 'refused for the test' }]);
    expect(s.pendingCount()).toBe(2);
    expect(s.refusedCount()).toBe(1);
    s.acknowledge(5, []);
    expect(s.pendingCount()).toBe(0);
  });
});

describe('acknowledged ops', () => {
  it('are never handed out again, and leave the table once nothing else is in it', () => {
    const s = store();
    for (let i = 1; i <= 6; i++) s.write('person', `p${i}`, { name: `P${i}` });
    s.acknowledge(4, []);
    // Kept in the table for now (deleting row ranges is dear), but not pending and not sent.
    expect(s.pendingCount()).toBe(2);
    expect(seqs(s)).toEqual([5, 6]);
    expect(JSON.parse(s.outboxJson(10).json.bytes().toString('utf8')).map((op: { seq: number }) => op.seq)).toEqual([5, 6]);
    expect(s.outboxJson(10, 6)).toMatchObject({ count: 0, lastSeq: 6 });
    expect(s.outboxJson(10, 6).json.bytes().toString()).toBe('[]');
    // A restarted console starts after what the server holds.
    const reopened = new ReplicaStore(s.db);
    expect(reopened.outboxBatch(10).map((op) => op.seq)).toEqual([5, 6]);
    expect(reopened.pendingCount()).toBe(2);

    s.acknowledge(6, []);
    expect(rowsInOutbox(s)).toBe(0);
    expect(s.pendingCount()).toBe(0);
    // Emptying the table frees its pages without zeroing them, just that once.
    expect(s.db.pragma('secure_delete', { simple: true })).toBe(1);
    // Numbers carry on after the acknowledged ones, even with the table empty.
    expect(s.write('person', 'p7', { name: 'P7' }).seq).toBe(7);
    expect(new ReplicaStore(s.db).write('person', 'p8', { name: 'P8' }).seq).toBe(8);
  });

  it('are deleted while the outbox never empties, once enough of them wait', () => {
    const s = store({ keepAcknowledgedMax: 3 }, () => Date.parse('2031-05-06T07:08:09.000Z'));
    for (let i = 1; i <= 5; i++) s.write('person', `p${i}`, { name: `P${i}` });
    s.acknowledge(2, []);
    expect(rowsInOutbox(s)).toBe(5);
    s.acknowledge(3, [{ seq: 3, reason: 'refused for the test' }]);
    expect(rowsInOutbox(s)).toBe(2);
    expect(seqs(s)).toEqual([4, 5]);
    expect(s.refusedCount()).toBe(1);
    // Set aside with its reason, at the time of the store's clock.
    expect(s.db.prepare('SELECT seq, reason, refusedAt FROM outbox_refused').all()).toEqual([
      { seq: 3, reason: 'refused for the test', refusedAt: '2031-05-06T07:08:09.000Z' },
    ]);
  });

  it('an acknowledgement older than one already seen changes nothing', () => {
    const s = store();
    for (let i = 1; i <= 3; i++) s.write('person', `p${i}`, { name: `P${i}` });
    s.acknowledge(2, []);
    s.acknowledge(1, []);
    expect(seqs(s)).toEqual([3]);
    expect(s.pendingCount()).toBe(1);
  });
});

describe('outbox as JSON', () => {
  it('writes the same ops as the decoded batch, ready to send', () => {
    const s = store();
    s.write('person', 'p1', { name: 'Zoë "Z" Ortiz', phones: ['617-555-0100'] });
    s.write('case_event', 'e1', { caseId: 'c1', body: { text: 'line one\nline two' } });
    s.write('person', 'p2', { name: 'B' });
    const all = s.outboxJson(10);
    expect(JSON.parse(all.json.bytes().toString('utf8'))).toEqual(s.outboxBatch(10));
    expect(all).toMatchObject({ count: 3, lastSeq: 3 });
    const after = s.outboxJson(1, 1);
    expect(JSON.parse(after.json.bytes().toString('utf8'))).toEqual(s.outboxBatch(1, 1));
    expect(after).toMatchObject({ count: 1, lastSeq: 2 });
    expect(s.outboxJson(10, 3)).toMatchObject({ count: 0, lastSeq: 3 });
    expect(s.outboxJson(10, 3).json.bytes().toString()).toBe('[]');
  });
});
