import { createStore, type StoreApi } from 'zustand/vanilla';
import type { NewIncident } from '../../shared/contract';

/** What an edit sends: the changed fields only ('' clears an optional one). */
export type IncidentPatch = Partial<NewIncident>;
import type { Handoff, Incident } from '../../shared/entities';
import { may } from '../../shared/roles';
import type { ConsoleClient } from '../client';
import { blocksNewRequest, latestHandoffFor } from '../logic/handoff';
import { invalidFields, moveSelection, openIncidentsNewestFirst } from '../logic/incidents';
import { fallbackDirectLine } from '../logic/status';
import type { DataStore } from './data';
import { errorCode, errorDetail, errorDetails, errorMessage } from './errors';
import { currentUser, recheckSessionOn, type SessionStore } from './session';
import type { UiStore } from './ui';

/** The dispatcher's desk: which incident is selected, the new-incident form, handoff requests. */
export interface DispatchBanner {
  /** What happened, in a few words ("No answer from the clinician in 20 s"). */
  headline: string;
  /** The whole line, with what to do: the headline and the direct line. */
  text: string;
  directLine: string | null;
  incidentNumber: string | null;
  at: number;
}

export interface DispatchState {
  selectedId: string | null;
  formOpen: boolean;
  /** The incident the open form edits; null when it creates a new one. */
  editingId: string | null;
  formBusy: boolean;
  formError: { message: string; fields: string[] } | null;
  /** Incidents with a handoff request on its way, and which kind. */
  pending: Record<string, 'live' | 'followup'>;
  rowErrors: Record<string, string>;
  banner: DispatchBanner | null;
  select(id: string | null): void;
  move(delta: number): void;
  edge(which: 'first' | 'last'): void;
  openForm(): void;
  /** Opens the incident form on an open incident, to change it (and selects it). */
  openEdit(incidentId: string): void;
  closeForm(): void;
  createIncident(input: NewIncident): Promise<Incident | null>;
  /**
   * Saves the fields the dispatcher changed in the edit form (only those: a field CAD or
   * another console changed meanwhile is not written back). Nothing changed: the form closes.
   */
  updateIncident(incidentId: string, patch: IncidentPatch): Promise<Incident | null>;
  /** F9 in the edit form: save the change, then conference the clinician on the incident. */
  updateAndRequest(incidentId: string, patch: IncidentPatch, mode: 'live' | 'followup', note?: string): Promise<void>;
  /** `note`: one line for the clinician ("caller is the sister; he is in the bathroom"). */
  requestHandoff(incidentId: string, mode: 'live' | 'followup', note?: string): Promise<void>;
  /** F9 in the new-incident form: save it, then conference the clinician on it (nothing typed is lost). */
  createAndRequest(input: NewIncident, mode: 'live' | 'followup', note?: string): Promise<void>;
  cancelHandoff(incidentId: string): Promise<void>;
  /** Closes an incident (it leaves the open list); refused while a conference on it is live. */
  closeIncident(incidentId: string): Promise<void>;
  dismissBanner(): void;
  /**
   * A handoff moved on elsewhere (`before` is how this console last saw it). A live request
   * that stopped ringing unanswered or was declined raises the banner with the direct line:
   * the caller is still on the line and the dispatcher must act now, not spot it in a row.
   */
  handoffMoved(before: Handoff | undefined, after: Handoff): void;
  reset(): void;
}

export type DispatchStore = StoreApi<DispatchState>;

export interface DispatchDeps {
  client: ConsoleClient;
  session: SessionStore;
  data: DataStore;
  ui: UiStore;
  now: () => number;
}

const IDLE = {
  selectedId: null,
  formOpen: false,
  editingId: null,
  formBusy: false,
  formError: null,
  pending: {},
  rowErrors: {},
  banner: null,
} satisfies Partial<DispatchState>;

/** A note to the clinician is one line. */
export const HANDOFF_NOTE_MAX = 200;

/** The banner for a request that could not reach the clinician: the direct line to call instead. */
function unreachableBanner(directLine: string | null, incidentNumber: string | null, at: number, headline = 'Could not reach the clinician'): DispatchBanner {
  return {
    headline,
    text: directLine ? `${headline} — call direct: ${directLine}` : `${headline} — no direct line on file: use the floor phone`,
    directLine,
    incidentNumber,
    at,
  };
}

