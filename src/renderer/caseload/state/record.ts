import type { StateCreator } from 'zustand/vanilla';
import type { CaseRecord, RequestInput, RequestName, RequestOutput } from '../../../shared/contract';
import type { ConsoleClient } from '../../client';
import { errorMessage } from '../../state/errors';
import type { CaseloadState } from '../store';
import type { LatestOnly, OneTimer } from './scheduling';

/** The open case record, and the requests the clinician runs on it (one at a time, per action). */
export interface RecordSlice {
  record: CaseRecord | null;
  recordError: string | null;
  /** Which action is being saved ('contact', 'note', …), for disabling its button. */
  busy: string | null;
  actionError: { action: string; message: string } | null;
  /** A short confirmation after a save ("Contact attempt logged"). */
  flash: string | null;
  loadRecord(): Promise<void>;
  /**
   * Runs one request for the open case: its output when saved, null when refused (the
   * refusal is in `actionError` under the action's name, so the form stays open as typed).
   */
  act<N extends RequestName>(action: string, name: N, input: RequestInput<N>, flash?: string): Promise<RequestOutput<N> | null>;
  /** A form turns down its own input before sending anything; shown where a refusal would be. */
  refuse(action: string, message: string): void;
  clearError(): void;
}

export const RECORD_START = {
  record: null,
  recordError: null,
  busy: null,
  actionError: null,
  flash: null,
} satisfies Partial<RecordSlice>;

/** How long a confirmation stays up. */
export const FLASH_MS = 4000;

export interface RecordDeps {
  client: ConsoleClient;
  loads: LatestOnly;
  /** Takes the confirmation down again. */
  flashTimer: OneTimer;
}

export function recordSlice({ client, loads, flashTimer }: RecordDeps): StateCreator<CaseloadState, [], [], RecordSlice> {
  return (set, get) => ({
    ...RECORD_START,

    async loadRecord() {
      const screen = get().screen;
      if (screen.kind !== 'case' && screen.kind !== 'screening') return;
      const latest = loads.begin();
      try {
        const record = await client.call('case.get', { id: screen.caseId });
        if (latest()) set({ record, recordError: null });
      } catch (err) {
        if (latest()) set({ recordError: errorMessage(err) });
      }
    },

    async act(action, name, input, flash) {
      set({ busy: action, actionError: null });
      try {
        const out = await client.call(name, input);
        set({ busy: null });
        if (flash) {
          set({ flash });
          flashTimer.schedule(FLASH_MS, () => set({ flash: null }));
        }
        await get().loadRecord();
        return out;
      } catch (err) {
        set({ busy: null, actionError: { action, message: errorMessage(err) } });
        return null;
      }
    },

    refuse(action, message) {
      set({ actionError: { action, message } });
    },

    clearError() {
      set({ actionError: null });
    },
  });
}
