import type { DirectorySuggestion } from '../../../shared/entities';
import type { StateCreator } from 'zustand/vanilla';
import type { DirectoryFacets, DirectoryHit } from '../../../shared/contract';
import type { ConsoleClient } from '../../client';
import { errorMessage } from '../../state/errors';
import type { CaseloadState } from '../store';
import type { LatestOnly } from './scheduling';

/** The service directory search, as the clinician fills in its filters. */
export interface DirectoryForm {
  text: string;
  need: string;
  taxonomyTerm: string;
  language: string;
  age: string;
  openNow: boolean;
}

export interface DirectorySlice {
  dir: DirectoryForm;
  dirRows: DirectoryHit[];
  dirTotal: number;
  dirSize: number;
  dirError: string | null;
  dirLoaded: boolean;
  dirSelectedId: string | null;
  facets: DirectoryFacets | null;
  setDir(patch: Partial<DirectoryForm>): void;
  searchDirectory(): Promise<void>;
  /** The filters' choices (needs, languages, …); without them the filters still work typed by hand. */
  loadFacets(): Promise<void>;
  selectService(id: string | null): void;
  /** Directory corrections this console holds (issue 13): a manager's to decide, a clinician's own. */
  suggestions: DirectorySuggestion[];
  loadSuggestions(): Promise<void>;
}

const EMPTY_FORM: DirectoryForm = { text: '', need: '', taxonomyTerm: '', language: '', age: '', openNow: false };

export const DIRECTORY_START = {
  dir: EMPTY_FORM,
  dirRows: [],
  dirTotal: 0,
  dirSize: 0,
  dirError: null,
  dirLoaded: false,
  dirSelectedId: null,
  facets: null,
  suggestions: [] as DirectorySuggestion[],
} satisfies Partial<DirectorySlice>;

/** The age filter as the contract takes it: a whole number of years, or none. */
function ageFilter(typed: string): number | undefined {
  if (typed.trim() === '') return undefined;
  const age = Number(typed);
  return Number.isInteger(age) && age >= 0 && age <= 130 ? age : undefined;
}

export function directorySlice({ client, loads }: { client: ConsoleClient; loads: LatestOnly }): StateCreator<CaseloadState, [], [], DirectorySlice> {
  return (set, get) => ({
    ...DIRECTORY_START,

    setDir(patch) {
      set((s) => ({ dir: { ...s.dir, ...patch } }));
    },

    async searchDirectory() {
      const latest = loads.begin();
      const d = get().dir;
      try {
        const res = await client.call('directory.search', {
          text: d.text.trim() || undefined,
          need: d.need || undefined,
          taxonomyTerm: d.taxonomyTerm || undefined,
          language: d.language || undefined,
          age: ageFilter(d.age),
          openNow: d.openNow || undefined,
          limit: 100,
        });
        if (!latest()) return;
        // The selection stays on its service while that is still found; else the first hit.
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
        if (latest()) set({ dirError: errorMessage(err), dirLoaded: true });
      }
    },

    async loadFacets() {
      try {
        set({ facets: await client.call('directory.facets', {}) });
      } catch {
        // The filters still work typed by hand.
      }
    },

    selectService(id) {
      set({ dirSelectedId: id });
    },

    async loadSuggestions() {
      try {
        set({ suggestions: await client.call('directory.suggestions', { status: 'all' }) });
      } catch {
        // A role without suggestions (or a console signing out): none shown.
        set({ suggestions: [] });
      }
    },
  });
}
