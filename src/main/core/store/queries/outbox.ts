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

/** The next sequence number never used: above every op in the outbox, refused, or acknowledged and gone. */
export function nextOutboxSeq(r: ReadHandle): number {
  return r
    .statement<[], number>(
      `SELECT max(coalesce((SELECT max(seq) FROM outbox), 0), coalesce((SELECT max(seq) FROM outbox_refused), 0),
              coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'ackedSeq'), 0)) + 1`,
      'value',
    )
    .get()!;
}

export function refusedCount(r: ReadHandle): number {
  return r.statement<[], number>('SELECT count(*) FROM outbox_refused', 'value').get()!;
}

/** Moves one op the server refused out of the outbox's way, with the reason. */
export function setAsideRefused(w: WriteHandle, seq: number, reason: string, at: string): void {
  w.writer<[string, string, number]>(
    `INSERT OR REPLACE INTO outbox_refused(seq, hlc, entity, id, fields, reason, refusedAt)
     SELECT seq, hlc, entity, id, fields, ?, ? FROM outbox WHERE seq = ?`,
  ).run(reason, at, seq);
}

export function emptyOutbox(w: WriteHandle): void {
  w.writer<[]>('DELETE FROM outbox').run();
}

export function deleteOutboxUpTo(w: WriteHandle, seq: number): void {
  w.writer<[number]>('DELETE FROM outbox WHERE seq <= ?').run(seq);
}
