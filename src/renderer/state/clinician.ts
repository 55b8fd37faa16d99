import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Handoff, HandoffOutcome, PresenceStatus } from '../../shared/entities';
import type { ConsoleClient } from '../client';
import { emptyDraft, loadDrafts, saveDrafts, type ConferenceDraft, type StorageLike } from '../storage';
import type { DataStore } from './data';
import { errorCode, errorDetail, errorMessage } from './errors';
import { currentUser, recheckSessionOn, type SessionStore } from './session';
import { type UiStore } from './ui';
import { may } from '../../shared/roles';

/** The clinician's desk: answering handoffs, the live conference's draft, availability. */
export interface ClinicianNotice {
  text: string;
  tone: 'warn' | 'danger';
  /** Caused by the link to the sync server: cleared once it is back. */
  offline?: boolean;
}

export interface CompletedConference {
  caseId: string;
  handoffId: string;
  incidentId: string;
}

export interface ClinicianState {
  acceptBusy: string | null;
  notice: ClinicianNotice | null;
  declining: string | null;
  declineReason: string;
  declineBusy: boolean;
  declineError: string | null;
  drafts: Record<string, ConferenceDraft>;
  draftSaveFailed: boolean;
  completeBusy: string | null;
  completeError: string | null;
  completed: CompletedConference | null;
  presenceBusy: PresenceStatus | null;
  presenceError: string | null;
  accept(id: string): Promise<void>;
  startDecline(id: string): void;
  setDeclineReason(reason: string): void;
  cancelDecline(): void;
  submitDecline(): Promise<void>;
  setDraft(id: string, patch: Partial<Omit<ConferenceDraft, 'updatedAt'>>): void;
  complete(id: string): Promise<void>;
  setPresence(status: PresenceStatus): Promise<void>;
  /** A handoff moved on elsewhere (`before` is how this console last saw it). */
  handoffMoved(before: Handoff | undefined, after: Handoff): void;
  dismissNotice(): void;
  /** The link to the sync server is back: errors it caused are no longer true. */
  reconnected(): void;
  dismissCompleted(): void;
  reset(): void;
}

export type ClinicianStore = StoreApi<ClinicianState>;

export interface ClinicianDeps {
  client: ConsoleClient;
  session: SessionStore;
  data: DataStore;
  ui: UiStore;
  /** Where conference drafts are kept between reloads; null keeps them in memory only. */
  storage: StorageLike | null;
  now: () => number;
}

// Drafts are not here: they belong to handoffs, and must survive a sign-out or lock.
const IDLE = {
  acceptBusy: null,
  notice: null,
  declining: null,
  declineReason: '',
  declineBusy: false,
  declineError: null,
  completeBusy: null,
  completeError: null,
  completed: null,
  presenceBusy: null,
  presenceError: null,
} satisfies Partial<ClinicianState>;

