import { createStore, type StoreApi } from 'zustand/vanilla';
import { loadFormDrafts, saveFormDrafts, type FormDraft, type StorageLike } from '../storage';

/**
 * Unsaved case-record forms, by `formDraftKey` (storage.ts): written through to the
 * workstation's storage on every change, as conference drafts are, and dropped when the form
 * is saved or its draft discarded. A sign-out does not clear them: they are keyed by user.
 */
export interface DraftsState {
  drafts: Record<string, FormDraft>;
  /** The last write to storage failed: what is typed lives only in this window. */
  saveFailed: boolean;
  put(key: string, fields: Record<string, unknown>): void;
  drop(key: string): void;
}

export type DraftsStore = StoreApi<DraftsState>;

export function createDraftsStore({ storage, now }: { storage: StorageLike | null; now: () => number }): DraftsStore {
  return createStore<DraftsState>()((set, get) => {
    const persist = (drafts: Record<string, FormDraft>) => set({ drafts, saveFailed: !saveFormDrafts(storage, drafts) });
    return {
      drafts: loadFormDrafts(storage, now()),
      saveFailed: false,
      put(key, fields) {
        persist({ ...get().drafts, [key]: { fields, updatedAt: now() } });
      },
      drop(key) {
        if (!(key in get().drafts)) return;
        const { [key]: _gone, ...rest } = get().drafts;
        persist(rest);
      },
    };
  });
}
