import type { ReadHandle } from '../handles';
import type { CaseRow, EventRow, HandoffRow, TaskRow } from '../../../../shared/report/rows';

/**
 * The rows the program measures read, for one window of time (UTC ISO bounds, padded by the
 * caller: the measures place each row in its bucket themselves) and, when `userId` is given,
 * one clinician's part only. Only the fields the measures read leave the store: no name, note
 * or phone number.
 */
export interface ReportWindow {
  from: string;
  to: string;
  userId: string | null;
}

type Params = { from: string; to: string; user: string | null };
const params = (w: ReportWindow): Params => ({ from: w.from, to: w.to, user: w.userId });

/**
 * One clinician's rows or everyone's: two statements rather than `(@user IS NULL OR col =
 * @user)`, which SQLite cannot plan around, so hers are read through an index leading with
 * her id (migration 8) and never the whole window's.
 */
const mine = (w: ReportWindow, column: string) => (w.userId === null ? '' : `AND ${column} = @user`);

export function reportHandoffs(r: ReadHandle, w: ReportWindow): HandoffRow[] {
  const rows = r
    .statement<[Params], Record<string, string | null>>(
      `SELECT mode, state, requestedAt, ringingAt, acceptedAt, acceptedBy, declines, outcome FROM handoff
        WHERE mode = 'live' AND requestedAt >= @from AND requestedAt < @to
          AND (@user IS NULL OR acceptedBy = @user OR EXISTS (SELECT 1 FROM json_each(handoff.declines) d WHERE d.value ->> '$.by' = @user))`,
    )
    .all(params(w));
  return rows.map((h) => ({ ...h, declines: h.declines ? JSON.parse(h.declines) : null }) as unknown as HandoffRow);
}

/** Cases opened in the window, `repeat` when the same person had a case opened earlier (at any time). */
export function reportCases(r: ReadHandle, w: ReportWindow): (CaseRow & { repeat: number })[] {
  return r
    .statement<[Params], CaseRow & { repeat: number }>(
      `SELECT personId, ownerId, createdAt,
              EXISTS (SELECT 1 FROM case_file p WHERE p.personId = c.personId AND p.createdAt < c.createdAt) AS repeat
         FROM case_file c
        WHERE createdAt >= @from AND createdAt < @to ${mine(w, 'ownerId')}`,
    )
    .all(params(w));
}

export function reportTasks(r: ReadHandle, w: ReportWindow): TaskRow[] {
  return r
    .statement<[Params], TaskRow>(
      `SELECT assigneeId, dueAt, doneAt FROM task WHERE dueAt >= @from AND dueAt < @to ${mine(w, 'assigneeId')}`,
    )
    .all(params(w));
}

/**
 * The body fields the figures read, each exactly as migration 8's index holds it (so a
 * clinician's own events are read from the index alone); a body that is not JSON reads as
 * none of them.
 */
const BODY_FIELDS = ['outcome', 'instrument', 'band', 'risk', 'status', 'line', 'transferredAt'] as const;

/** Contacts, screenings, referral moves and transfers: their band, risk, status, outcome or line only. */
export function reportEvents(r: ReadHandle, w: ReportWindow): EventRow[] {
  const rows = r
    .statement<[Params], { at: string; kind: EventRow['kind']; authorId: string; outcome: string | null; instrument: string | null; band: string | null; risk: string | null; status: string | null; line: string | null; transferredAt: string | null }>(
      `SELECT at, kind, authorId, ${BODY_FIELDS.map((f) => `CASE WHEN json_valid(body) THEN body ->> '$.${f}' END AS ${f}`).join(', ')}
         FROM case_event
        WHERE kind IN ('contact', 'screening', 'referral', 'transfer') AND at >= @from AND at < @to ${mine(w, 'authorId')}`,
    )
    .all(params(w));
  return rows.map((e) => ({ at: e.at, kind: e.kind, authorId: e.authorId, body: { outcome: e.outcome, instrument: e.instrument, band: e.band, risk: e.risk, status: e.status, line: e.line, transferredAt: e.transferredAt } }));
}
