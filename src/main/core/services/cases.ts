import { RpcError, QueueFilter, type QueueRow, type CaseRecord } from '../../../shared/contract';
import type { Case, CaseEvent, Person, Referral, Task } from '../../../shared/entities';
import { RISK_RANK } from '../../../shared/caseload';
import type { z } from 'zod';
import { newId } from '../store/replica';
import { writeNewCase } from './new-case';
import { requireUser, type CoreContext } from '../context';

type Filter = z.infer<typeof QueueFilter>;
interface Statement {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}

function firstPhone(phones: string | null): string | null {
  if (!phones) return null;
  // '["617-555-0150", …]': the first string without parsing the whole list.
  const m = /^\["([^"\\]*)"/.exec(phones);
  if (m) return m[1];
  try {
    const list = JSON.parse(phones) as unknown;
    return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : null;
  } catch {
    return null;
  }
}

/**
 * The FTS5 query for a queue search: every word as a prefix ("thom" finds Thompson), or the
 * words run together (an incident number typed without its dashes). Anything that looks
 * like a phone number is searched by its digits alone, as one prefix: the index holds each
 * phone's digits whole and their last 7 and last 4, and incident numbers without separators
 * (and "617"* would match every local number). Null when nothing is searchable.
 */
export function caseSearchQuery(search: string): string | null {
  const text = search.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const words = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, 8);
  if (words.length === 0) return null;
  const digits = text.replace(/\D/g, '');
  if (/^[\d\s\-().+/]+$/.test(text.trim()) && digits.length >= 3) return `"${digits}"*`;
  const all = words.map((w) => `"${w}"*`).join(' AND ');
  return words.length > 1 ? `(${all}) OR "${words.join('')}"*` : all;
}