/** "No answer from the clinician in 20 s", "Declined by Chris Okafor: “On another call”". */
export function stoppedRingingHeadline(h: Handoff): string | null {
  if (h.state === 'timed_out') {
    const from = Date.parse(h.ringingAt ?? h.requestedAt);
    const to = Date.parse(h.endedAt ?? '');
    const secs = Number.isFinite(from) && Number.isFinite(to) && to > from ? Math.round((to - from) / 1000) : null;
    return secs ? `No answer from the clinician in ${secs} s` : 'No answer from the clinician';
  }
  if (h.state === 'declined') {
    const last = h.declines?.length ? h.declines[h.declines.length - 1] : null;
    return last ? `Declined by ${last.name}: “${last.reason}”` : 'The clinician declined';
  }
  return null;
}

export function createDispatchStore({ client, session, data, ui, now }: DispatchDeps): DispatchStore {
  const openIds = () => openIncidentsNewestFirst(data.getState().incidents).map((i) => i.id);
  const latestHandoff = (incidentId: string) => latestHandoffFor(incidentId, Object.values(data.getState().handoffs));

  /** The clinician's direct line: machine policy first, then one a clinician's presence carries. */
  const directLineNow = () => session.getState().info?.lines?.clinician || fallbackDirectLine(data.getState().presence) || null;

  return createStore<DispatchState>()((set, get) => {
    const setRowError = (incidentId: string, message: string) => set((s) => ({ rowErrors: { ...s.rowErrors, [incidentId]: message } }));

    return {
      ...IDLE,
      select(id) {
        set({ selectedId: id });
      },
      move(delta) {
        set({ selectedId: moveSelection(openIds(), get().selectedId, delta) });
      },
      edge(which) {
        const ids = openIds();
        set({ selectedId: ids.length ? (which === 'first' ? ids[0] : ids[ids.length - 1]) : null });
      },
      openForm() {
        set({ formOpen: true, editingId: null, formError: null });
      },
      openEdit(incidentId) {
        const incident = data.getState().incidents.find((i) => i.id === incidentId);
        if (!incident || incident.status !== 'open') return;
        set({ formOpen: true, editingId: incidentId, formError: null, formBusy: false, selectedId: incidentId });
      },
      closeForm() {
        set({ formOpen: false, editingId: null, formError: null, formBusy: false });
      },
      async createIncident(input) {
        if (get().formBusy) return null;
        set({ formBusy: true, formError: null });
        try {
          const incident = await client.call('incident.create', input);
          data.getState().upsertIncident(incident);
          set({ formBusy: false, formOpen: false, formError: null, selectedId: incident.id });
          ui.getState().announce(`Incident ${incident.number} created: ${incident.type}`);
          return incident;
        } catch (err) {
          recheckSessionOn(session, err);
          // The form stays open with what was typed; the fields the core refused are marked.
          const bad = errorCode(err) === 'bad_request';
          const fields = bad ? invalidFields(errorDetails(err)) : [];
          set({ formBusy: false, formError: { message: bad ? formSentences(errorDetails(err), errorMessage(err)) : `Not saved: ${errorMessage(err)}`, fields } });
          return null;
        }
      },
      async updateIncident(incidentId, patch) {
        if (get().formBusy) return null;
        const changed = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as IncidentPatch;
        const current = data.getState().incidents.find((i) => i.id === incidentId) ?? null;
        if (!Object.keys(changed).length) {
          set({ formOpen: false, editingId: null, formError: null, formBusy: false });
          if (current) ui.getState().announce(`Incident ${current.number}: nothing changed`);
          return current;
        }
        set({ formBusy: true, formError: null });
        try {
          const incident = await client.call('incident.update', { id: incidentId, patch: changed });
          data.getState().upsertIncident(incident);
          set({ formBusy: false, formOpen: false, editingId: null, formError: null, selectedId: incident.id });
          ui.getState().announce(`Incident ${incident.number} saved`);
          return incident;
        } catch (err) {
          recheckSessionOn(session, err);
          // The form stays open with what was typed; the fields the core refused are marked.
          const bad = errorCode(err) === 'bad_request';
          const fields = bad ? invalidFields(errorDetails(err), 'patch') : [];
          set({ formBusy: false, formError: { message: bad ? formSentences(errorDetails(err), errorMessage(err)) : `Not saved: ${errorMessage(err)}`, fields } });
          return null;
        }
      },
      async updateAndRequest(incidentId, patch, mode, note) {
        const incident = await get().updateIncident(incidentId, patch);
        if (incident) await get().requestHandoff(incident.id, mode, note);
      },
      async createAndRequest(input, mode, note) {
        const incident = await get().createIncident(input);
        if (incident) await get().requestHandoff(incident.id, mode, note);
      },
      async requestHandoff(incidentId, mode, note) {
        if (get().pending[incidentId]) return;
        if (blocksNewRequest(latestHandoff(incidentId))) return;
        const incident = data.getState().incidents.find((i) => i.id === incidentId) ?? null;
        set((s) => ({ pending: { ...s.pending, [incidentId]: mode }, rowErrors: omit(s.rowErrors, incidentId), selectedId: incidentId }));
        try {
          const line = note?.trim().slice(0, HANDOFF_NOTE_MAX);
          data.getState().upsertHandoff(await client.call('handoff.request', { incidentId, mode, ...(line ? { note: line } : {}) }));
        } catch (err) {
          recheckSessionOn(session, err);
          if (errorCode(err) === 'unavailable') {
            const directLine = errorDetail(err, 'directLine') || directLineNow() || null;
            set({ banner: unreachableBanner(directLine, incident?.number ?? null, now()) });
            setRowError(incidentId, `Not sent: ${errorMessage(err)}`);
          } else {
            setRowError(incidentId, errorMessage(err));
          }
        } finally {
          set((s) => ({ pending: omit(s.pending, incidentId) }));
        }
      },
      async cancelHandoff(incidentId) {
        const latest = latestHandoff(incidentId);
        if (!latest || (latest.state !== 'ringing' && latest.state !== 'requested')) return;
        try {
          data.getState().upsertHandoff(await client.call('handoff.cancel', { id: latest.id }));
          set((s) => ({ rowErrors: omit(s.rowErrors, incidentId) }));
        } catch (err) {
          recheckSessionOn(session, err);
          setRowError(incidentId, `Could not cancel: ${errorMessage(err)}`);
          data.getState().refresh(['handoff']);
        }
      },
      dismissBanner() {
        set({ banner: null });
      },
      async closeIncident(incidentId) {
        if (blocksNewRequest(latestHandoff(incidentId))) {
          setRowError(incidentId, 'A conference on this incident is still live: finish or cancel it before closing');
          return;
        }
        try {
          const closed = await client.call('incident.update', { id: incidentId, patch: { status: 'closed' } });
          data.getState().upsertIncident(closed);
          set((s) => ({
            rowErrors: omit(s.rowErrors, incidentId),
            selectedId: s.selectedId === incidentId ? null : s.selectedId,
            // A closed incident is not edited any more: its edit form goes with it.
            ...(s.editingId === incidentId ? { formOpen: false, editingId: null, formError: null, formBusy: false } : {}),
          }));
          ui.getState().announce(`Incident ${closed.number} closed`);
        } catch (err) {
          recheckSessionOn(session, err);
          setRowError(incidentId, `Not closed: ${errorMessage(err)}`);
        }
      },
      handoffMoved(before, after) {
        const me = currentUser(session);
        if (!me || !may(me.role, 'handoff.request') || after.mode !== 'live' || after.requestedBy !== me.id) return;
        if (!before || (before.state !== 'ringing' && before.state !== 'requested')) return;
        const headline = stoppedRingingHeadline(after);
        if (!headline) return;
        const incident = data.getState().incidents.find((i) => i.id === after.incidentId) ?? null;
        const banner = unreachableBanner(directLineNow(), incident?.number ?? null, now(), headline);
        set({ banner });
        ui.getState().announce(banner.text);
      },
      reset() {
        set({ ...IDLE });
      },
    };
  });
}

/**
 * The core's refusal as sentences a dispatcher reads at a glance: each field's own message
 * ("Callback number must be a phone number: …"), not "Invalid incident.create: type: Too big".
 */
export function formSentences(details: unknown, fallback: string): string {
  const issues = Array.isArray(details) ? (details as { message?: unknown }[]) : [];
  const messages = [...new Set(issues.map((i) => (typeof i?.message === 'string' ? i.message.trim() : '')).filter(Boolean))];
  if (!messages.length) return fallback;
  return messages.map((m) => (/[.!?]$/.test(m) ? m : `${m}.`)).join(' ');
}

function omit<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
}
