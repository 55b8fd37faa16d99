import type { EntityName } from '../../../../shared/entities';
import type { ReadHandle, WriteHandle } from '../handles';

/**
 * The outbox: local changes not yet acknowledged by the server, one row per op in sequence
 * order, and the ops it refused, set aside with the reason (nothing typed is lost).
 */
export type OutboxRow = [seq: number, hlc: string, entity: EntityName, id: string, fieldsJson: string];

export function appendToOutbox(w: WriteHandle, seq: number, hlc: string, entity: EntityName, id: string, fieldsJson: string): void {
  w.writer<[number, string, string, string, string]>('INSERT INTO outbox(seq, hlc, entity, id, fields) VALUES (?, ?, ?, ?, ?)').run(seq, hlc, entity, id, fieldsJson);
}

/** Rows after sequence number `after`, in order, at most `limit`. */
export function outboxRowsAfter(r: ReadHandle, after: number, limit: number): OutboxRow[] {
  return r.statement<[number, number], OutboxRow>('SELECT seq, hlc, entity, id, fields FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?', 'array').all(after, limit);
}

/** The lowest and highest sequence numbers in the outbox (0 when it is empty). */
export function outboxEnds(r: ReadHandle): { first: number; last: number } {
  // Two subqueries: SQLite answers a lone min() or max() from the index end, not both at once.
  return r
    .statement<[], { first: number; last: number }>('SELECT coalesce((SELECT min(seq) FROM outbox), 0) AS first, coalesce((SELECT max(seq) FROM outbox), 0) AS last')
    .get()!;
}

/** The next sequence number `replica` never used: above every op in the outbox, refused, or acknowledged and gone. */
export function nextOutboxSeq(r: ReadHandle, replica: string): number {
  return r
    .statement<[string], number>(
      `SELECT max(coalesce((SELECT max(seq) FROM outbox), 0), coalesce((SELECT max(seq) FROM outbox_refused WHERE replica = ?), 0),
              coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'ackedSeq'), 0)) + 1`,
      'value',
    )
    .get(replica)!;
}

export function refusedCount(r: ReadHandle): number {
  return r.statement<[], number>('SELECT count(*) FROM outbox_refused', 'value').get()!;
}

/** Moves one op the server refused out of the outbox's way, with the reason. */
export function setAsideRefused(w: WriteHandle, replica: string, seq: number, reason: string, at: string): void {
  w.writer<[string, string, string, number]>(
    `INSERT OR REPLACE INTO outbox_refused(replica, seq, hlc, entity, id, fields, reason, refusedAt)
     SELECT ?, seq, hlc, entity, id, fields, ?, ? FROM outbox WHERE seq = ?`,
  ).run(replica, reason, at, seq);
}

/*
 * Parked ops (console migration 0005): changes another person made on this workstation and had
 * not pushed when someone else signed in, kept under her user id with their replica and sequence
 * number until she signs in again.
 */
export type ParkedRow = [replica: string, seq: number, hlc: string, entity: EntityName, id: string, fieldsJson: string];

/** Moves every outbox op after `after` to the parked ops of `author`; returns how many. */
export function parkOutbox(w: WriteHandle, replica: string, after: number, author: string, at: string): number {
  const n = w
    .writer<[string, string, string, number]>(
      `INSERT OR IGNORE INTO parked_op(replica, seq, hlc, entity, id, fields, author, parkedAt)
       SELECT ?, seq, hlc, entity, id, fields, ?, ? FROM outbox WHERE seq > ?`,
    )
    .run(replica, author, at, after).changes;
  w.writer<[]>('DELETE FROM outbox').run();
  return Number(n);
}

/** `author`'s parked ops, the oldest replica's first, in sequence order. */
export function parkedOf(r: ReadHandle, author: string, limit: number): ParkedRow[] {
  return r
    .statement<[string, number], ParkedRow>('SELECT replica, seq, hlc, entity, id, fields FROM parked_op WHERE author = ? ORDER BY parkedAt, replica, seq LIMIT ?', 'array')
    .all(author, limit);
}

export function parkedCount(r: ReadHandle): number {
  return r.statement<[], number>('SELECT count(*) FROM parked_op', 'value').get()!;
}

/** The server holds `replica`'s ops up to `lastSeq`; the refused ones are kept as refused. */
export function settleParked(w: WriteHandle, replica: string, lastSeq: number, refused: { seq: number | null; reason: string }[], at: string): void {
  for (const r of refused) {
    if (r.seq === null) continue;
    w.writer<[string, string, string, number]>(
      `INSERT OR REPLACE INTO outbox_refused(replica, seq, hlc, entity, id, fields, reason, refusedAt)
       SELECT replica, seq, hlc, entity, id, fields, ?, ? FROM parked_op WHERE replica = ? AND seq = ?`,
    ).run(r.reason, at, replica, r.seq);
  }
  w.writer<[string, number]>('DELETE FROM parked_op WHERE replica = ? AND seq <= ?').run(replica, lastSeq);
}

export function emptyOutbox(w: WriteHandle): void {
  w.writer<[]>('DELETE FROM outbox').run();
}

export function deleteOutboxUpTo(w: WriteHandle, seq: number): void {
  w.writer<[number]>('DELETE FROM outbox WHERE seq <= ?').run(seq);
}
