import { CAD_OWNED_INCIDENT_FIELDS, RpcError, type NewIncident } from '../../../shared/contract';
import type { Incident } from '../../../shared/entities';
import { ignoredOf, manualEligibility } from '../../../shared/eido';
import { newId } from '../store/replica';
import { recentIncidents } from '../store/queries/incidents';
import { requireUser, type CoreContext } from '../context';

/** Fields a CAD (EIDO) incident takes from CAD intake only; a console edit may not change them. */
const CAD_OWNED = CAD_OWNED_INCIDENT_FIELDS;
const CAD_OWNED_LABELS: Record<(typeof CAD_OWNED)[number], string> = {
  type: 'Type',
  location: 'Location',
  callbackNumber: 'Callback number',
  callerName: 'Caller name',
  priority: 'Priority',
};

/** Incidents typed by hand (CAD intake adds them from EIDO elsewhere). */
export function incidentService(ctx: CoreContext) {
  function nextNumber(): string {
    const today = ctx.now().toISOString().slice(0, 10).replace(/-/g, '');
    const key = `incidentCounter:${today}`;
    const n = Number(ctx.store.metaGet(key) ?? 0) + 1;
    ctx.store.metaSet(key, String(n));
    // Workstations number independently; the replica suffix keeps two of them from colliding.
    return `M${today.slice(2)}-${ctx.store.replicaId.slice(-4)}-${String(n).padStart(4, '0')}`;
  }

  function eligibilityOf(i: Pick<Incident, 'type' | 'notes'> & { cautions?: Incident['cautions'] }): Incident['eligibility'] {
    const r = manualEligibility(i, ctx.config.eligibilityRules);
    return { eligible: r.eligible, reasons: r.reasons, exclusions: r.exclusions, ...ignoredOf(r) };
  }

  /** A priority is one of the ECC's codes; anything else is refused with the codes to choose from. */
  function checkPriority(priority: string | undefined): void {
    if (!priority) return;
    const codes = ctx.config.priorityCodes;
    if (codes.includes(priority)) return;
    const message = `Priority must be one of this center’s codes: ${codes.join(', ')}`;
    throw new RpcError('bad_request', message, [{ path: ['priority'], message }]);
  }

  return {
    list(includeClosed: boolean): Incident[] {
      return recentIncidents(ctx.store.reads, includeClosed);
    },

    create(input: NewIncident): Incident {
      const user = requireUser(ctx);
      checkPriority(input.priority);
      const at = ctx.now().toISOString();
      const id = newId('inc');
      ctx.store.transaction(() => {
        ctx.store.write('incident', id, {
          number: nextNumber(),
          source: 'manual',
          type: input.type,
          priority: input.priority || null,
          status: 'open',
          location: input.location,
          callbackNumber: input.callbackNumber || null,
          callerName: input.callerName || null,
          notes: input.notes || null,
          cautions: null,
          eligibility: eligibilityOf({ type: input.type, notes: input.notes ?? null }),
          eidoRaw: null,
          eidoUpdatedAt: null,
          createdAt: at,
          createdBy: user.name,
          updatedAt: at,
        });
        ctx.audit('incident.create', 'incident', id);
      });
      return ctx.store.read<Incident>('incident', id)!;
    },

    update(id: string, patch: Partial<NewIncident> & { status?: 'open' | 'closed' }): Incident {
      const current = ctx.store.read<Incident>('incident', id);
      if (!current) throw new RpcError('not_found', `No incident ${id}`);
      // What CAD sent stays CAD's: on a CAD incident a dispatcher may add notes or close it, nothing else.
      if (current.source === 'eido') {
        const fromCad = CAD_OWNED.filter((k) => patch[k] !== undefined);
        if (fromCad.length) {
          const message = `${fromCad.map((k) => CAD_OWNED_LABELS[k]).join(', ')} ${fromCad.length === 1 ? 'comes' : 'come'} from CAD on incident ${current.number}: change ${fromCad.length === 1 ? 'it' : 'them'} in CAD`;
          throw new RpcError('bad_request', message, fromCad.map((k) => ({ path: [k], message })));
        }
      }
      checkPriority(patch.priority);
      const fields: Record<string, unknown> = { updatedAt: ctx.now().toISOString() };
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) fields[k] = v === '' ? null : v;
      // A hand-entered incident is screened again when its type or notes change (CAD's own are screened at intake).
      if (current.source === 'manual' && ('type' in fields || 'notes' in fields)) {
        fields.eligibility = eligibilityOf({ ...current, ...(fields as Partial<Incident>) });
      }
      ctx.store.transaction(() => {
        ctx.store.write('incident', id, fields);
        ctx.audit('incident.update', 'incident', id, Object.keys(patch));
      });
      return ctx.store.read<Incident>('incident', id)!;
    },
  };
}
