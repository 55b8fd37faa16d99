import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Handoff, Incident, Presence } from '../../shared/entities';
import type { LivePresence } from '../../shared/contract';
import type { ConsoleClient } from '../client';
import { mergeHandoff } from '../logic/handoff';
import { errorMessage } from './errors';
import { currentUser, recheckSessionOn, type SessionStore } from './session';
import { consoleViewsFor } from '../../shared/roles';

/**
 * The rows both desks work from: open incidents, handoffs and clinician presence, loaded
 * from the core and kept current by its events.
 */
export interface DataState {
  incidents: Incident[];
  incidentsLoaded: boolean;
  incidentsError: string | null;
  handoffs: Record<string, Handoff>;
  handoffsError: string | null;
  presence: Presence[];
  presenceError: string | null;
  /** Who F9 would ring now (the sync server's answerers); null until the core has said. */
  live: LivePresence | null;
  setLive(live: LivePresence): void;
  refresh(entities: readonly string[]): void;
  refreshAll(): void;
  reset(): void;
  upsertIncident(incident: Incident): void;
  upsertHandoff(handoff: Handoff): void;
  upsertPresence(presence: Presence): void;
}

export type DataStore = StoreApi<DataState>;

const EMPTY = {
  incidents: [],
  incidentsLoaded: false,
  incidentsError: null,
  handoffs: {},
  handoffsError: null,
  presence: [],
  presenceError: null,
  live: null,
} satisfies Partial<DataState>;

type ListError = 'incidentsError' | 'handoffsError' | 'presenceError';

export function createDataStore({ client, session }: { client: ConsoleClient; session: SessionStore }): DataStore {
  /** When each row was last written locally (event or reply), to survive a list reply that left before it. */
  const touched = new Map<string, number>();
  let seq = 0;
  /** Bumped when the user changes, so a reply for the previous user is dropped. */
  let generation = 0;
  const touch = (key: string) => touched.set(key, ++seq);
  const touchedSince = (key: string, startSeq: number) => (touched.get(key) ?? 0) > startSeq;

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
    const kept = current.filter((x) => !ids.has(x.id) && touchedSince(`${kind}:${x.id}`, startSeq));
    const local = new Map(current.map((x) => [x.id, x]));
    return [...fresh.map((x) => (touchedSince(`${kind}:${x.id}`, startSeq) ? (local.get(x.id) ?? x) : x)), ...kept];
  }

  /**
   * One list loader: fetch, and unless a newer sign-in has started meanwhile, apply the
   * result or record the error under its own key (an expired session signs out instead).
   */
  function listLoader<T>(fetch: () => Promise<T>, apply: (list: T, startSeq: number) => void, errorKey: ListError): () => void {
    return coalesced(async (gen, startSeq) => {
      try {
        const list = await fetch();
        if (gen === generation) apply(list, startSeq);
      } catch (err) {
        if (gen !== generation) return;
        recheckSessionOn(session, err);
        store.setState({ [errorKey]: errorMessage(err) } as Partial<DataState>);
      }
    });
  }

  const loadIncidents = listLoader(
    () => client.call('incident.list', { includeClosed: false }),
    (list, startSeq) =>
      store.setState((s) => ({ incidents: reconcile('incident', s.incidents, list, startSeq), incidentsLoaded: true, incidentsError: null })),
    'incidentsError',
  );

  const loadHandoffs = listLoader(
    // Answering consoles need what is live now; a console with the dispatch screen also shows how recent requests ended.
    () => client.call('handoff.list', { live: !consoleViewsFor(currentUser(session)?.role).includes('dispatch') }),
    (list, startSeq) =>
      store.setState((s) => {
        const next: Record<string, Handoff> = {};
        for (const h of list) next[h.id] = mergeHandoff(s.handoffs[h.id], h);
        for (const [id, h] of Object.entries(s.handoffs)) {
          if (!next[id] && touchedSince(`handoff:${id}`, startSeq)) next[id] = h;
        }
        return { handoffs: next, handoffsError: null };
      }),
    'handoffsError',
  );

  const loadPresence = listLoader(
    () => client.call('presence.list', {}),
    (list, startSeq) => store.setState((s) => ({ presence: reconcile('presence', s.presence, list, startSeq), presenceError: null })),
    'presenceError',
  );

  const loadLive = coalesced(async (gen) => {
    try {
      const live = await client.call('presence.live', {});
      if (gen === generation) store.setState({ live });
    } catch (err) {
      if (gen !== generation) return;
      recheckSessionOn(session, err);
      store.setState({ live: { known: false, answerers: [] } });
    }
  });

  const store = createStore<DataState>()((set, get) => ({
    ...EMPTY,
    setLive(live) {
      set({ live });
    },
    refresh(entities) {
      if (!currentUser(session)) return;
      if (entities.includes('incident')) loadIncidents();
      if (entities.includes('handoff')) loadHandoffs();
      if (entities.includes('presence')) {
        loadPresence();
        loadLive();
      }
    },
    refreshAll() {
      get().refresh(['incident', 'handoff', 'presence']);
    },
    reset() {
      generation++;
      touched.clear();
      set({ ...EMPTY });
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
  return store;
}