export function createClinicianStore({ client, session, data, ui, storage, now }: ClinicianDeps): ClinicianStore {
  return createStore<ClinicianState>()((set, get) => {
    const persist = (drafts: Record<string, ConferenceDraft>) => set({ drafts, draftSaveFailed: !saveDrafts(storage, drafts) });
    /** A refused answer: look again at the session and at what the handoffs really are now. */
    const refused = (err: unknown) => {
      recheckSessionOn(session, err);
      data.getState().refresh(['handoff']);
    };

    return {
      ...IDLE,
      drafts: loadDrafts(storage, now()),
      draftSaveFailed: false,
      async accept(id) {
        if (get().acceptBusy) return;
        set({ acceptBusy: id, notice: null, declining: null });
        try {
          data.getState().upsertHandoff(await client.call('handoff.accept', { id }));
          set({ completed: null });
        } catch (err) {
          if (errorCode(err) === 'conflict') {
            const name = errorDetail(err, 'acceptedByName');
            set({ notice: { text: name ? `Already taken by ${name}` : `Already taken: ${errorMessage(err)}`, tone: 'warn' } });
          } else {
            set({ notice: { text: `Could not accept: ${errorMessage(err)}`, tone: 'danger', offline: errorCode(err) === 'unavailable' } });
          }
          refused(err);
        } finally {
          set({ acceptBusy: null });
        }
      },
      startDecline(id) {
        set({ declining: id, declineReason: '', declineError: null });
      },
      setDeclineReason(reason) {
        set({ declineReason: reason, declineError: null });
      },
      cancelDecline() {
        set({ declining: null, declineReason: '', declineError: null });
      },
      async submitDecline() {
        const { declining: id, declineReason: reason, declineBusy } = get();
        if (!id || declineBusy) return;
        if (!reason.trim()) {
          set({ declineError: 'Give a reason so the dispatcher knows what to do next' });
          return;
        }
        set({ declineBusy: true, declineError: null });
        try {
          data.getState().upsertHandoff(await client.call('handoff.decline', { id, reason: reason.trim() }));
          set({ declining: null, declineReason: '', declineBusy: false });
        } catch (err) {
          // The reason stays in the box, to send again.
          set({ declineBusy: false, declineError: errorMessage(err) });
          refused(err);
        }
      },
      setDraft(id, patch) {
        const current = get().drafts[id] ?? emptyDraft();
        persist({ ...get().drafts, [id]: { ...current, ...patch, updatedAt: now() } });
        if (get().completeError && patch.outcome) set({ completeError: null });
      },
      async complete(id) {
        if (get().completeBusy) return;
        const draft = get().drafts[id] ?? emptyDraft();
        if (!draft.outcome) {
          set({ completeError: 'Choose an outcome (keys 1–5) before closing the conference' });
          return;
        }
        set({ completeBusy: id, completeError: null });
        try {
          const personName = draft.personName.trim();
          const shareableSummary = draft.shareableSummary.trim();
          const r = await client.call('handoff.complete', {
            id,
            outcome: draft.outcome as HandoffOutcome,
            notes: draft.notes,
            ...(personName ? { personName } : {}),
            ...(shareableSummary ? { shareableSummary } : {}),
            ...(draft.transfer
              ? { transfer: { line: draft.transfer.line, at: draft.transfer.at, ...(draft.transfer.line === 'other' ? { lineName: draft.transfer.lineName } : {}) } }
              : {}),
          });
          data.getState().upsertHandoff(r.handoff);
          const { [id]: _done, ...rest } = get().drafts;
          persist(rest);
          set({ completeBusy: null, completed: { caseId: r.caseId, handoffId: id, incidentId: r.handoff.incidentId } });
          ui.getState().announce('Conference closed. Follow-up case opened.');
        } catch (err) {
          recheckSessionOn(session, err);
          set({ completeBusy: null, completeError: `Not closed: ${errorMessage(err)}. Your notes are kept on this workstation.` });
        }
      },
      async setPresence(status) {
        set({ presenceBusy: status, presenceError: null });
        try {
          data.getState().upsertPresence(await client.call('presence.set', { status }));
          set({ presenceBusy: null });
        } catch (err) {
          recheckSessionOn(session, err);
          set({ presenceBusy: null, presenceError: errorMessage(err) });
        }
      },
      handoffMoved(before, after) {
        // A call that was ringing here and someone else took: say who has it, so this
        // clinician does not wonder where it went (or call the person back twice).
        const me = currentUser(session);
        if (before?.state === 'ringing' && after.state === 'accepted' && me && after.acceptedBy !== me.id && may(me.role, 'handoff.answer')) {
          set({ notice: { text: `Taken by ${after.acceptedByName ?? 'another clinician'}`, tone: 'warn' } });
        }
        if (get().declining === after.id && after.state !== 'ringing') get().cancelDecline();
      },
      dismissNotice() {
        set({ notice: null });
      },
      reconnected() {
        if (get().notice?.offline) set({ notice: null });
        data.getState().refresh(['handoff', 'presence']);
      },
      dismissCompleted() {
        set({ completed: null });
      },
      reset() {
        set({ ...IDLE });
      },
    };
  });
}
