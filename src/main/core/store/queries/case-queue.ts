import type { Case } from '../../../../shared/entities';
import { RISK_RANK } from '../../../../shared/caseload';
import type { ReadHandle } from '../handles';

/**
 * The clinician's follow-up queue. Overdue first, then by due time, then by risk: as due
 * times are UTC ISO strings, "overdue first, then due time" is simply due time ascending
 * (cases with none last: qDue in the baseline migration). Each filter has an index ending in
 * that order, and search goes through the case_search FTS index, so a page never sorts the table.
 */
export interface QueueQuery {
  /** 'active' is open or waiting. */
  status: 'active' | Case['status'];
  /** Only this owner's cases. */
  ownerId: string | null;
  risk: Case['risk'] | null;
  origin: Case['origin'] | null;
  /** An FTS5 query on the case search index (cases.ts: caseSearchQuery). */
  match: string | null;
  limit: number;
}

/** One row of a queue page as stored: the person's phones still as their JSON list. */
export interface QueueStoredRow {
  id: string;
  personName: string;
  phones: string | null;
  reason: string;
  risk: Case['risk'];
  status: Case['status'];
  origin: Case['origin'];
  ownerName: string | null;
  dueAt: string | null;
  incidentNumber: string | null;
  safetyAlert: string | null;
  /** How many cases a search matched (searches count in the same pass). */
  total?: number;
}

interface QueueSql {
  /** FROM … WHERE …: the cases the filter matches. */
  from: string;
  params: unknown[];
  page: string;
}

/**
 * The SQL of a query's shape (which filters are present): prepared once per shape and store,
 * as the queue runs on every keystroke.
 */
function queueSql(q: QueueQuery): QueueSql {
  const match = q.match;
  const closed = q.status === 'closed';
  // A search starts from the cases the FTS index finds and filters and orders them by the
  // copies of the queue keys beside each search document: integer lookups, no case rows read
  // until the page is chosen. Without a search, each filter's index ends in the queue order
  // (qActive, qDue, qRisk: generated columns).
  const where: string[] = [];
  const params: unknown[] = match ? [match] : [];
  const keysFrom = match ? 'd' : 'c'; // the search document's copy of the keys, or the case row
  if (q.status === 'active') where.push(match ? "d.status IN ('open', 'waiting')" : 'c.qActive = 1');
  else {
    where.push(`${keysFrom}.status = ?`);
    params.push(q.status);
  }
  if (q.ownerId !== null) {
    where.push(`${keysFrom}.ownerId = ?`);
    params.push(q.ownerId);
  }
  if (q.risk) {
    // Without a search, as its rank: every queue index ends in qRisk, so no row is read to test it.
    where.push(match ? 'd.risk = ?' : 'c.qRisk = ?');
    params.push(match ? q.risk : RISK_RANK[q.risk]);
  }
  if (q.origin) {
    where.push(`${keysFrom}.origin = ?`);
    params.push(q.origin);
  }
  const from = match
    ? `FROM case_search s JOIN case_search_doc d ON d.docid = s.rowid WHERE case_search MATCH ? AND ${where.join(' AND ')}`
    : `FROM case_file c WHERE ${where.join(' AND ')}`;
  const keys = closed
    ? `${keysFrom}.closedAt AS closedAt`
    : match
      ? `coalesce(d.dueAt, '9999-12-31T23:59:59.999Z') AS qDue, CASE d.risk WHEN 'high' THEN 0 WHEN 'moderate' THEN 1 WHEN 'low' THEN 2 ELSE 3 END AS qRisk`
      : 'c.qDue AS qDue, c.qRisk AS qRisk';
  const inner = closed ? 'closedAt DESC' : 'qDue, qRisk';
  const outer = closed ? 'k.closedAt DESC' : 'k.qDue, k.qRisk';
  // Two steps: pick the page (ids and sort keys), then read those rows.
  const page = `SELECT c.id, coalesce(p.name, '(person not yet on this workstation)') AS personName, p.phones AS phones, c.reason, c.risk,
              c.status, c.origin, c.ownerName, c.dueAt, c.incidentNumber, c.safetyAlert${match ? ', k.total' : ''}
       FROM (SELECT ${match ? 'd.caseId AS cid' : 'c.rowid AS rid'}, ${keys}${match ? ', count(*) OVER () AS total' : ''} ${from} ORDER BY ${inner} LIMIT ?) k
       JOIN case_file c ON ${match ? 'c.id = k.cid' : 'c.rowid = k.rid'} LEFT JOIN person p ON p.id = c.personId
       ORDER BY ${outer}`;
  return { from, params, page };
}

/** One page of the queue, in queue order. A search's rows carry its match count (`total`). */
export function queuePage(r: ReadHandle, q: QueueQuery): QueueStoredRow[] {
  const sql = queueSql(q);
  return r.statement<unknown[], QueueStoredRow>(sql.page).all(...sql.params, q.limit);
}

/** How many cases a filter matches, counted along its index (a search counts in its page: `total`). */
export function queueCount(r: ReadHandle, q: QueueQuery): number {
  const sql = queueSql(q);
  return r.statement<unknown[], number>(`SELECT count(*) ${sql.from}`, 'value').get(...sql.params)!;
}
