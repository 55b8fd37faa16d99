import { RpcError, QueueFilter, type QueueRow, type CaseRecord } from '../../../shared/contract';
import type { Case, CaseEvent, Person, Referral, Task } from '../../../shared/entities';
import { dueAt } from '../../../shared/caseload';
import type { z } from 'zod';
import { newId } from '../store/replica';
import { requireUser, type CoreContext } from '../context';

type Filter = z.infer<typeof QueueFilter>;

/** The clinician's follow-up queue and case record. */
export function caseService(ctx: CoreContext) {
  function queue(f: Filter): { rows: QueueRow[]; total: number } {
    const user = requireUser(ctx);
    const now = ctx.now().toISOString();
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.status === 'active') where.push("c.status IN ('open','waiting')");
    else {
      where.push('c.status = ?');
      params.push(f.status);
    }
    if (f.scope === 'mine') {
      where.push('c.ownerId = ?');
      params.push(user.id);
    }
    if (f.risk) {
      where.push('c.risk = ?');
      params.push(f.risk);
    }
    if (f.origin) {
      where.push('c.origin = ?');
      params.push(f.origin);
    }
    if (f.search?.trim()) {
      const term = `%${f.search.trim().replace(/[%_]/g, '')}%`;
      where.push('(p.name LIKE ? OR p.phones LIKE ? OR c.incidentNumber LIKE ?)');
      params.push(term, term, term);
    }
    const sql = `FROM case_file c JOIN person p ON p.id = c.personId WHERE ${where.join(' AND ')}`;
    const rows = ctx.store.db
      .prepare(
        `SELECT c.id, p.name AS personName, p.phones AS phones, c.reason, c.risk, c.status, c.origin, c.ownerName,
                c.dueAt, c.incidentNumber, c.safetyAlert
         ${sql}
         ORDER BY (c.dueAt IS NOT NULL AND c.dueAt < ?) DESC, c.dueAt IS NULL, c.dueAt,
                  CASE c.risk WHEN 'high' THEN 0 WHEN 'moderate' THEN 1 WHEN 'low' THEN 2 ELSE 3 END
         LIMIT ?`,
      )
      .all(...params, now, f.limit) as (Omit<QueueRow, 'overdue' | 'personPhone'> & { phones: string | null })[];
    const total = (ctx.store.db.prepare(`SELECT count(*) AS n ${sql}`).get(...params) as { n: number }).n;
    return {
      rows: rows.map(({ phones, ...r }) => ({
        ...r,
        personPhone: phones ? ((JSON.parse(phones) as string[])[0] ?? null) : null,
        overdue: r.dueAt !== null && r.dueAt < now,
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
      timeline: ctx.store.query<CaseEvent>('case_event', 'WHERE caseId = ? ORDER BY at, id', id),
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
        ctx.store.write('person', personId, {
          name: input.person.name,
          dob: input.person.dob ?? null,
          phones: input.person.phones?.filter(Boolean) ?? null,
          address: input.person.address ?? null,
          language: input.person.language ?? null,
          safetyFlags: null,
          createdAt: at.toISOString(),
        });
        ctx.store.write('case', caseId, {
          personId,
          incidentId: input.incidentId ?? null,
          incidentNumber: null,
          origin: input.origin,
          reason: input.reason,
          status: 'open',
          risk: input.risk,
          ownerId: user.id,
          ownerName: user.name,
          dueAt: dueAt(input.origin, at).toISOString(),
          consent: null,
          safetyAlert: null,
          closedAt: null,
          closureReason: null,
          createdAt: at.toISOString(),
          updatedAt: at.toISOString(),
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
