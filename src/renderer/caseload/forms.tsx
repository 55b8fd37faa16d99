import { useCallback, useMemo, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { RequestInput, RequestName } from '../../shared/contract';
import { useDrafts, useSession, useStores } from '../state/context';
import { formDraftKey } from '../storage';
import { Kbd } from '../views/common';
import { useCaseload, useCaseloadStore } from './hooks';

/**
 * What the caseload's forms share: the panel every case form sits in, a row of radio
 * choices, the line that says why an action was refused, the hook that runs an action, and
 * local-time values for <input type="datetime-local">.
 */

/**
 * One action on the open case, by its name ('note', 'close', `ref-<id>`, …): whether it is
 * saving, `save` to send it (its output, or null when refused), `refuse` to turn the form's
 * own input down before sending anything.
 */
export function useCaseAction(action: string) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === action);
  return {
    busy,
    save: <N extends RequestName>(name: N, input: RequestInput<N>, flash?: string) => store.getState().act(action, name, input, flash),
    refuse: (message: string) => store.getState().refuse(action, message),
  };
}

export interface FormDraftHandle<T> {
  /** What the form shows: the kept draft over the form's starting values. */
  value: T;
  /** Changes some fields; the draft is written to the workstation at once. */
  update(patch: Partial<T> | ((current: T) => Partial<T>)): void;
  /** The form was saved or its draft discarded: nothing kept. */
  clear(): void;
  /** Something typed differs from the form's starting values and is kept. */
  dirty: boolean;
  /** This workstation could not keep the draft (storage full or refused). */
  saveFailed: boolean;
}

/**
 * A case-record form's fields, kept as a draft on this workstation (state/drafts.ts) for this
 * user, case and form: Esc, another screen, a lock or a restart and the form opens again as
 * it was left. Back to its starting values, the draft is dropped.
 */
export function useFormDraft<T extends Record<string, unknown>>(caseId: string, form: string, initial: T | (() => T)): FormDraftHandle<T> {
  const { drafts } = useStores();
  const userId = useSession((s) => s.info?.user?.id ?? '');
  const key = formDraftKey(userId, caseId, form);
  const [start] = useState(initial);
  const stored = useDrafts((s) => s.drafts[key]);
  const saveFailed = useDrafts((s) => s.saveFailed);
  const value = useMemo(() => (stored ? ({ ...start, ...stored.fields } as T) : start), [stored, start]);
  const update = useCallback(
    (patch: Partial<T> | ((current: T) => Partial<T>)) => {
      const kept = drafts.getState().drafts[key];
      const current = (kept ? { ...start, ...kept.fields } : start) as T;
      const next = { ...current, ...(typeof patch === 'function' ? patch(current) : patch) };
      if (JSON.stringify(next) === JSON.stringify(start)) drafts.getState().drop(key);
      else drafts.getState().put(key, next);
    },
    [drafts, key, start],
  );
  const clear = useCallback(() => drafts.getState().drop(key), [drafts, key]);
  return { value, update, clear, dirty: !!stored, saveFailed };
}

/**
 * Whether this user has a kept draft of a form on a case (the case's action buttons say so):
 * `form` itself or any of its kinds (`refer` covers `refer:<service>`).
 */
export function useHasDraft(caseId: string, form: string): boolean {
  const userId = useSession((s) => s.info?.user?.id ?? '');
  const base = formDraftKey(userId, caseId, form);
  return useDrafts((s) => Object.keys(s.drafts).some((k) => k === base || k.startsWith(`${base}:`)));
}

/** The mark beside an action whose form has a kept draft. */
export function DraftMark({ caseId, form }: { caseId: string; form: string }) {
  return useHasDraft(caseId, form) ? <span className="draft-mark">draft</span> : null;
}

/** Under a form with a kept draft: that it is kept, or that it could not be. */
export function DraftNote({ draft }: { draft: Pick<FormDraftHandle<unknown>, 'dirty' | 'saveFailed'> }) {
  if (draft.saveFailed) {
    return (
      <p className="form-error" role="alert">
        This workstation could not keep the draft: save it before leaving this screen.
      </p>
    );
  }
  if (!draft.dirty) return null;
  return <p className="hint draft-note">Draft kept on this workstation until saved: Esc keeps it.</p>;
}

/** 'YYYY-MM-DDTHH:mm' in local time, for <input type="datetime-local">. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The instant a datetime-local value means, as ISO; null when empty or not a time. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The reason an action was refused (by the form itself or by the core), under that action's form. */
export function ActionError({ action }: { action: string }) {
  const err = useCaseload((s) => s.actionError);
  if (!err || err.action !== action) return null;
  return (
    <p className="form-error" role="alert">
      {err.message}
    </p>
  );
}

/** A form that closes on Esc and saves on Ctrl+Enter from anywhere inside it. */
export function Panel({ title, onCancel, onSubmit, children, busy, submit, danger, draft }: {
  title: string;
  onCancel: () => void;
  onSubmit: () => void;
  children: ReactNode;
  busy: boolean;
  submit: string;
  danger?: boolean;
  /** The form's kept draft: said under the form, and a button drops it. */
  draft?: Pick<FormDraftHandle<unknown>, 'dirty' | 'saveFailed' | 'clear'>;
}) {
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onSubmit();
    } else if (e.key === 'Enter' && !e.shiftKey) {
      // Enter on a choice (radio, checkbox, select) saves too, as it does in a text field.
      const t = e.target as HTMLElement;
      const type = (t as HTMLInputElement).type;
      if (t.tagName === 'SELECT' || (t.tagName === 'INPUT' && (type === 'radio' || type === 'checkbox'))) {
        e.preventDefault();
        onSubmit();
      }
    }
  };
  return (
    <form
      className={`cl-panel${danger ? ' cl-panel-danger' : ''}`}
      aria-label={title}
      onKeyDown={onKeyDown}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h2>{title}</h2>
      {children}
      {draft && <DraftNote draft={draft} />}
      <div className="form-actions">
        <button type="submit" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy}>
          {busy ? 'Saving…' : submit}
        </button>
        <CancelOrDiscard draft={draft} onCancel={onCancel} />
      </div>
    </form>
  );
}

export function Choice<T extends string>({ name, legend, options, value, onChange, labels, keys }: {
  name: string;
  legend: ReactNode;
  options: readonly T[];
  value: T | null;
  onChange: (v: T) => void;
  labels: Record<T, string>;
  /** Key shown beside each option (the form maps the keys). */
  keys?: readonly string[];
}) {
  return (
    <fieldset className="choice">
      <legend>{legend}</legend>
      <div className="choice-grid">
        {options.map((o, i) => (
          <label key={o} className={`outcome${value === o ? ' is-checked' : ''}`}>
            <input type="radio" name={name} value={o} checked={value === o} onChange={() => onChange(o)} />
            {keys?.[i] && <Kbd>{keys[i]}</Kbd>}
            <span>{labels[o]}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** Cancel (or Close, when a draft is kept) and, with a draft, Discard draft: one pair for every form that keeps drafts. */
export function CancelOrDiscard({ draft, onCancel }: { draft?: { dirty: boolean; clear: () => void }; onCancel: () => void }) {
  return (
    <>
      <button type="button" className="btn" onClick={onCancel}>
        {draft?.dirty ? 'Close' : 'Cancel'} <Kbd>Esc</Kbd>
      </button>
      {draft?.dirty && (
        <button
          type="button"
          className="btn btn-danger-outline"
          onClick={() => {
            draft.clear();
            onCancel();
          }}
        >
          Discard draft
        </button>
      )}
    </>
  );
}
