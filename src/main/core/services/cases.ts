import { RpcError, QueueFilter, type QueueRow, type CaseRecord } from '../../../shared/contract';
import type { Case, CaseEvent, Person } from '../../../shared/entities';
import type { z } from 'zod';
import { newId } from '../store/replica';
import { caseReferrals, caseTasks, caseTimeline } from '../store/queries/cases';
import { queueCount, queuePage, type QueueQuery } from '../store/queries/case-queue';
import { writeNewCase } from './new-case';
import { requireUser, type CoreContext } from '../context';

type Filter = z.infer<typeof QueueFilter>;

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
  function countOf(q: QueueQuery): number {
    const key = `${q.status}\u0000${q.ownerId}\u0000${q.risk}\u0000${q.origin}`;
    const hit = counts.get(key);
    if (hit && hit.version === caseVersion) return hit.n;
    const n = queueCount(ctx.store.reads, q);
    if (counts.size > 100) counts.clear();
    counts.set(key, { version: caseVersion, n });
    return n;
  }

  /** Top of the follow-up queue (see store/queries/case-queue.ts for the order and the indexes). */
  function queue(f: Filter): { rows: QueueRow[]; total: number } {
    const user = requireUser(ctx);
    const now = ctx.now().toISOString();
    const match = f.search ? caseSearchQuery(f.search) : null;
    if (match) ctx.store.indexSearch(); // anything written outside the store's own transactions
    const q: QueueQuery = {
      status: f.status,
      ownerId: f.scope === 'mine' ? user.id : null,
      risk: f.risk ?? null,
      origin: f.origin ?? null,
      match,
      limit: f.limit,
    };
    const rows = queuePage(ctx.store.reads, q);
    // A search counts its matches in the same pass; a filter counts along its index.
    const total = rows.length < f.limit ? rows.length : match ? (rows[0].total ?? rows.length) : countOf(q);
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
      timeline: caseTimeline(ctx.store.reads, id),
      referrals: caseReferrals(ctx.store.reads, id),
      tasks: caseTasks(ctx.store.reads, id),
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
