import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { CaseRecord } from '../../shared/contract';
import type { CaseEvent, Referral, Task } from '../../shared/entities';
import {
  CLOSURE_REASONS,
  CONTACT_CHANNEL_LABELS,
  CONTACT_CHANNELS,
  CONTACT_OUTCOME_LABELS,
  CONTACT_OUTCOMES,
  NEXT_FOLLOW_UP_HOURS,
  REFERRAL_LABELS,
  REFERRAL_MOVES,
  type ContactChannel,
  type ContactOutcome,
} from '../../shared/caseload';
import { useWindowKeys } from '../hooks/useKeys';
import { useNow } from '../hooks/useNow';
import { isTypingTarget } from '../logic/keys';
import { useSession } from '../state/context';
import { Chip, Kbd } from '../views/common';
import { useCaseload, useCaseloadStore } from './hooks';
import { describeDue, describeEvent, formatWhen, ORIGIN_LABELS, recordAction, RISK_LABELS, RISK_TONES, STATUS_LABELS, timelineView, type RecordAction } from './logic';

type FormKind = Exclude<RecordAction, 'back' | 'screening' | 'refer'> | { correct: string };

/** 'YYYY-MM-DDTHH:mm' in local time, for <input type="datetime-local">. */
function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function ActionError({ action }: { action: string }) {
  const err = useCaseload((s) => s.actionError);
  if (!err || err.action !== action) return null;
  return (
    <p className="form-error" role="alert">
      {err.message}
    </p>
  );
}

