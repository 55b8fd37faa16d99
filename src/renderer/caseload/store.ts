import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ConsoleClient } from '../client';
import { DIRECTORY_START, directorySlice, type DirectorySlice } from './state/directory';
import { directoryImportSlice, type DirectoryImportSlice } from './state/directory-import';
import { QUEUE_START, queueSlice, type QueueSlice } from './state/queue';
import { RECORD_START, recordSlice, type RecordSlice } from './state/record';
import { latestOnly, oneTimer } from './state/scheduling';

export type { DirectoryForm } from './state/directory';
export type { StatusFilter } from './state/queue';

/**
 * State of the caseload screens: the queue, the open record and the directory (one slice
 * each, in ./state), in one store per console, so it outlives a switch to the live-call
 * screen and back. This file is the navigation between them and their upkeep.
 */
export type Screen =
  | { kind: 'queue' }
  | { kind: 'case'; caseId: string }
  | { kind: 'screening'; caseId: string; instrument: 'phq9' | 'cssrs' }
  | { kind: 'directory'; caseId: string | null };

export interface NavigationSlice {
  screen: Screen;
  show(screen: Screen): void;
  openCase(caseId: string): void;
  /** The core changed these entities: reload what shows them. */
  refresh(entities: readonly string[]): void;
  /** Back to an empty queue screen (a sign-out: nothing of the last user stays). */
  reset(): void;
}

export type CaseloadState = NavigationSlice & QueueSlice & RecordSlice & DirectorySlice & DirectoryImportSlice;

export type CaseloadStore = StoreApi<CaseloadState> & { dispose(): void };

/** A burst of changes reloads the queue once. */
const CHANGE_DELAY_MS = 150;
/** Entities a case record shows. */
const RECORD_ENTITIES = ['case', 'person', 'case_event', 'referral', 'task'];

export function createCaseloadStore({ client }: { client: ConsoleClient }): CaseloadStore {
  const queueLoads = latestOnly();
  const recordLoads = latestOnly();
  const directoryLoads = latestOnly();
  const queueReload = oneTimer();
  const flashTimer = oneTimer();

  const store = createStore<CaseloadState>()((set, get, api) => ({
    ...queueSlice({ client, loads: queueLoads, reload: queueReload })(set, get, api),
    ...recordSlice({ client, loads: recordLoads, flashTimer })(set, get, api),
    ...directorySlice({ client, loads: directoryLoads })(set, get, api),
    ...directoryImportSlice({ client })(set, get, api),
    screen: { kind: 'queue' },

    show(screen) {
      set({ screen, actionError: null });
      if (screen.kind === 'case' || screen.kind === 'screening') {
        if (get().record?.case.id !== screen.caseId) set({ record: null, recordError: null });
        void get().loadRecord();
      }
      if (screen.kind === 'directory') {
        if (!get().facets) void get().loadFacets();
        if (!get().dirLoaded) void get().searchDirectory();
      }
      if (screen.kind === 'queue' && !get().loaded) void get().loadQueue();
    },

    openCase(caseId) {
      set({ selectedId: caseId });
      get().show({ kind: 'case', caseId });
    },

    refresh(entities) {
      const s = get();
      if ((entities.includes('case') || entities.includes('person')) && s.loaded) {
        queueReload.schedule(CHANGE_DELAY_MS, () => void get().loadQueue());
      }
      if (RECORD_ENTITIES.some((e) => entities.includes(e)) && s.record) void s.loadRecord();
      if (entities.includes('directory_suggestion') && s.screen.kind === 'directory') void s.loadSuggestions();
      if (entities.includes('resource_service')) {
        set({ facets: null, dirLoaded: false });
        if (s.screen.kind === 'directory') {
          void s.loadFacets();
          void s.searchDirectory();
        }
      }
    },

    reset() {
      for (const loads of [queueLoads, recordLoads, directoryLoads]) loads.cancel();
      queueReload.cancel();
      flashTimer.cancel();
      get().forgetImport();
      set({ ...QUEUE_START, ...RECORD_START, ...DIRECTORY_START, screen: { kind: 'queue' } });
    },
  }));

  return Object.assign(store, {
    dispose() {
      queueReload.cancel();
      flashTimer.cancel();
    },
  });
}
