import { createStore, type StoreApi } from 'zustand/vanilla';
import { defaultConsoleView, type ConsoleView, type Role } from '../../shared/roles';

/** Which screen shows (the screens a role has come from the role policy), and what screen readers are told. */
export type Route = ConsoleView;

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
      set({ route: defaultConsoleView(role), focusCaseId: null });
    },
  }));
}
