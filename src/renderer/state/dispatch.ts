import { createStore, type StoreApi } from 'zustand/vanilla';
import type { NewIncident } from '../../shared/contract';
import type { Incident } from '../../shared/entities';
import type { ConsoleClient } from '../client';
import { blocksNewRequest, latestHandoffFor } from '../logic/handoff';
import { invalidFields, moveSelection, openIncidentsNewestFirst } from '../logic/incidents';
import { fallbackDirectLine } from '../logic/status';
import type { DataStore } from './data';
import { errorCode, errorDetail, errorDetails, errorMessage } from './errors';
import { recheckSessionOn, type SessionStore } from './session';
import type { UiStore } from './ui';

/** The dispatcher's desk: which incident is selected, the new-incident form, handoff requests. */
export interface DispatchBanner {
  text: string;
  directLine: string | null;
  incidentNumber: string | null;
  at: number;
}

export interface DispatchState {
  selectedId: string | null;
  formOpen: boolean;
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
  closeForm(): void;
  createIncident(input: NewIncident): Promise<Incident | null>;
  requestHandoff(incidentId: string, mode: 'live' | 'followup'): Promise<void>;
  cancelHandoff(incidentId: string): Promise<void>;
  dismissBanner(): void;
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
  formBusy: false,
  formError: null,
  pending: {},
  rowErrors: {},
  banner: null,
} satisfies Partial<DispatchState>;

/** The banner for a request that could not reach the clinician: the direct line to call instead. */
function unreachableBanner(directLine: string | null, incidentNumber: string | null, at: number): DispatchBanner {
  return {
    text: directLine ? `Could not reach the clinician — call direct: ${directLine}` : 'Could not reach the clinician — no direct line on file: use the floor phone',
    directLine,
    incidentNumber,
    at,
  };
}

export function createDispatchStore({ client, session, data, ui, now }: DispatchDeps): DispatchStore {
  const openIds = () => openIncidentsNewestFirst(data.getState().incidents).map((i) => i.id);
  const latestHandoff = (incidentId: string) => latestHandoffFor(incidentId, Object.values(data.getState().handoffs));

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
        set({ formOpen: true, formError: null });
      },
      closeForm() {
        set({ formOpen: false, formError: null, formBusy: false });
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
          const fields = errorCode(err) === 'bad_request' ? invalidFields(errorDetails(err)) : [];
          set({ formBusy: false, formError: { message: errorMessage(err), fields } });
          return null;
        }
      },
      async requestHandoff(incidentId, mode) {
        if (get().pending[incidentId]) return;
        if (blocksNewRequest(latestHandoff(incidentId))) return;
        const incident = data.getState().incidents.find((i) => i.id === incidentId) ?? null;
        set((s) => ({ pending: { ...s.pending, [incidentId]: mode }, rowErrors: omit(s.rowErrors, incidentId), selectedId: incidentId }));
        try {
          data.getState().upsertHandoff(await client.call('handoff.request', { incidentId, mode }));
        } catch (err) {
          recheckSessionOn(session, err);
          if (errorCode(err) === 'unavailable') {
            const directLine = errorDetail(err, 'directLine') || fallbackDirectLine(data.getState().presence) || null;
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
      reset() {
        set({ ...IDLE });
      },
    };
  });
}

function omit<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
}