/** A form that closes on Esc and saves on Ctrl+Enter from anywhere inside it. */
function Panel({ title, onCancel, onSubmit, children, busy, submit, danger }: {
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

function Choice<T extends string>({ name, legend, options, value, onChange, labels, keys }: {
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

function ContactForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === 'contact');
  const [channel, setChannel] = useState<ContactChannel>('phone');
  const [outcome, setOutcome] = useState<ContactOutcome | null>(null);
  const [note, setNote] = useState('');
  const [next, setNext] = useState<'default' | 'custom'>('default');
  const [custom, setCustom] = useState('');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async () => {
    if (!outcome) {
      store.setState({ actionError: { action: 'contact', message: 'Pick what happened: reached, left message, no answer or wrong number.' } });
      return;
    }
    const nextDueAt = next === 'custom' ? fromLocalInput(custom) : undefined;
    const ok = await store.getState().act(
      'contact',
      'case.logContact',
      { caseId, channel, outcome, note: note.trim() || undefined, ...(nextDueAt !== undefined ? { nextDueAt } : {}) },
      'Contact attempt logged',
    );
    if (ok) onDone();
  };
  const hours = outcome ? NEXT_FOLLOW_UP_HOURS[outcome] : null;
  // 1–4 pick what happened from anywhere in the form but its text fields.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.altKey || e.metaKey || isTypingTarget(e.target as HTMLElement)) return;
    const i = Number(e.key) - 1;
    if (Number.isInteger(i) && i >= 0 && i < CONTACT_OUTCOMES.length) {
      e.preventDefault();
      setOutcome(CONTACT_OUTCOMES[i]);
    }
  };
  return (
    <div onKeyDown={onKeyDown}>
    <Panel title="Log a contact attempt" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Log contact attempt">
      <fieldset className="choice">
        <legend>How</legend>
        <div className="choice-grid choice-4">
          {CONTACT_CHANNELS.map((c, i) => (
            <label key={c} className={`outcome${channel === c ? ' is-checked' : ''}`}>
              <input ref={i === 0 ? first : undefined} type="radio" name="channel" value={c} checked={channel === c} onChange={() => setChannel(c)} />
              <span>{CONTACT_CHANNEL_LABELS[c]}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <Choice
        name="outcome"
        legend={
          <>
            What happened <span className="hint">keys 1–4</span>
          </>
        }
        options={CONTACT_OUTCOMES}
        value={outcome}
        onChange={setOutcome}
        labels={CONTACT_OUTCOME_LABELS}
        keys={['1', '2', '3', '4']}
      />
      <div className="field">
        <label htmlFor="contact-note">Note (optional)</label>
        <textarea id="contact-note" rows={3} value={note} maxLength={20000} onChange={(e) => setNote(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="contact-next">Next follow-up</label>
        <select id="contact-next" value={next} onChange={(e) => setNext(e.target.value as 'default' | 'custom')}>
          <option value="default">{hours ? (hours >= 48 ? `In ${hours / 24} days` : `In ${hours} hours`) : 'Depends on what happened'}</option>
          <option value="custom">Pick a time…</option>
        </select>
        {next === 'custom' && <input type="datetime-local" aria-label="Next follow-up time" value={custom} onChange={(e) => setCustom(e.target.value)} />}
      </div>
      <ActionError action="contact" />
    </Panel>
    </div>
  );
}

function NoteForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === 'note');
  const [text, setText] = useState('');
  const submit = async () => {
    if (await store.getState().act('note', 'case.addNote', { caseId, text }, 'Note added')) onDone();
  };
  return (
    <Panel title="Add a note" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Add note">
      <div className="field">
        <label htmlFor="note-text">
          Note <span className="hint">Ctrl+Enter saves</span>
        </label>
        <textarea id="note-text" rows={5} autoFocus value={text} maxLength={20000} onChange={(e) => setText(e.target.value)} />
      </div>
      <ActionError action="note" />
    </Panel>
  );
}

function TaskForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === 'task');
  const [title, setTitle] = useState('');
  const [due, setDue] = useState(() => toLocalInput(new Date(Date.now() + 24 * 3600_000).toISOString()));
  const submit = async () => {
    if (await store.getState().act('task', 'case.addTask', { caseId, title, dueAt: fromLocalInput(due) }, 'Task added')) onDone();
  };
  return (
    <Panel title="Add a task" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Add task">
      <div className="field">
        <label htmlFor="task-title">What to do</label>
        <input id="task-title" autoFocus value={title} maxLength={300} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="task-due">Due</label>
        <input id="task-due" type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
      </div>
      <ActionError action="task" />
    </Panel>
  );
}

function ConsentForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === 'consent');
  const [shareWith, setShareWith] = useState('');
  const [scope, setScope] = useState('');
  const [given, setGiven] = useState<'yes' | 'no' | null>(null);
  const submit = async () => {
    if (!given) {
      store.setState({ actionError: { action: 'consent', message: 'Say whether the person agreed.' } });
      return;
    }
    if (await store.getState().act('consent', 'case.setConsent', { caseId, shareWith, scope, given: given === 'yes' }, 'Consent recorded')) onDone();
  };
  return (
    <Panel title="Record consent" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Record consent">
      <div className="field">
        <label htmlFor="consent-with">Share with</label>
        <input id="consent-with" autoFocus placeholder="e.g. Harbor Counseling, her doctor" value={shareWith} maxLength={200} onChange={(e) => setShareWith(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="consent-scope">What may be shared</label>
        <input id="consent-scope" placeholder="e.g. name, phone, reason for referral" value={scope} maxLength={500} onChange={(e) => setScope(e.target.value)} />
      </div>
      <Choice name="consent-given" legend="The person agrees" options={['yes', 'no'] as const} value={given} onChange={setGiven} labels={{ yes: 'Yes, agrees', no: 'No, refuses' }} />
      <ActionError action="consent" />
    </Panel>
  );
}

function CloseForm({ caseId, openTasks, safetyAlert, onDone }: { caseId: string; openTasks: number; safetyAlert: boolean; onDone: () => void }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === 'close');
  const [reason, setReason] = useState('');
  const [other, setOther] = useState('');
  const submit = async () => {
    const text = reason === 'other' ? other.trim() : reason;
    if (!text) {
      store.setState({ actionError: { action: 'close', message: 'Give a reason for closing.' } });
      return;
    }
    if (await store.getState().act('close', 'case.close', { caseId, reason: text }, 'Case closed')) onDone();
  };
  return (
    <Panel title="Close this case" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Close case" danger>
      <div className="field">
        <label htmlFor="close-reason">Reason (required)</label>
        <select id="close-reason" autoFocus value={reason} onChange={(e) => setReason(e.target.value)} aria-required="true">
          <option value="">Choose a reason…</option>
          {CLOSURE_REASONS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
          <option value="other">Other (say why)</option>
        </select>
        {reason === 'other' && <input aria-label="Other reason" value={other} maxLength={500} autoFocus onChange={(e) => setOther(e.target.value)} />}
      </div>
      {safetyAlert && <p className="form-error">This case still has a safety alert. Close it only once the person is safe and the alert is dealt with.</p>}
      {openTasks > 0 && <p className="hint tone-warn">{openTasks === 1 ? 'One task is' : `${openTasks} tasks are`} still open on this case.</p>}
      <ActionError action="close" />
    </Panel>
  );
}

function CorrectForm({ caseId, event, onDone }: { caseId: string; event: CaseEvent; onDone: () => void }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === 'correct');
  const [text, setText] = useState('');
  const submit = async () => {
    if (await store.getState().act('correct', 'case.correct', { caseId, eventId: event.id, text }, 'Correction added; the original stays on record')) onDone();
  };
  return (
    <Panel title={`Correct this ${describeEvent(event).label.toLowerCase()}`} onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Add correction">
      <p className="hint">History is never edited: your correction is added and points at the original.</p>
      <div className="field">
        <label htmlFor="correct-text">What was wrong, and what is right</label>
        <textarea id="correct-text" rows={3} autoFocus value={text} maxLength={20000} onChange={(e) => setText(e.target.value)} />
      </div>
      <ActionError action="correct" />
    </Panel>
  );
}

function SafetyAlert({ caseId, text, closed }: { caseId: string; text: string; closed: boolean }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === 'alert');
  const [clearing, setClearing] = useState(false);
  const [note, setNote] = useState('');
  return (
    <div className="cl-alert" role="alert">
      <strong>⚠ Safety alert</strong>
      <span>{text}</span>
      {!clearing ? (
        <div className="cl-item-actions">
          {!closed && (
            <button type="button" className="btn btn-small btn-danger" onClick={() => store.getState().show({ kind: 'screening', caseId, instrument: 'cssrs' })}>
              Start C-SSRS now
            </button>
          )}
          <button type="button" className="btn btn-small" onClick={() => setClearing(true)}>
            Alert dealt with…
          </button>
        </div>
      ) : (
        <form
          className="cl-alert-clear"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await store.getState().act('alert', 'case.update', { caseId, clearSafetyAlert: true, note: note.trim() || undefined }, 'Safety alert cleared')) setClearing(false);
          }}
        >
          <label htmlFor="alert-note">How it was dealt with (kept on the timeline)</label>
          <input id="alert-note" autoFocus value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
          <div className="cl-item-actions">
            <button type="submit" className="btn btn-small btn-primary" disabled={busy || !note.trim()}>
              Clear the alert
            </button>
            <button type="button" className="btn btn-small" onClick={() => setClearing(false)}>
              Keep it
            </button>
          </div>
          <ActionError action="alert" />
        </form>
      )}
    </div>
  );
}

