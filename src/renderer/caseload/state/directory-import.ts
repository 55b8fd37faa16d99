import type { StateCreator } from 'zustand/vanilla';
import type { DirectoryImportProgress, DirectoryImportReport } from '../../../shared/contract';
import type { ConsoleClient } from '../../client';
import { errorMessage } from '../../state/errors';
import type { CaseloadState } from '../store';

/**
 * Importing an Open Referral HSDS package from the console: the folder typed, the import
 * under way with its progress (the core tells each stage), then its report or why it failed.
 * Kept in the store, so leaving the directory screen and coming back mid-import still shows it.
 */
export interface DirectoryImportSlice {
  importDir: string;
  importing: boolean;
  /** The latest progress of the import under way; null before the core says anything. */
  importProgress: DirectoryImportProgress | null;
  importReport: DirectoryImportReport | null;
  importError: string | null;
  setImportDir(dir: string): void;
  /** Imports the folder typed; resolves with the report, or null when it failed (importError says why). */
  importDirectory(): Promise<DirectoryImportReport | null>;
  dismissImportReport(): void;
  /** Forgets the import on screen (a sign-out): a reply still on its way is dropped. */
  forgetImport(): void;
}

export const DIRECTORY_IMPORT_START = {
  importDir: '',
  importing: false,
  importProgress: null,
  importReport: null,
  importError: null,
} satisfies Partial<DirectoryImportSlice>;

export function directoryImportSlice({ client }: { client: ConsoleClient }): StateCreator<CaseloadState, [], [], DirectoryImportSlice> {
  /** Which import the screen is following: a reply for an older one is dropped. */
  let run = 0;
  return (set, get) => ({
    ...DIRECTORY_IMPORT_START,

    setImportDir(dir) {
      set({ importDir: dir });
    },

    async importDirectory() {
      const dir = get().importDir.trim();
      if (!dir || get().importing) return null;
      const mine = ++run;
      set({ importing: true, importProgress: null, importReport: null, importError: null });
      const off = client.on('directory.import.progress', (p) => {
        if (run === mine) set({ importProgress: p });
      });
      try {
        const report = await client.call('directory.import', { dir });
        if (run !== mine) return null;
        set({ importReport: report, importing: false, importProgress: null });
        return report;
      } catch (err) {
        if (run === mine) set({ importError: errorMessage(err), importing: false, importProgress: null });
        return null;
      } finally {
        off();
      }
    },

    dismissImportReport() {
      set({ importReport: null, importError: null });
    },

    forgetImport() {
      run++;
      set(DIRECTORY_IMPORT_START);
    },
  });
}

/** "Reading the package: read phones.csv (4 of 12)", for the progress line. */
export function progressText(p: DirectoryImportProgress | null): string {
  if (!p) return 'Starting the import…';
  const stage = {
    reading: 'Reading the package',
    parsing: 'Reading the tables',
    writing: 'Saving the directory',
    indexing: 'Making it searchable',
    done: 'Done',
    failed: 'Failed',
  }[p.stage];
  const count = p.total > 1 ? ` (${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')})` : '';
  return `${stage}: ${p.step}${count}`;
}

/** 0…1 across the whole import, for a progress bar: reading a tenth, parsing most, then writing and indexing. */
export function progressFraction(p: DirectoryImportProgress | null): number {
  if (!p) return 0;
  const within = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  switch (p.stage) {
    case 'reading':
      return 0.1 * within;
    case 'parsing':
      return 0.1 + 0.6 * within;
    case 'writing':
      return 0.75;
    case 'indexing':
      return 0.9;
    case 'done':
      return 1;
    case 'failed':
      return 0;
  }
}
