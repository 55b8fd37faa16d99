import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Role } from '../../shared/roles';

/** Which screen shows, and what screen readers are told. */
export type Route = 'dispatch' | 'clinician' | 'caseload';

// Which desks a role works. The lead points these at the shared role policy (src/shared/roles.ts).
export function isClinicalRole(role: Role | null | undefined): boolean {
  return role === 'clinician' || role === 'supervisor';
}
export function isDispatchRole(role: Role | null | undefined): boolean {
  return role === 'dispatcher' || role === 'supervisor' || role === 'admin';
}
export function defaultRoute(role: Role | null | undefined): Route {
  return role === 'clinician' ? 'clinician' : 'dispatch';
}

export interface UiState {
  route: Route;
  /** A case the caseload screen should open when it next shows (set by "Open case" after a conference). */
  focusCaseId: string | null;
  announcement: { text: string; n: number };
  setRoute(route: Route): void;
  openCase(caseId: string): void;
  announce(text: string): void;
  /** A new user starts on their role's own screen, with no case waiting to open. */
  reset(role: Role | null | undefined): void;
}

export type UiStore = StoreApi<UiState>;

export function createUiStore(): UiStore {
  return createStore<UiState>()((set) => ({
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
    reset(role) {
      set({ route: defaultRoute(role), focusCaseId: null });
    },
  }));
}
