import type { Migration } from '../../../../node/migrate';

/**
 * Issue 18: a clinician's own figures read her part of a window only. With the window indexes
 * alone (migration 3) her month view read every clinician's contacts, screenings, cases and
 * follow-ups of the month and set the others' aside row by row (379 ms on a quiet machine
 * over 100,000 cases; target 200). These lead with her id, so only her rows are read, and
 * hold every column the figures read (store/queries/report.ts: for the timeline events, the
 * few body fields they read, as expressions), so the rows themselves are never visited.
 */
export const reportOwnIndexes: Migration = {
  version: 8,
  name: "a clinician's own program figures by time",
  sql: `
    CREATE INDEX case_owner_created ON case_file(ownerId, createdAt, personId);
    CREATE INDEX task_assignee_due ON task(assigneeId, dueAt, doneAt);
    -- Each body field guarded: a body that is not JSON must never make a write fail (it reads as nothing).
    CREATE INDEX case_event_author_report ON case_event(authorId, at, kind,
      CASE WHEN json_valid(body) THEN body ->> '$.outcome' END,
      CASE WHEN json_valid(body) THEN body ->> '$.instrument' END,
      CASE WHEN json_valid(body) THEN body ->> '$.band' END,
      CASE WHEN json_valid(body) THEN body ->> '$.risk' END,
      CASE WHEN json_valid(body) THEN body ->> '$.status' END,
      CASE WHEN json_valid(body) THEN body ->> '$.line' END,
      CASE WHEN json_valid(body) THEN body ->> '$.transferredAt' END)
      WHERE kind IN ('contact', 'screening', 'referral', 'transfer');
  `,
};
