import type { User } from '../../shared/contract';
import { createCaseloadStore, type CaseloadStore } from '../caseload/store';
import type { ConsoleClient } from '../client';
import type { StorageLike } from '../storage';
import { createClinicianStore, type ClinicianStore } from './clinician';
import { createDataStore, type DataStore } from './data';
import { createDispatchStore, type DispatchStore } from './dispatch';
import { createDraftsStore, type DraftsStore } from './drafts';
import { createSessionStore, type SessionStore } from './session';
import { createSyncStore, type SyncStore } from './sync';
import { createUiStore, type UiStore } from './ui';

/**
 * The renderer's state: one small zustand store per concern (each in its own file), made
 * around one ConsoleClient so the logic runs (and is tested) without React or a DOM. This
 * file only composes them and feeds them the core's events.
 */
export interface AppStores {
  client: ConsoleClient;
  session: SessionStore;
  sync: SyncStore;
  data: DataStore;
  dispatch: DispatchStore;
  clinician: ClinicianStore;
  ui: UiStore;
  caseload: CaseloadStore;
  /** Unsaved case-record forms (kept across Esc, screens, lock and restart). */
  drafts: DraftsStore;
  /** Loads the session and starts listening. */
  start(): void;
  dispose(): void;
}

export interface AppDeps {
  client: ConsoleClient;
  storage: StorageLike | null;
  now?: () => number;
}

export function createAppStores({ client, storage, now = Date.now }: AppDeps): AppStores {
  const session = createSessionStore({ client });
  const sync = createSyncStore({ client });
  const ui = createUiStore();
  const data = createDataStore({ client, session });
  const dispatch = createDispatchStore({ client, session, data, ui, now });
  const clinician = createClinicianStore({ client, session, data, ui, storage, now });
  const caseload = createCaseloadStore({ client });
  const drafts = createDraftsStore({ storage, now });

  /** Nothing of one user's work carries over to the next. */
  function onUserChanged(next: User | null): void {
    data.getState().reset();
    dispatch.getState().reset();
    clinician.getState().reset();
    caseload.getState().reset();
    ui.getState().reset(next?.role);
    if (next) data.getState().refreshAll();
  }

  const offs: (() => void)[] = [];
  let started = false;
  return {
    client,
    session,
    sync,
    data,
    dispatch,
    clinician,
    ui,
    caseload,
    drafts,
    start() {
      if (started) return;
      started = true;
      offs.push(
        client.on('sync.status', (status) => {
          const was = sync.getState().status?.state;
          sync.getState().setStatus(status);
          if (status.state === 'online' && was && was !== 'online') clinician.getState().reconnected();
        }),
        client.onConnection((connection) => {
          const s = session.getState();
          if (connection === 'connected' && !s.info && !s.loading) void s.load();
          sync.getState().connectionChanged(connection);
        }),
        client.on('session.changed', (info) => session.getState().apply(info)),
        client.on('presence.live', (live) => data.getState().setLive(live)),
        client.on('data.changed', ({ entities }) => {
          data.getState().refresh(entities);
          caseload.getState().refresh(entities);
        }),
        client.on('handoff.ringing', (h) => {
          data.getState().upsertHandoff(h);
          if (!data.getState().incidents.some((i) => i.id === h.incidentId)) data.getState().refresh(['incident']);
        }),
        client.on('handoff.updated', (h) => {
          const before = data.getState().handoffs[h.id];
          data.getState().upsertHandoff(h);
          clinician.getState().handoffMoved(before, h);
          dispatch.getState().handoffMoved(before, h);
        }),
        session.subscribe((s, prev) => {
          const a = s.info?.user ?? null;
          const b = prev.info?.user ?? null;
          if (a?.id !== b?.id || a?.role !== b?.role) onUserChanged(a);
        }),
      );
      void session.getState().load();
    },
    dispose() {
      for (const off of offs.splice(0)) off();
      caseload.dispose();
    },
  };
}
