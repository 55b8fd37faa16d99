import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  RpcError,
  type CaseRecord,
  type DirectoryFacets,
  type DirectoryHit,
  type QueueRow,
  type RequestInput,
  type RequestName,
  type RequestOutput,
} from '../../shared/contract';
import type { ConsoleClient } from '../client';
import type { OriginFilter, RiskFilter } from './logic';

/**
 * State of the caseload screens, one store per console client (so it outlives a switch to
 * the live-call screen and back). The core sorts the queue; the renderer holds every open
 * case of the chosen scope and narrows it as the clinician types (no round trip per key).
 */
export type Screen =
  | { kind: 'queue' }
  | { kind: 'case'; caseId: string }
  | { kind: 'screening'; caseId: string; instrument: 'phq9' | 'cssrs' }
  | { kind: 'directory'; caseId: string | null };

export type StatusFilter = 'active' | 'open' | 'waiting' | 'closed';

export interface DirectoryForm {
  text: string;
  need: string;
  taxonomyTerm: string;
  language: string;
  age: string;
  openNow: boolean;
}

export interface CaseloadState {
  screen: Screen;

  scope: 'mine' | 'all';
  status: StatusFilter;
  risk: RiskFilter;
  origin: OriginFilter;
  search: string;
  rows: QueueRow[];
  total: number;
  loaded: boolean;
  queueError: string | null;
  selectedId: string | null;

  record: CaseRecord | null;
  recordError: string | null;
  /** Which action is being saved ('contact', 'note', …), for disabling its button. */
  busy: string | null;
  actionError: { action: string; message: string } | null;
  /** A short confirmation after a save ("Contact attempt logged"). */
  flash: string | null;

  dir: DirectoryForm;
  dirRows: DirectoryHit[];
  dirTotal: number;
  dirSize: number;
  dirError: string | null;
  dirLoaded: boolean;
  dirSelectedId: string | null;
  facets: DirectoryFacets | null;

  show(screen: Screen): void;
  setFilter(patch: Partial<Pick<CaseloadState, 'scope' | 'status' | 'risk' | 'origin'>>): void;
  setSearch(search: string): void;
  select(id: string | null): void;
  loadQueue(): Promise<void>;
  openCase(caseId: string): void;
  loadRecord(): Promise<void>;
  /** Runs one request for the open case; true when it was saved. */
  act<N extends RequestName>(action: string, name: N, input: RequestInput<N>, flash?: string): Promise<RequestOutput<N> | null>;
  clearError(): void;
  setDir(patch: Partial<DirectoryForm>): void;
  searchDirectory(): Promise<void>;
  selectService(id: string | null): void;
  reset(): void;
}

