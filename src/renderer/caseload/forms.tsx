import type { FormEvent, KeyboardEvent, ReactNode } from 'react';
import type { RequestInput, RequestName } from '../../shared/contract';
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
export function Panel({ title, onCancel, onSubmit, children, busy, submit, danger }: {
  title: string;
  onCancel: () => void;
  onSubmit: () => void;
  children: ReactNode;
  busy: boolean;
  submit: string;
  danger?: boolean;
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
      <div className="form-actions">
        <button type="submit" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy}>
          {busy ? 'Saving…' : submit}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel <Kbd>Esc</Kbd>
        </button>
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
