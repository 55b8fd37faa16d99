import type { Case, Person } from '../../../shared/entities';
import { dueAt } from '../../../shared/caseload';
import type { CoreContext } from '../context';

/**
 * A new follow-up case and its person, written whole: every field set, the due time from the
 * site's rule for how the case began. Callers wrap it in their own transaction with whatever
 * else belongs to the same change (the timeline event, the audit line).
 */
export interface NewCase {
  caseId: string;
  personId: string;
  at: Date;
  person: Pick<Person, 'name'> & Partial<Pick<Person, 'dob' | 'phones' | 'address' | 'language' | 'safetyFlags'>>;
  origin: Case['origin'];
  reason: string;
  risk: Case['risk'];
  incidentId: string | null;
  incidentNumber: string | null;
  owner: { id: string; name: string } | null;
}

export function writeNewCase(ctx: CoreContext, c: NewCase): void {
  const at = c.at.toISOString();
  ctx.store.write('person', c.personId, {
    name: c.person.name,
    dob: c.person.dob ?? null,
    phones: c.person.phones?.filter(Boolean) ?? null,
    address: c.person.address ?? null,
    language: c.person.language ?? null,
    safetyFlags: c.person.safetyFlags ?? null,
    createdAt: at,
  });
  ctx.store.write('case', c.caseId, {
    personId: c.personId,
    incidentId: c.incidentId,
    incidentNumber: c.incidentNumber,
    origin: c.origin,
    reason: c.reason,
    status: 'open',
    risk: c.risk,
    ownerId: c.owner?.id ?? null,
    ownerName: c.owner?.name ?? null,
    dueAt: dueAt(c.origin, c.at).toISOString(),
    consent: null,
    safetyAlert: null,
    closedAt: null,
    closureReason: null,
    createdAt: at,
    updatedAt: at,
  });
}
