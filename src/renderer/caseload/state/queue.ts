import type { StateCreator } from 'zustand/vanilla';
import type { QueueRow } from '../../../shared/contract';
import type { ConsoleClient } from '../../client';
import { errorMessage } from '../../state/errors';
import type { OriginFilter, RiskFilter } from '../logic';
import type { CaseloadState } from '../store';
import type { LatestOnly, OneTimer } from './scheduling';

/**
 * The follow-up queue. The core sorts it; the renderer holds every open case of the chosen
 * scope and narrows it as the clinician types (no round trip per key). Closed cases are
 * many, so for those the core searches.
 */
export type StatusFilter = 'active' | 'open' | 'waiting' | 'closed';

export interface QueueSlice {
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
  setFilter(patch: Partial<Pick<QueueSlice, 'scope' | 'status' | 'risk' | 'origin'>>): void;
  setSearch(search: string): void;
  select(id: string | null): void;
  loadQueue(): Promise<void>;
}

export const QUEUE_START = {
  scope: 'all',
  status: 'active',
  risk: 'any',
  origin: 'any',
  search: '',
  rows: [],
  total: 0,
  loaded: false,
  queueError: null,
  selectedId: null,
} satisfies Partial<QueueSlice>;

/** Every open case of the scope (the contract allows up to 20,000 in one reply). */
const ACTIVE_LIMIT = 20000;
/** Closed cases are many: the newest, narrowed by the core's search. */
const CLOSED_LIMIT = 500;
/** How long typing may pause before the core searches closed cases. */
export const SEARCH_DELAY_MS = 200;

export interface QueueDeps {
  client: ConsoleClient;
  loads: LatestOnly;
  /** Delayed queue reloads (typing in a closed-case search, a burst of changes). */
  reload: OneTimer;
}

export function queueSlice({ client, loads, reload }: QueueDeps): StateCreator<CaseloadState, [], [], QueueSlice> {
  return (set, get) => ({
    ...QUEUE_START,

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
      if (get().status === 'closed') reload.schedule(SEARCH_DELAY_MS, () => void get().loadQueue());
    },

    select(id) {
      set({ selectedId: id });
    },

    async loadQueue() {
      const latest = loads.begin();
      const { scope, status, search } = get();
      try {
        const closed = status === 'closed';
        const res = await client.call('case.queue', {
          scope,
          status,
          limit: closed ? CLOSED_LIMIT : ACTIVE_LIMIT,
          ...(closed && search.trim() ? { search: search.trim() } : {}),
        });
        if (latest()) set({ rows: res.rows, total: res.total, loaded: true, queueError: null });
      } catch (err) {
        if (latest()) set({ queueError: errorMessage(err), loaded: true });
      }
    },
  });
}
