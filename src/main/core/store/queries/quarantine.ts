import type { ReadHandle, WriteHandle } from '../handles';

/** Pulled ops set aside because they failed their check (migration 0002). */
export function quarantineOp(w: WriteHandle, cursor: number | null, reason: string, op: string, at: string): void {
  w.writer<[number | null, string, string, string]>('INSERT INTO pull_quarantine(cursor, reason, op, at) VALUES (?, ?, ?, ?)').run(cursor, reason, op, at);
}

export function quarantinedCount(r: ReadHandle): number {
  return r.statement<[], number>('SELECT count(*) FROM pull_quarantine', 'value').get()!;
}

/** The latest reason an op was set aside, for the status line. */
export function lastQuarantineReason(r: ReadHandle): string | undefined {
  return r.statement<[], string>('SELECT reason FROM pull_quarantine ORDER BY n DESC LIMIT 1', 'value').get();
}

export type UnreportedRow = [n: number, cursor: number | null, reason: string];

export function unreportedQuarantine(r: ReadHandle, limit: number): UnreportedRow[] {
  return r.statement<[number], UnreportedRow>('SELECT n, cursor, reason FROM pull_quarantine WHERE reported = 0 ORDER BY n LIMIT ?', 'array').all(limit);
}

export function markQuarantineReported(w: WriteHandle, upTo: number): void {
  w.writer<[number]>('UPDATE pull_quarantine SET reported = 1 WHERE n <= ? AND reported = 0').run(upTo);
}
