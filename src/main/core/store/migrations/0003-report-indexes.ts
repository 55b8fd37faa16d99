import type { Migration } from '../../../../node/migrate';

/**
 * Issue 18: the program figures read one window of time at a time (store/queries/report.ts).
 * Without these a month view scanned every handoff, case, task and timeline event in the store.
 */
export const reportIndexes: Migration = {
  version: 3,
  name: 'program figures by time',
  sql: `
    CREATE INDEX handoff_requested ON handoff(requestedAt) WHERE mode = 'live';
    CREATE INDEX case_created ON case_file(createdAt);
    CREATE INDEX case_person_created ON case_file(personId, createdAt);
    CREATE INDEX task_due ON task(dueAt);
    CREATE INDEX case_event_report ON case_event(at) WHERE kind IN ('contact', 'screening', 'referral', 'transfer');
  `,
};
