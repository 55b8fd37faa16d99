import type { CaseEvent, Referral, Task } from '../../../../shared/entities';
import type { ReadHandle } from '../handles';
import { fromStored, type Stored } from '../stored';

/** A case's timeline, oldest first. */
export function caseTimeline(r: ReadHandle, caseId: string): CaseEvent[] {
  // Same instant: the order they were written in (the HLC of the write, unique and monotonic).
  return r
    .statement<[string], Stored>(`SELECT * FROM case_event WHERE caseId = ? ORDER BY at, coalesce(_clocks ->> '$.kind', _clocks ->> '$."*"'), id`)
    .all(caseId)
    .map((row) => fromStored('case_event', row) as CaseEvent);
}

export function caseReferrals(r: ReadHandle, caseId: string): Referral[] {
  return r
    .statement<[string], Stored>('SELECT * FROM referral WHERE caseId = ? ORDER BY createdAt')
    .all(caseId)
    .map((row) => fromStored('referral', row) as Referral);
}

/** Tasks by due time, those without one last. */
export function caseTasks(r: ReadHandle, caseId: string): Task[] {
  return r
    .statement<[string], Stored>('SELECT * FROM task WHERE caseId = ? ORDER BY dueAt IS NULL, dueAt')
    .all(caseId)
    .map((row) => fromStored('task', row) as Task);
}