/** The clinician's follow-up queue and case record. */
export function caseService(ctx: CoreContext) {
  /**
   * How many cases a filter matches, until the next change to a case (local or pulled):
   * counting 90,000 closed cases along an index is a few ms the UI would pay per filter change.
   */
  let caseVersion = 0;
  const counts = new Map<string, { version: number; n: number }>();
  ctx.store.onChange((entities) => {
    if (entities.has('case')) caseVersion++;
  });
  function countOf(sql: string, params: unknown[]): number {
    const key = `${sql}\u0000${JSON.stringify(params)}`;
    const hit = counts.get(key);
    if (hit && hit.version === caseVersion) return hit.n;
    const n = (stmt(sql).get(...params) as { n: number }).n;
    if (counts.size > 100) counts.clear();
    counts.set(key, { version: caseVersion, n });
    return n;
  }

  /** Prepared once per distinct query shape (filters present or not): the queue runs on every keystroke. */
  const prepared = new Map<string, Statement>();
  function stmt(sql: string): Statement {
    let st = prepared.get(sql);
    if (!st) {
      st = ctx.store.db.prepare(sql) as unknown as Statement;
      prepared.set(sql, st);
    }
    return st;
  }

  /**
   * Top of the follow-up queue. Overdue first, then by due time, then by risk: as due times
   * are UTC ISO strings, "overdue first, then due time" is simply due time ascending (cases
   * with none last, see qDue in migration 3). Each filter has an index ending in that order,
   * and search goes through the case_search FTS index, so a page never sorts the table.
   */
  function queue(f: Filter): { rows: QueueRow[]; total: number } {
    const user = requireUser(ctx);
    const now = ctx.now().toISOString();
    const match = f.search ? caseSearchQuery(f.search) : null;
    if (match) ctx.store.indexSearch(); // anything written outside the store's own transactions
    const closed = f.status === 'closed';
    // A search starts from the cases the FTS index finds and filters and orders them by the
    // copies of the queue keys beside each search document (migration 5): integer lookups,
    // no case rows read until the page is chosen. Without a search, each filter's index ends
    // in the queue order (qActive, qDue, qRisk: generated columns, migration 3).
    const where: string[] = [];
    const params: unknown[] = match ? [match] : [];
    const keysFrom = match ? 'd' : 'c'; // the search document's copy of the keys, or the case row
    if (f.status === 'active') where.push(match ? "d.status IN ('open', 'waiting')" : 'c.qActive = 1');
    else {
      where.push(`${keysFrom}.status = ?`);
      params.push(f.status);
    }
    if (f.scope === 'mine') {
      where.push(`${keysFrom}.ownerId = ?`);
      params.push(user.id);
    }
    if (f.risk) {
      // Without a search, as its rank: every queue index ends in qRisk, so no row is read to test it.
      where.push(match ? 'd.risk = ?' : 'c.qRisk = ?');
      params.push(match ? f.risk : RISK_RANK[f.risk]);
    }
    if (f.origin) {
      where.push(`${keysFrom}.origin = ?`);
      params.push(f.origin);
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
    const rows = stmt(
      `SELECT c.id, coalesce(p.name, '(person not yet on this workstation)') AS personName, p.phones AS phones, c.reason, c.risk,
              c.status, c.origin, c.ownerName, c.dueAt, c.incidentNumber, c.safetyAlert${match ? ', k.total' : ''}
       FROM (SELECT ${match ? 'd.caseId AS cid' : 'c.rowid AS rid'}, ${keys}${match ? ', count(*) OVER () AS total' : ''} ${from} ORDER BY ${inner} LIMIT ?) k
       JOIN case_file c ON ${match ? 'c.id = k.cid' : 'c.rowid = k.rid'} LEFT JOIN person p ON p.id = c.personId
       ORDER BY ${outer}`,
    ).all(...params, f.limit) as (Omit<QueueRow, 'overdue' | 'personPhone'> & { phones: string | null; total?: number })[];
    // A search counts its matches in the same pass; a filter counts along its index.
    const total =
      rows.length < f.limit ? rows.length : match ? (rows[0].total ?? rows.length) : countOf(`SELECT count(*) AS n ${from}`, params);
    ctx.audit('case.queue', 'person', null, { filter: f, rows: rows.length });
    // One object per row, built whole (this runs on every filter change; garbage is latency).
    return {
      rows: rows.map((r) => ({
        id: r.id,
        personName: r.personName,
        personPhone: firstPhone(r.phones),
        reason: r.reason,
        risk: r.risk,
        status: r.status,
        origin: r.origin,
        ownerName: r.ownerName,
        dueAt: r.dueAt,
        overdue: r.status !== 'closed' && r.dueAt !== null && r.dueAt < now,
        incidentNumber: r.incidentNumber,
        safetyAlert: r.safetyAlert,
      })),
      total,
    };
  }

  function get(id: string): CaseRecord {
    const c = ctx.store.read<Case>('case', id);
    if (!c) throw new RpcError('not_found', `No case ${id}`);
    const person = ctx.store.read<Person>('person', c.personId);
    if (!person) throw new RpcError('not_found', `Case ${id} names a person this workstation does not have yet`);
    ctx.audit('case.read', 'person', person.id, { caseId: id });
    return {
      case: c,
      person,
      // Same instant: the order they were written in (the HLC of the write, unique and monotonic).
      timeline: ctx.store.query<CaseEvent>('case_event', `WHERE caseId = ? ORDER BY at, coalesce(_clocks ->> '$.kind', _clocks ->> '$."*"'), id`, id),
      referrals: ctx.store.query<Referral>('referral', 'WHERE caseId = ? ORDER BY createdAt', id),
      tasks: ctx.store.query<Task>('task', 'WHERE caseId = ? ORDER BY dueAt IS NULL, dueAt', id),
    };
  }

  return {
    queue,
    get,

    create(input: {
      person: { name: string; dob?: string; phones?: string[]; address?: string; language?: string };
      origin: Case['origin'];
      reason: string;
      risk: Case['risk'];
      incidentId?: string;
    }): Case {
      const user = requireUser(ctx);
      const at = ctx.now();
      const personId = newId('per');
      const caseId = newId('case');
      ctx.store.transaction(() => {
        writeNewCase(ctx, {
          caseId,
          personId,
          at,
          person: input.person,
          origin: input.origin,
          reason: input.reason,
          risk: input.risk,
          incidentId: input.incidentId ?? null,
          incidentNumber: input.incidentId ? (ctx.store.read<{ number: string }>('incident', input.incidentId)?.number ?? null) : null,
          owner: user,
        });
        ctx.audit('case.create', 'case', caseId);
      });
      return ctx.store.read<Case>('case', caseId)!;
    },

    addEvent(caseId: string, kind: CaseEvent['kind'], body: Record<string, unknown>, corrects: string | null = null): CaseEvent {
      const user = requireUser(ctx);
      if (!ctx.store.read('case', caseId)) throw new RpcError('not_found', `No case ${caseId}`);
      const id = newId('evt');
      ctx.store.transaction(() => {
        ctx.store.write('case_event', id, { caseId, at: ctx.now().toISOString(), kind, authorId: user.id, authorName: user.name, body, corrects });
        ctx.store.write('case', caseId, { updatedAt: ctx.now().toISOString() });
        ctx.audit(`case.${kind}`, 'case', caseId);
      });
      return ctx.store.read<CaseEvent>('case_event', id)!;
    },
  };
}
