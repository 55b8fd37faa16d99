import type { HandoffOutcome } from '../shared/entities';

/** The parts of localStorage the renderer uses; null where there is none (tests, locked-down profiles). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function browserStorage(): StorageLike | null {
  try {
    const s = (globalThis as { localStorage?: StorageLike }).localStorage;
    if (!s) return null;
    const probe = '__tandem_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

/** What the clinician has typed during a live conference, before it is closed. */
export interface ConferenceDraft {
  notes: string;
  outcome: HandoffOutcome | null;
  personName: string;
  /** What may go back to dispatch / CAD with the outcome (CAD incidents only). */
  shareableSummary: string;
  /** A warm transfer to a crisis line made during the call, with the time the button was pressed; on the case when the conference closes. */
  transfer: { line: '988' | 'other'; lineName: string; at: string } | null;
  /** The other crisis line's name as typed, before "Transferred" is pressed. */
  otherLine: string;
  updatedAt: number;
}

export const DRAFTS_KEY = 'tandem.conferenceDrafts.v1';
/** Drafts nobody came back to for this long are dropped when the console starts. */
export const DRAFT_MAX_AGE_MS = 14 * 24 * 3600_000;

export function emptyDraft(): ConferenceDraft {
  return { notes: '', outcome: null, personName: '', shareableSummary: '', transfer: null, otherLine: '', updatedAt: 0 };
}

export function loadDrafts(storage: StorageLike | null, now: number): Record<string, ConferenceDraft> {
  if (!storage) return {};
  try {
    const raw = storage.getItem(DRAFTS_KEY);
    if (!raw) return {};
    const parsed = JSON.parse(raw) as Record<string, Partial<ConferenceDraft>>;
    const out: Record<string, ConferenceDraft> = {};
    for (const [id, d] of Object.entries(parsed ?? {})) {
      if (!d || typeof d !== 'object') continue;
      const updatedAt = typeof d.updatedAt === 'number' ? d.updatedAt : 0;
      if (now - updatedAt > DRAFT_MAX_AGE_MS) continue;
      out[id] = {
        notes: typeof d.notes === 'string' ? d.notes : '',
        outcome: typeof d.outcome === 'string' ? (d.outcome as HandoffOutcome) : null,
        personName: typeof d.personName === 'string' ? d.personName : '',
        shareableSummary: typeof d.shareableSummary === 'string' ? d.shareableSummary : '',
        transfer: readTransfer(d.transfer),
        otherLine: typeof d.otherLine === 'string' ? d.otherLine : '',
        updatedAt,
      };
    }
    return out;
  } catch {
    return {};
  }
}

function readTransfer(t: unknown): ConferenceDraft['transfer'] {
  if (!t || typeof t !== 'object') return null;
  const { line, lineName, at } = t as Record<string, unknown>;
  if ((line !== '988' && line !== 'other') || typeof lineName !== 'string' || typeof at !== 'string' || Number.isNaN(Date.parse(at))) return null;
  return { line, lineName, at };
}

/** Saves every draft; returns false when the storage refused (full, disabled). */
export function saveDrafts(storage: StorageLike | null, drafts: Record<string, ConferenceDraft>): boolean {
  if (!storage) return false;
  try {
    if (Object.keys(drafts).length === 0) storage.removeItem(DRAFTS_KEY);
    else storage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
    return true;
  } catch {
    return false;
  }
}

/**
 * What was typed into a form on a case record (note, contact, task, screening, referral,
 * safety plan…) and not saved yet: kept the same way as conference drafts, so Esc, another
 * screen, a lock or a restart lose nothing. Keyed `<user id>|<case id>|<form>`: one
 * clinician's unsaved words never open in another's form on a shared workstation.
 */
export interface FormDraft {
  /** The form's own fields (strings, numbers, booleans, null, and lists or maps of them). */
  fields: Record<string, unknown>;
  updatedAt: number;
}

export const FORM_DRAFTS_KEY = 'tandem.formDrafts.v1';

export function formDraftKey(userId: string, caseId: string, form: string): string {
  return `${userId}|${caseId}|${form}`;
}

export function loadFormDrafts(storage: StorageLike | null, now: number): Record<string, FormDraft> {
  if (!storage) return {};
  try {
    const raw = storage.getItem(FORM_DRAFTS_KEY);
    if (!raw) return {};
    const parsed = JSON.parse(raw) as Record<string, Partial<FormDraft>>;
    const out: Record<string, FormDraft> = {};
    for (const [key, d] of Object.entries(parsed ?? {})) {
      if (!d || typeof d !== 'object' || !d.fields || typeof d.fields !== 'object' || Array.isArray(d.fields)) continue;
      const updatedAt = typeof d.updatedAt === 'number' ? d.updatedAt : 0;
      if (now - updatedAt > DRAFT_MAX_AGE_MS) continue;
      out[key] = { fields: d.fields as Record<string, unknown>, updatedAt };
    }
    return out;
  } catch {
    return {};
  }
}

/** Saves every form draft; returns false when the storage refused (full, disabled). */
export function saveFormDrafts(storage: StorageLike | null, drafts: Record<string, FormDraft>): boolean {
  if (!storage) return false;
  try {
    if (Object.keys(drafts).length === 0) storage.removeItem(FORM_DRAFTS_KEY);
    else storage.setItem(FORM_DRAFTS_KEY, JSON.stringify(drafts));
    return true;
  } catch {
    return false;
  }
}