function message(err: unknown): string {
  if (err instanceof RpcError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

const EMPTY_DIR: DirectoryForm = { text: '', need: '', taxonomyTerm: '', language: '', age: '', openNow: false };

const initial = {
  screen: { kind: 'queue' } as Screen,
  scope: 'all' as const,
  status: 'active' as StatusFilter,
  risk: 'any' as RiskFilter,
  origin: 'any' as OriginFilter,
  search: '',
  rows: [] as QueueRow[],
  total: 0,
  loaded: false,
  queueError: null,
  selectedId: null,
  record: null,
  recordError: null,
  busy: null,
  actionError: null,
  flash: null,
  dir: EMPTY_DIR,
  dirRows: [] as DirectoryHit[],
  dirTotal: 0,
  dirSize: 0,
  dirError: null,
  dirLoaded: false,
  dirSelectedId: null,
  facets: null,
};

/** Every open case of the scope (the contract allows up to 20,000 in one reply). */
const ACTIVE_LIMIT = 20000;
/** Closed cases are many: the newest, narrowed by the core's search. */
const CLOSED_LIMIT = 500;

export function createCaseloadStore(client: ConsoleClient): StoreApi<CaseloadState> & { dispose(): void } {
  let queueSeq = 0;
  let recordSeq = 0;
  let dirSeq = 0;
  let queueTimer: ReturnType<typeof setTimeout> | null = null;
  let flashTimer: ReturnType<typeof setTimeout> | null = null;

  const store = createStore<CaseloadState>()((set, get) => ({
    ...initial,

    show(screen) {
      set({ screen, actionError: null });
      if (screen.kind === 'case' || screen.kind === 'screening') {
        if (get().record?.case.id !== screen.caseId) set({ record: null, recordError: null });
        void get().loadRecord();
      }
      if (screen.kind === 'directory') {
        if (!get().facets) void loadFacets();
        if (!get().dirLoaded) void get().searchDirectory();
      }
      if (screen.kind === 'queue' && !get().loaded) void get().loadQueue();
    },

    setFilter(patch) {
      const before = get();
      set(patch);
      if ((patch.scope && patch.scope !== before.scope) || (patch.status && patch.status !== before.status)) {
        set({ loaded: false });
        void get().loadQueue();
      }
    },

    setSearch(search) {
      set({ search });
      if (get().status === 'closed') scheduleQueue(200);
    },

    select(id) {
      set({ selectedId: id });
    },

    async loadQueue() {
      const seq = ++queueSeq;
      const { scope, status, search } = get();
      try {
        const closed = status === 'closed';
        const res = await client.call('case.queue', {
          scope,
          status,
          limit: closed ? CLOSED_LIMIT : ACTIVE_LIMIT,
          ...(closed && search.trim() ? { search: search.trim() } : {}),
        });
        if (seq !== queueSeq) return;
        set({ rows: res.rows, total: res.total, loaded: true, queueError: null });
      } catch (err) {
        if (seq !== queueSeq) return;
        set({ queueError: message(err), loaded: true });
      }
    },

    openCase(caseId) {
      set({ selectedId: caseId });
      get().show({ kind: 'case', caseId });
    },

    async loadRecord() {
      const screen = get().screen;
      if (screen.kind !== 'case' && screen.kind !== 'screening') return;
      const seq = ++recordSeq;
      try {
        const record = await client.call('case.get', { id: screen.caseId });
        if (seq !== recordSeq) return;
        set({ record, recordError: null });
      } catch (err) {
        if (seq !== recordSeq) return;
        set({ recordError: message(err) });
      }
    },

    async act(action, name, input, flash) {
      set({ busy: action, actionError: null });
      try {
        const out = await client.call(name, input);
        set({ busy: null });
        if (flash) {
          set({ flash });
          if (flashTimer) clearTimeout(flashTimer);
          flashTimer = setTimeout(() => set({ flash: null }), 4000);
        }
        await get().loadRecord();
        return out;
      } catch (err) {
        set({ busy: null, actionError: { action, message: message(err) } });
        return null;
      }
    },

    clearError() {
      set({ actionError: null });
    },

    setDir(patch) {
      set((s) => ({ dir: { ...s.dir, ...patch } }));
    },

    async searchDirectory() {
      const seq = ++dirSeq;
      const d = get().dir;
      const age = d.age.trim() === '' ? undefined : Number(d.age);
      try {
        const res = await client.call('directory.search', {
          text: d.text.trim() || undefined,
          need: d.need || undefined,
          taxonomyTerm: d.taxonomyTerm || undefined,
          language: d.language || undefined,
          age: age !== undefined && Number.isInteger(age) && age >= 0 && age <= 130 ? age : undefined,
          openNow: d.openNow || undefined,
          limit: 100,
        });
        if (seq !== dirSeq) return;
        const keep = res.rows.some((r) => r.id === get().dirSelectedId);
        set({
          dirRows: res.rows,
          dirTotal: res.total,
          dirSize: res.size,
          dirError: null,
          dirLoaded: true,
          dirSelectedId: keep ? get().dirSelectedId : (res.rows[0]?.id ?? null),
        });
      } catch (err) {
        if (seq !== dirSeq) return;
        set({ dirError: message(err), dirLoaded: true });
      }
    },

    selectService(id) {
      set({ dirSelectedId: id });
    },

    reset() {
      queueSeq++;
      recordSeq++;
      dirSeq++;
      set({ ...initial });
    },
  }));

  async function loadFacets(): Promise<void> {
    try {
      store.setState({ facets: await client.call('directory.facets', {}) });
    } catch {
      // The filters still work typed by hand.
    }
  }

  function scheduleQueue(ms: number): void {
    if (queueTimer) clearTimeout(queueTimer);
    queueTimer = setTimeout(() => {
      queueTimer = null;
      void store.getState().loadQueue();
    }, ms);
  }

  const offs = [
    client.on('data.changed', ({ entities }) => {
      const s = store.getState();
      if (entities.includes('case') || entities.includes('person')) {
        if (s.loaded) scheduleQueue(150);
      }
      if (['case', 'person', 'case_event', 'referral', 'task'].some((e) => entities.includes(e)) && s.record) void s.loadRecord();
      if (entities.includes('resource_service')) {
        store.setState({ facets: null, dirLoaded: false });
        if (s.screen.kind === 'directory') {
          void loadFacets();
          void s.searchDirectory();
        }
      }
    }),
    client.on('session.changed', (info) => {
      if (!info.user) store.getState().reset();
    }),
  ];

  return Object.assign(store, {
    dispose() {
      for (const off of offs) off();
      if (queueTimer) clearTimeout(queueTimer);
      if (flashTimer) clearTimeout(flashTimer);
    },
  });
}

const stores = new WeakMap<ConsoleClient, ReturnType<typeof createCaseloadStore>>();

/** The one caseload store of this console client. */
export function caseloadStoreFor(client: ConsoleClient): ReturnType<typeof createCaseloadStore> {
  let s = stores.get(client);
  if (!s) {
    s = createCaseloadStore(client);
    stores.set(client, s);
  }
  return s;
}
