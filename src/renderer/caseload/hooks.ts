import { useStore } from 'zustand';
import { useStores } from '../state/context';
import type { CaseloadState, CaseloadStore } from './store';

export function useCaseloadStore(): CaseloadStore {
  return useStores().caseload;
}

/** Selectors must return stable values (a field, not a fresh object). */
export function useCaseload<T>(sel: (s: CaseloadState) => T): T {
  return useStore(useCaseloadStore(), sel);
}