function CaseSettings({ record }: { record: CaseRecord }) {
  const store = useCaseloadStore();
  const me = useSession((s) => s.info?.user ?? null);
  const busy = useCaseload((s) => s.busy === 'settings');
  const c = record.case;
  const [risk, setRisk] = useState(c.risk);
  const [status, setStatus] = useState<'open' | 'waiting'>(c.status === 'waiting' ? 'waiting' : 'open');
  const [due, setDue] = useState(toLocalInput(c.dueAt));
  useEffect(() => {
    setRisk(c.risk);
    setStatus(c.status === 'waiting' ? 'waiting' : 'open');
    setDue(toLocalInput(c.dueAt));
  }, [c.risk, c.status, c.dueAt]);
  const save = () =>
    void store.getState().act('settings', 'case.update', { caseId: c.id, risk, ...(c.status !== 'closed' ? { status } : {}), dueAt: fromLocalInput(due) }, 'Case updated');
  return (
    <details className="cl-section">
      <summary>
        <h2>Risk, status, due time, owner</h2>
      </summary>
      <div className="field-row">
        <div className="field">
          <label htmlFor="set-risk">Risk</label>
          <select id="set-risk" value={risk} onChange={(e) => setRisk(e.target.value as typeof risk)}>
            {(['high', 'moderate', 'low', 'unknown'] as const).map((r) => (
              <option key={r} value={r}>
                {RISK_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        {c.status !== 'closed' && (
          <div className="field">
            <label htmlFor="set-status">Status</label>
            <select id="set-status" value={status} onChange={(e) => setStatus(e.target.value as 'open' | 'waiting')}>
              <option value="open">Open</option>
              <option value="waiting">Waiting (on the person or a service)</option>
            </select>
          </div>
        )}
      </div>
      <div className="field">
        <label htmlFor="set-due">Next follow-up due</label>
        <input id="set-due" type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
      </div>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" disabled={busy} onClick={save}>
          Save changes
        </button>
        {me && c.ownerId !== me.id && (
          <button type="button" className="btn" disabled={busy} onClick={() => void store.getState().act('settings', 'case.update', { caseId: c.id, ownerId: me.id }, 'Case is yours')}>
            Take this case
          </button>
        )}
        {c.ownerId && (
          <button type="button" className="btn" disabled={busy} onClick={() => void store.getState().act('settings', 'case.update', { caseId: c.id, ownerId: null }, 'Case unassigned')}>
            Unassign
          </button>
        )}
      </div>
      <ActionError action="settings" />
    </details>
  );
}

function ReferralItem({ referral }: { referral: Referral }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === `ref-${referral.id}`);
  const moves = REFERRAL_MOVES[referral.status];
  const tone = referral.status === 'connected' ? 'ok' : referral.status === 'made' || referral.status === 'accepted' ? 'info' : 'warn';
  return (
    <li className="cl-item" data-referral-id={referral.id}>
      <div className="cl-item-head">
        <strong>{referral.serviceName}</strong>
        <Chip tone={tone}>{REFERRAL_LABELS[referral.status]}</Chip>
      </div>
      {referral.note && <div className="muted">{referral.note}</div>}
      {moves.length > 0 && (
        <div className="cl-item-actions" role="group" aria-label={`Update referral to ${referral.serviceName}`}>
          {moves.map((m) => (
            <button
              key={m}
              type="button"
              className="btn btn-small"
              disabled={busy}
              onClick={() => void store.getState().act(`ref-${referral.id}`, 'referral.update', { id: referral.id, status: m }, `Referral: ${REFERRAL_LABELS[m].toLowerCase()}`)}
            >
              {m === 'accepted' ? 'Accepted' : m === 'connected' ? 'Connected' : m === 'declined' ? 'Declined' : 'Unreachable'}
            </button>
          ))}
        </div>
      )}
      <ActionError action={`ref-${referral.id}`} />
    </li>
  );
}

function TaskItem({ task, now }: { task: Task; now: number }) {
  const store = useCaseloadStore();
  const busy = useCaseload((s) => s.busy === `task-${task.id}`);
  const due = task.doneAt ? null : describeDue(task.dueAt, now);
  return (
    <li className={`cl-item${task.doneAt ? ' is-done' : ''}`}>
      <div className="cl-item-head">
        <span>{task.title}</span>
        {task.doneAt ? (
          <span className="muted">Done {formatWhen(task.doneAt, now)}</span>
        ) : (
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => void store.getState().act(`task-${task.id}`, 'task.complete', { id: task.id }, 'Task done')}>
            Mark done
          </button>
        )}
      </div>
      {due && <strong className={`tone-${due.tone}`}>{due.text}</strong>}
    </li>
  );
}

function Timeline({ record, onCorrect, correctingId, onDone }: { record: CaseRecord; onCorrect: (id: string) => void; correctingId: string | null; onDone: () => void }) {
  const items = useMemo(() => timelineView(record.timeline), [record.timeline]);
  const now = useNow(true, 60_000);
  if (items.length === 0) return <p className="empty">Nothing on the timeline yet.</p>;
  return (
    <ol className="timeline" aria-label="Timeline, newest first">
      {items.map(({ event, correctedBy }) => {
        const v = describeEvent(event);
        return (
          <li key={event.id} className={`tl-event kind-${event.kind}${correctedBy.length ? ' is-corrected' : ''}`} data-event-id={event.id}>
            <div className="tl-head">
              <span className={`tl-kind tone-${v.tone}`}>{v.label}</span>
              <span className="muted">
                {formatWhen(event.at, now)} · {event.authorName}
              </span>
            </div>
            {v.lines.map((l, i) => (
              <div key={i} className={i === 0 ? 'tl-main' : 'tl-detail'}>
                {l}
              </div>
            ))}
            {correctedBy.map((c) => (
              <div key={c.id} className="tl-corrected">
                <strong>Corrected {formatWhen(c.at, now)}:</strong> {String(c.body.text ?? '')}
              </div>
            ))}
            {event.kind !== 'correction' && correctingId !== event.id && (
              <button type="button" className="btn btn-link btn-small tl-correct" onClick={() => onCorrect(event.id)}>
                Correct
              </button>
            )}
            {correctingId === event.id && <CorrectForm caseId={record.case.id} event={event} onDone={onDone} />}
          </li>
        );
      })}
    </ol>
  );
}

export function CaseRecordView({ caseId }: { caseId: string }) {
  const store = useCaseloadStore();
  const record = useCaseload((s) => (s.record?.case.id === caseId ? s.record : null));
  const error = useCaseload((s) => s.recordError);
  const flash = useCaseload((s) => s.flash);
  const [form, setForm] = useState<FormKind | null>(null);
  const now = useNow(true, 30_000);
  const headRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headRef.current?.focus();
  }, [caseId, record === null]);

  const closed = record?.case.status === 'closed';
  const close = () => {
    setForm(null);
    store.getState().clearError();
    requestAnimationFrame(() => headRef.current?.focus());
  };

  function run(action: RecordAction) {
    if (action === 'back') return store.getState().show({ kind: 'queue' });
    if (!record) return;
    if (closed && action !== 'note' && action !== 'consent') return;
    if (action === 'screening') return store.getState().show({ kind: 'screening', caseId, instrument: 'phq9' });
    if (action === 'refer') return store.getState().show({ kind: 'directory', caseId });
    store.getState().clearError();
    setForm(action);
  }

  useWindowKeys((e) => {
    const action = recordAction(e, { typing: isTypingTarget(document.activeElement as HTMLElement | null), formOpen: form !== null });
    if (!action) return;
    e.preventDefault();
    run(action);
  });

  if (!record) {
    return (
      <section className="view caseload-view">
        <button type="button" className="btn btn-small" onClick={() => store.getState().show({ kind: 'queue' })}>
          ← Queue <Kbd>Esc</Kbd>
        </button>
        {error ? (
          <p className="row-error" role="alert">
            Could not open the case: {error}
          </p>
        ) : (
          <p className="muted">Opening the case…</p>
        )}
      </section>
    );
  }

  const { case: c, person, referrals, tasks } = record;
  const due = describeDue(c.dueAt, now, closed);
  const openTasks = tasks.filter((t) => !t.doneAt).length;
  const correctingId = form && typeof form === 'object' ? form.correct : null;
  const btn = (action: RecordAction, label: string, key: string, extra = '') => (
    <button type="button" className={`btn cl-action ${extra}`} aria-disabled={(closed && action !== 'note' && action !== 'consent') || undefined} onClick={() => run(action)}>
      {label} <Kbd>{key}</Kbd>
    </button>
  );

  return (
    <section className="view caseload-view case-record" aria-labelledby="case-title">
      <div className="view-head">
        <button type="button" className="btn btn-small" onClick={() => store.getState().show({ kind: 'queue' })}>
          ← Queue <Kbd>Esc</Kbd>
        </button>
        <span className="cl-chips">
          <Chip tone={RISK_TONES[c.risk]}>{RISK_LABELS[c.risk]}</Chip>
          <Chip tone={closed ? 'muted' : 'info'}>{STATUS_LABELS[c.status]}</Chip>
        </span>
      </div>
      <h1 id="case-title" ref={headRef} tabIndex={-1} className="case-name">
        {person.name}
      </h1>
      {flash && (
        <p className="cl-flash" role="status">
          ✓ {flash}
        </p>
      )}
      {c.safetyAlert && <SafetyAlert caseId={c.id} text={c.safetyAlert} closed={closed} />}
      {person.safetyFlags && person.safetyFlags.length > 0 && (
        <ul className="cautions cautions-strong" aria-label="Safety flags">
          {person.safetyFlags.map((f, i) => (
            <li key={i}>⚠ {f}</li>
          ))}
        </ul>
      )}
      <div className={`cl-due tone-${due.tone}${due.overdue ? ' is-overdue' : ''}`}>
        <strong>{due.text}</strong>
        {c.dueAt && due.overdue && <span className="muted"> · was due {formatWhen(c.dueAt, now)}</span>}
        {closed && <span className="muted"> · {c.closureReason}</span>}
      </div>

      <div className="cl-actions" role="group" aria-label="Case actions">
        {btn('contact', 'Log contact', 'C', 'btn-primary')}
        {btn('screening', 'Screening', 'S')}
        {btn('refer', 'Refer', 'R')}
        {btn('note', 'Note', 'N')}
        {btn('task', 'Task', 'T')}
        {closed ? (
          <button
            type="button"
            className="btn cl-action"
            onClick={() => void store.getState().act('update', 'case.update', { caseId: c.id, status: 'open', note: 'Reopened' }, 'Case reopened')}
          >
            Reopen case
          </button>
        ) : (
          btn('close', 'Close case', 'X', 'btn-danger-outline')
        )}
      </div>
      <ActionError action="update" />

      {form === 'contact' && <ContactForm caseId={c.id} onDone={close} />}
      {form === 'note' && <NoteForm caseId={c.id} onDone={close} />}
      {form === 'task' && <TaskForm caseId={c.id} onDone={close} />}
      {form === 'consent' && <ConsentForm caseId={c.id} onDone={close} />}
      {form === 'close' && <CloseForm caseId={c.id} openTasks={openTasks} safetyAlert={!!c.safetyAlert} onDone={close} />}

      <section className="cl-section" aria-labelledby="person-title">
        <h2 id="person-title">Person</h2>
        <dl className="facts">
          <dt>Phone</dt>
          <dd className="callback">{person.phones?.length ? person.phones.join(' · ') : <span className="muted">none on file</span>}</dd>
          <dt>Born</dt>
          <dd>{person.dob ?? <span className="muted">unknown</span>}</dd>
          <dt>Address</dt>
          <dd>{person.address ?? <span className="muted">unknown</span>}</dd>
          <dt>Language</dt>
          <dd>{person.language ?? <span className="muted">not recorded</span>}</dd>
        </dl>
      </section>

      <section className="cl-section" aria-labelledby="why-title">
        <h2 id="why-title">Why</h2>
        <p className="cl-reason">{c.reason}</p>
        <dl className="facts">
          <dt>Origin</dt>
          <dd>{ORIGIN_LABELS[c.origin]}</dd>
          {c.incidentNumber && (
            <>
              <dt>Incident</dt>
              <dd>{c.incidentNumber}</dd>
            </>
          )}
          <dt>Owner</dt>
          <dd>{c.ownerName ?? <span className="tone-warn">Unassigned</span>}</dd>
        </dl>
      </section>

      <section className="cl-section" aria-labelledby="ref-title">
        <h2 id="ref-title">
          Referrals <span className="count">{referrals.length}</span>
        </h2>
        {referrals.length === 0 ? (
          <p className="empty">None yet. Press R to find a service.</p>
        ) : (
          <ul className="cl-list">
            {referrals.map((r) => (
              <ReferralItem key={r.id} referral={r} />
            ))}
          </ul>
        )}
      </section>

      <section className="cl-section" aria-labelledby="task-title">
        <h2 id="task-title">
          Tasks <span className="count">{openTasks}</span>
        </h2>
        {tasks.length === 0 ? (
          <p className="empty">No tasks.</p>
        ) : (
          <ul className="cl-list">
            {tasks.map((t) => (
              <TaskItem key={t.id} task={t} now={now} />
            ))}
          </ul>
        )}
      </section>

      <section className="cl-section" aria-labelledby="consent-title">
        <div className="cl-section-head">
          <h2 id="consent-title">Consent to share</h2>
          <button type="button" className="btn btn-small" onClick={() => run('consent')}>
            Record <Kbd>O</Kbd>
          </button>
        </div>
        {c.consent?.length ? (
          <ul className="cl-list">
            {c.consent.map((x) => (
              <li key={x.shareWith} className="cl-item">
                <div className="cl-item-head">
                  <strong>{x.shareWith}</strong>
                  <Chip tone={x.given ? 'ok' : 'danger'}>{x.given ? 'May share' : 'Do NOT share'}</Chip>
                </div>
                <div className="muted">
                  {x.scope} · {formatWhen(x.at, now)}
                </div>
              </li>
            ))}
          </ul>
        ) : (
          <p className="empty">No consent recorded: share nothing.</p>
        )}
      </section>

      <CaseSettings record={record} />

      <section className="cl-section" aria-labelledby="tl-title">
        <h2 id="tl-title">Timeline</h2>
        <Timeline
          record={record}
          correctingId={correctingId}
          onDone={close}
          onCorrect={(id) => {
            store.getState().clearError();
            setForm({ correct: id });
          }}
        />
      </section>
    </section>
  );
}
