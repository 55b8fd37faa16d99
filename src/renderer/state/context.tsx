import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { ClinicianState } from './clinician';
import type { DataState } from './data';
import type { DispatchState } from './dispatch';
import type { DraftsState } from './drafts';
import type { SessionState } from './session';
import type { AppStores } from './stores';
import type { SyncState } from './sync';
import type { UiState } from './ui';

const StoresContext = createContext<AppStores | null>(null);

export function StoresProvider({ stores, children }: { stores: AppStores; children: ReactNode }) {
  return <StoresContext.Provider value={stores}>{children}</StoresContext.Provider>;
}

export function useStores(): AppStores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('useStores outside StoresProvider');
  return stores;
}

// Selectors must return stable values (a field, not a fresh object), or React re-renders forever.
export const useSession = <T,>(sel: (s: SessionState) => T): T => useStore(useStores().session, sel);
export const useSync = <T,>(sel: (s: SyncState) => T): T => useStore(useStores().sync, sel);
export const useData = <T,>(sel: (s: DataState) => T): T => useStore(useStores().data, sel);
export const useDispatch = <T,>(sel: (s: DispatchState) => T): T => useStore(useStores().dispatch, sel);
export const useClinician = <T,>(sel: (s: ClinicianState) => T): T => useStore(useStores().clinician, sel);
export const useUi = <T,>(sel: (s: UiState) => T): T => useStore(useStores().ui, sel);
export const useDrafts = <T,>(sel: (s: DraftsState) => T): T => useStore(useStores().drafts, sel);
