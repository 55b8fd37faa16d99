import { useStore } from 'zustand';
import { useStores } from '../state/context';
import { caseloadStoreFor, type CaseloadState } from './store';

export function useCaseloadStore() {
  return caseloadStoreFor(useStores().client);
}

/** Selectors must return stable values (a field, not a fresh object). */
export function useCaseload<T>(sel: (s: CaseloadState) => T): T {
  return useStore(useCaseloadStore(), sel);
}
