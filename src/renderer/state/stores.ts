import { createStore, type StoreApi } from 'zustand/vanilla';
import { RpcError, type NewIncident, type SessionInfo, type SyncStatus, type User } from '../../shared/contract';
import type { Handoff, HandoffOutcome, Incident, Presence, PresenceStatus } from '../../shared/entities';
import type { Role } from '../../shared/roles';
import type { ConsoleClient } from '../client';
import { blocksNewRequest, latestHandoffFor, mergeHandoff } from '../logic/handoff';
import { invalidFields, moveSelection, openIncidentsNewestFirst } from '../logic/incidents';
import { fallbackDirectLine, type ConnectionState } from '../logic/status';
import { emptyDraft, loadDrafts, saveDrafts, type ConferenceDraft, type StorageLike } from '../storage';

/**
 * The renderer's state, in a few small zustand stores made by one factory around a
 * ConsoleClient, so the logic runs (and is tested) without React or a DOM.
 */

export function errorMessage(err: unknown): string {
  if (err instanceof RpcError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

function errorCode(err: unknown): string | null {
  return err instanceof RpcError ? err.code : null;
}

export type Route = 'dispatch' | 'clinician' | 'caseload';

export function isClinicalRole(role: Role | null | undefined): boolean {
  return role === 'clinician' || role === 'supervisor';
}
export function isDispatchRole(role: Role | null | undefined): boolean {
  return role === 'dispatcher' || role === 'supervisor' || role === 'admin';
}
export function defaultRoute(role: Role | null | undefined): Route {
  return role === 'clinician' ? 'clinician' : 'dispatch';
}

// ---------------------------------------------------------------------------------------

export interface SessionState {
  info: SessionInfo | null;
  loading: boolean;
  loadError: string | null;
  busy: boolean;
  signInError: string | null;
  load(): Promise<void>;
  apply(info: SessionInfo): void;
  signIn(username: string, password: string): Promise<boolean>;
  demoSignIn(role: Role): Promise<boolean>;
  signOut(): Promise<void>;
  switchRole(role: Role): Promise<void>;
}

export interface SyncState {
  status: SyncStatus | null;
  connection: ConnectionState;
}

export interface DataState {
  incidents: Incident[];
  incidentsLoaded: boolean;
  incidentsError: string | null;
  handoffs: Record<string, Handoff>;
  handoffsError: string | null;
  presence: Presence[];
  presenceError: string | null;
  refresh(entities: readonly string[]): void;
  refreshAll(): void;
  reset(): void;
  upsertIncident(incident: Incident): void;
  upsertHandoff(handoff: Handoff): void;
  upsertPresence(presence: Presence): void;
}

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

export interface ClinicianNotice {
  text: string;
  tone: 'warn' | 'danger';
}

export interface CompletedConference {
  caseId: string;
  handoffId: string;
  incidentId: string;
}

export interface ClinicianState {
  acceptBusy: string | null;
  notice: ClinicianNotice | null;
  declining: string | null;
  declineReason: string;
  declineBusy: boolean;
  declineError: string | null;
  drafts: Record<string, ConferenceDraft>;
  draftSaveFailed: boolean;
  completeBusy: string | null;
  completeError: string | null;
  completed: CompletedConference | null;
  presenceBusy: PresenceStatus | null;
  presenceError: string | null;
  accept(id: string): Promise<void>;
  startDecline(id: string): void;
  setDeclineReason(reason: string): void;
  cancelDecline(): void;
  submitDecline(): Promise<void>;
  setDraft(id: string, patch: Partial<Omit<ConferenceDraft, 'updatedAt'>>): void;
  complete(id: string): Promise<void>;
  setPresence(status: PresenceStatus): Promise<void>;
  dismissNotice(): void;
  dismissCompleted(): void;
  reset(): void;
}

export interface UiState {
  route: Route;
  /** A case the caseload screen should open when it next shows (set by "Open case" after a conference). */
  focusCaseId: string | null;
  announcement: { text: string; n: number };
  setRoute(route: Route): void;
  openCase(caseId: string): void;
  announce(text: string): void;
}

export interface AppStores {
  client: ConsoleClient;
  session: StoreApi<SessionState>;
  sync: StoreApi<SyncState>;
  data: StoreApi<DataState>;
  dispatch: StoreApi<DispatchState>;
  clinician: StoreApi<ClinicianState>;
  ui: StoreApi<UiState>;
  /** Loads the session and starts listening. */
  start(): void;
  dispose(): void;
}

export interface AppDeps {
  client: ConsoleClient;
  storage: StorageLike | null;
  now?: () => number;
}

// ---------------------------------------------------------------------------------------

export function createAppStores(deps: AppDeps): AppStores {
  const { client, storage } = deps;
  const now = deps.now ?? Date.now;
  const user = (): User | null => session.getState().info?.user ?? null;

  /** Any call can find the session gone (signed out elsewhere, locked): look again. */
  function checkAuth(err: unknown): void {
    if (errorCode(err) === 'unauthenticated') void session.getState().load();
  }

  // --- session ---------------------------------------------------------------------------
  const session = createStore<SessionState>()((set, get) => ({
    info: null,
    loading: false,
    loadError: null,
    busy: false,
    signInError: null,
    async load() {
      set({ loading: true });
      try {
        const info = await client.call('session.get', {});
        set({ info, loading: false, loadError: null });
      } catch (err) {
        set({ loading: false, loadError: errorMessage(err) });
      }
    },
    apply(info) {
      set({ info, loadError: null });
    },
    async signIn(username, password) {
      set({ busy: true, signInError: null });
      try {
        const u = await client.call('session.signIn', { username, password });
        set((s) => ({ busy: false, info: s.info ? { ...s.info, user: u } : s.info }));
        if (!get().info) void get().load();
        return true;
      } catch (err) {
        set({ busy: false, signInError: errorMessage(err) });
        return false;
      }
    },
    async demoSignIn(role) {
      set({ busy: true, signInError: null });
      try {
        const u = await client.call('session.demoSignIn', { role });
        set((s) => ({ busy: false, info: s.info ? { ...s.info, user: u } : s.info }));
        if (!get().info) void get().load();
        return true;
      } catch (err) {
        set({ busy: false, signInError: errorMessage(err) });
        return false;
      }
    },
    async signOut() {
      set({ busy: true });
      try {
        await client.call('session.signOut', {});
      } catch (err) {
        if (errorCode(err) !== 'unauthenticated') {
          set({ busy: false, signInError: `Could not sign out: ${errorMessage(err)}` });
          return;
        }
      }
      set((s) => ({ busy: false, signInError: null, info: s.info ? { ...s.info, user: null } : s.info }));
    },
    async switchRole(role) {
      await get().signOut();
      if (get().info?.user) return;
      await get().demoSignIn(role);
    },
  }));

  // --- sync --------------------------------------------------------------------------------
  const sync = createStore<SyncState>()(() => ({ status: null, connection: client.connection() }));

  // --- data --------------------------------------------------------------------------------
  /** When each row was last written locally (event or reply), to survive a list reply that left before it. */
  const touched = new Map<string, number>();
  let seq = 0;
  let generation = 0;
  const touch = (key: string) => touched.set(key, ++seq);

  /** Runs `load` now, or once more after the current run when asked again meanwhile. */
  function coalesced(load: (gen: number, startSeq: number) => Promise<void>): () => void {
    let running = false;
    let again = false;
    const run = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await load(generation, seq);
        } while (again);
      } finally {
        running = false;
      }
    };
    return () => void run();
  }

  /** Replaces `current` with `fresh`, keeping local rows written after the request left. */
  function reconcile<T extends { id: string }>(kind: string, current: readonly T[], fresh: readonly T[], startSeq: number): T[] {
    const ids = new Set(fresh.map((x) => x.id));
    const kept = current.filter((x) => !ids.has(x.id) && (touched.get(`${kind}:${x.id}`) ?? 0) > startSeq);
    const local = new Map(current.map((x) => [x.id, x]));
    return [...fresh.map((x) => ((touched.get(`${kind}:${x.id}`) ?? 0) > startSeq ? (local.get(x.id) ?? x) : x)), ...kept];
  }

  /**
   * One list loader: fetch, and unless a newer sign-in has started meanwhile, apply the
   * result or record the error under its own key (an expired session signs out instead).
   */
  function listLoader<T>(
    fetch: () => Promise<T>,
    apply: (list: T, startSeq: number) => void,
    errorKey: 'incidentsError' | 'handoffsError' | 'presenceError',
  ): () => void {
    return coalesced(async (gen, startSeq) => {
      try {
        const list = await fetch();
        if (gen === generation) apply(list, startSeq);
      } catch (err) {
        if (gen !== generation) return;
        checkAuth(err);
        data.setState({ [errorKey]: errorMessage(err) } as Partial<DataState>);
      }
    });
  }

  const loadIncidents = listLoader(
    () => client.call('incident.list', { includeClosed: false }),
    (list, startSeq) =>
      data.setState((s) => ({ incidents: reconcile('incident', s.incidents, list, startSeq), incidentsLoaded: true, incidentsError: null })),
    'incidentsError',
  );

  const loadHandoffs = listLoader(
    // Clinicians need what is live now; dispatch also shows how recent requests ended.
    () => client.call('handoff.list', { live: user()?.role === 'clinician' }),
    (list, startSeq) =>
      data.setState((s) => {
        const next: Record<string, Handoff> = {};
        for (const h of list) next[h.id] = mergeHandoff(s.handoffs[h.id], h);
        for (const [id, h] of Object.entries(s.handoffs)) {
          if (!next[id] && (touched.get(`handoff:${id}`) ?? 0) > startSeq) next[id] = h;
        }
        return { handoffs: next, handoffsError: null };
      }),
    'handoffsError',
  );

  const loadPresence = listLoader(
    () => client.call('presence.list', {}),
    (list, startSeq) => data.setState((s) => ({ presence: reconcile('presence', s.presence, list, startSeq), presenceError: null })),
    'presenceError',
  );

  const data = createStore<DataState>()((set, get) => ({
    incidents: [],
    incidentsLoaded: false,
    incidentsError: null,
    handoffs: {},
    handoffsError: null,
    presence: [],
    presenceError: null,
    refresh(entities) {
      if (!user()) return;
      if (entities.includes('incident')) loadIncidents();
      if (entities.includes('handoff')) loadHandoffs();
      if (entities.includes('presence')) loadPresence();
    },
    refreshAll() {
      get().refresh(['incident', 'handoff', 'presence']);
    },
    reset() {
      generation++;
      touched.clear();
      set({ incidents: [], incidentsLoaded: false, incidentsError: null, handoffs: {}, handoffsError: null, presence: [], presenceError: null });
    },
    upsertIncident(incident) {
      touch(`incident:${incident.id}`);
      set((s) => {
        const at = s.incidents.findIndex((i) => i.id === incident.id);
        const incidents = at < 0 ? [incident, ...s.incidents] : s.incidents.map((i) => (i.id === incident.id ? incident : i));
        return { incidents };
      });
    },
    upsertHandoff(handoff) {
      touch(`handoff:${handoff.id}`);
      set((s) => {
        const merged = mergeHandoff(s.handoffs[handoff.id], handoff);
        return merged === s.handoffs[handoff.id] ? s : { handoffs: { ...s.handoffs, [handoff.id]: merged } };
      });
    },
    upsertPresence(presence) {
      touch(`presence:${presence.id}`);
      set((s) => {
        const at = s.presence.findIndex((p) => p.id === presence.id);
        return { presence: at < 0 ? [...s.presence, presence] : s.presence.map((p) => (p.id === presence.id ? presence : p)) };
      });
    },
  }));

  // --- dispatch ------------------------------------------------------------------------------
  const openIds = () => openIncidentsNewestFirst(data.getState().incidents).map((i) => i.id);

  const dispatch = createStore<DispatchState>()((set, get) => ({
    selectedId: null,
    formOpen: false,
    formBusy: false,
    formError: null,
    pending: {},
    rowErrors: {},
    banner: null,
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
        checkAuth(err);
        const fields = err instanceof RpcError && err.code === 'bad_request' ? invalidFields(err.details) : [];
        set({ formBusy: false, formError: { message: errorMessage(err), fields } });
        return null;
      }
    },
    async requestHandoff(incidentId, mode) {
      const s = get();
      if (s.pending[incidentId]) return;
      const latest = latestHandoffFor(incidentId, Object.values(data.getState().handoffs));
      if (blocksNewRequest(latest)) return;
      const incident = data.getState().incidents.find((i) => i.id === incidentId) ?? null;
      set((st) => ({ pending: { ...st.pending, [incidentId]: mode }, rowErrors: omit(st.rowErrors, incidentId), selectedId: incidentId }));
      try {
        const h = await client.call('handoff.request', { incidentId, mode });
        data.getState().upsertHandoff(h);
      } catch (err) {
        checkAuth(err);
        if (errorCode(err) === 'unavailable') {
          const details = (err as RpcError).details as { directLine?: unknown } | undefined;
          const directLine =
            (typeof details?.directLine === 'string' && details.directLine) || fallbackDirectLine(data.getState().presence) || null;
          set({
            banner: {
              text: directLine ? `Could not reach the clinician — call direct: ${directLine}` : 'Could not reach the clinician — no direct line on file: use the floor phone',
              directLine,
              incidentNumber: incident?.number ?? null,
              at: now(),
            },
          });
          set((st) => ({ rowErrors: { ...st.rowErrors, [incidentId]: `Not sent: ${errorMessage(err)}` } }));
        } else {
          set((st) => ({ rowErrors: { ...st.rowErrors, [incidentId]: errorMessage(err) } }));
        }
      } finally {
        set((st) => ({ pending: omit(st.pending, incidentId) }));
      }
    },
    async cancelHandoff(incidentId) {
      const latest = latestHandoffFor(incidentId, Object.values(data.getState().handoffs));
      if (!latest || (latest.state !== 'ringing' && latest.state !== 'requested')) return;
      try {
        data.getState().upsertHandoff(await client.call('handoff.cancel', { id: latest.id }));
        set((st) => ({ rowErrors: omit(st.rowErrors, incidentId) }));
      } catch (err) {
        checkAuth(err);
        set((st) => ({ rowErrors: { ...st.rowErrors, [incidentId]: `Could not cancel: ${errorMessage(err)}` } }));
        loadHandoffs();
      }
    },
    dismissBanner() {
      set({ banner: null });
    },
    reset() {
      set({ selectedId: null, formOpen: false, formBusy: false, formError: null, pending: {}, rowErrors: {}, banner: null });
    },
  }));

  // --- clinician -----------------------------------------------------------------------------
  const clinician = createStore<ClinicianState>()((set, get) => {
    const persist = (drafts: Record<string, ConferenceDraft>) => set({ drafts, draftSaveFailed: storage ? !saveDrafts(storage, drafts) : true });
    return {
      acceptBusy: null,
      notice: null,
      declining: null,
      declineReason: '',
      declineBusy: false,
      declineError: null,
      drafts: loadDrafts(storage, now()),
      draftSaveFailed: false,
      completeBusy: null,
      completeError: null,
      completed: null,
      presenceBusy: null,
      presenceError: null,
      async accept(id) {
        if (get().acceptBusy) return;
        set({ acceptBusy: id, notice: null, declining: null });
        try {
          data.getState().upsertHandoff(await client.call('handoff.accept', { id }));
          set({ completed: null });
        } catch (err) {
          checkAuth(err);
          if (errorCode(err) === 'conflict') {
            const details = (err as RpcError).details as { acceptedByName?: unknown } | undefined;
            const name = typeof details?.acceptedByName === 'string' ? details.acceptedByName : null;
            set({ notice: { text: name ? `Already taken by ${name}` : `Already taken: ${errorMessage(err)}`, tone: 'warn' } });
          } else {
            set({ notice: { text: `Could not accept: ${errorMessage(err)}`, tone: 'danger' } });
          }
          loadHandoffs();
        } finally {
          set({ acceptBusy: null });
        }
      },
      startDecline(id) {
        set({ declining: id, declineReason: '', declineError: null });
      },
      setDeclineReason(reason) {
        set({ declineReason: reason, declineError: null });
      },
      cancelDecline() {
        set({ declining: null, declineReason: '', declineError: null });
      },
      async submitDecline() {
        const { declining: id, declineReason: reason, declineBusy } = get();
        if (!id || declineBusy) return;
        if (!reason.trim()) {
          set({ declineError: 'Give a reason so the dispatcher knows what to do next' });
          return;
        }
        set({ declineBusy: true, declineError: null });
        try {
          data.getState().upsertHandoff(await client.call('handoff.decline', { id, reason: reason.trim() }));
          set({ declining: null, declineReason: '', declineBusy: false });
        } catch (err) {
          checkAuth(err);
          set({ declineBusy: false, declineError: errorMessage(err) });
          loadHandoffs();
        }
      },
      setDraft(id, patch) {
        const current = get().drafts[id] ?? emptyDraft();
        persist({ ...get().drafts, [id]: { ...current, ...patch, updatedAt: now() } });
        if (get().completeError && patch.outcome) set({ completeError: null });
      },
      async complete(id) {
        if (get().completeBusy) return;
        const draft = get().drafts[id] ?? emptyDraft();
        if (!draft.outcome) {
          set({ completeError: 'Choose an outcome (keys 1–5) before closing the conference' });
          return;
        }
        set({ completeBusy: id, completeError: null });
        try {
          const personName = draft.personName.trim();
          const shareableSummary = draft.shareableSummary.trim();
          const r = await client.call('handoff.complete', {
            id,
            outcome: draft.outcome as HandoffOutcome,
            notes: draft.notes,
            ...(personName ? { personName } : {}),
            ...(shareableSummary ? { shareableSummary } : {}),
          });
          data.getState().upsertHandoff(r.handoff);
          const { [id]: _done, ...rest } = get().drafts;
          persist(rest);
          set({ completeBusy: null, completed: { caseId: r.caseId, handoffId: id, incidentId: r.handoff.incidentId } });
          ui.getState().announce('Conference closed. Follow-up case opened.');
        } catch (err) {
          checkAuth(err);
          set({ completeBusy: null, completeError: `Not closed: ${errorMessage(err)}. Your notes are kept on this workstation.` });
        }
      },
      async setPresence(status) {
        set({ presenceBusy: status, presenceError: null });
        try {
          data.getState().upsertPresence(await client.call('presence.set', { status }));
          set({ presenceBusy: null });
        } catch (err) {
          checkAuth(err);
          set({ presenceBusy: null, presenceError: errorMessage(err) });
        }
      },
      dismissNotice() {
        set({ notice: null });
      },
      dismissCompleted() {
        set({ completed: null });
      },
      reset() {
        // Drafts stay: they belong to handoffs, and must survive a sign-out or lock.
        set({
          acceptBusy: null,
          notice: null,
          declining: null,
          declineReason: '',
          declineBusy: false,
          declineError: null,
          completeBusy: null,
          completeError: null,
          completed: null,
          presenceBusy: null,
          presenceError: null,
        });
      },
    };
  });

  // --- ui --------------------------------------------------------------------------------------
  const ui = createStore<UiState>()((set) => ({
    route: 'dispatch',
    focusCaseId: null,
    announcement: { text: '', n: 0 },
    setRoute(route) {
      set({ route });
    },
    openCase(caseId) {
      set({ route: 'caseload', focusCaseId: caseId });
    },
    announce(text) {
      set((s) => ({ announcement: { text, n: s.announcement.n + 1 } }));
    },
  }));

  // --- wiring ------------------------------------------------------------------------------------
  const offs: (() => void)[] = [];

  function onUserChanged(next: User | null): void {
    data.getState().reset();
    dispatch.getState().reset();
    clinician.getState().reset();
    ui.setState({ route: defaultRoute(next?.role), focusCaseId: null });
    if (next) data.getState().refreshAll();
  }

  let started = false;
  return {
    client,
    session,
    sync,
    data,
    dispatch,
    clinician,
    ui,
    start() {
      if (started) return;
      started = true;
      offs.push(
        client.on('sync.status', (status) => sync.setState({ status })),
        client.onConnection((connection) => {
          sync.setState({ connection });
          const s = session.getState();
          if (connection === 'connected' && !s.info && !s.loading) void s.load();
          // Events only report changes: ask once for the link's state as it is now.
          if (connection === 'connected') {
            client.call('sync.status', {}).then(
              (status) => sync.setState({ status }),
              () => undefined,
            );
          }
        }),
        client.on('session.changed', (info) => session.getState().apply(info)),
        client.on('data.changed', ({ entities }) => data.getState().refresh(entities)),
        client.on('handoff.ringing', (h) => {
          data.getState().upsertHandoff(h);
          if (!data.getState().incidents.some((i) => i.id === h.incidentId)) data.getState().refresh(['incident']);
        }),
        client.on('handoff.updated', (h) => {
          // A call that was ringing here and someone else took: say who has it, so this
          // clinician does not wonder where it went (or call the person back twice).
          const before = data.getState().handoffs[h.id];
          const me = user();
          if (before?.state === 'ringing' && h.state === 'accepted' && me && h.acceptedBy !== me.id && (me.role === 'clinician' || me.role === 'supervisor')) {
            clinician.setState({ notice: { text: `Taken by ${h.acceptedByName ?? 'another clinician'}`, tone: 'warn' } });
          }
          data.getState().upsertHandoff(h);
          const c = clinician.getState();
          if (c.declining === h.id && h.state !== 'ringing') c.cancelDecline();
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
    },
  };
}

function omit<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
}
