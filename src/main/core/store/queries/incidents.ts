import type { Incident } from '../../../../shared/entities';
import type { ReadHandle } from '../handles';
import { fromStored, type Stored } from '../stored';

/** Newest first, at most 500: the open ones, or all. */
export function recentIncidents(r: ReadHandle, includeClosed: boolean): Incident[] {
  const sql = includeClosed
    ? 'SELECT * FROM incident ORDER BY createdAt DESC LIMIT 500'
    : "SELECT * FROM incident WHERE status = 'open' ORDER BY createdAt DESC LIMIT 500";
  return r.statement<[], Stored>(sql).all().map((row) => fromStored('incident', row) as Incident);
}
