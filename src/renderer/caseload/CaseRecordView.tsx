import { useEffect, useRef, useState } from 'react';
import { useWindowKeys } from '../hooks/useKeys';
import { useNow } from '../hooks/useNow';
import { isTypingTarget } from '../logic/keys';
import { Chip, Kbd } from '../views/common';
import { ActionError, DraftMark, useCaseAction, useHasDraft } from './forms';
import { useCaseload, useCaseloadStore } from './hooks';
import { describeDue, formatWhen, recordAction, RISK_LABELS, RISK_TONES, STATUS_LABELS, type RecordAction } from './logic';
import { CaseSettings } from './record/CaseSettings';
import { CloseForm } from './record/CloseForm';
import { ConsentForm } from './record/ConsentForm';
import { ContactForm } from './record/ContactForm';
import { NoteForm } from './record/NoteForm';
import { SafetyAlert } from './record/SafetyAlert';
import { currentSafetyPlan, SafetyPlanForm, SafetyPlanPrint, SafetyPlanSection } from './record/SafetyPlan';
import { ConsentSection, PersonSection, ReferralsSection, TasksSection, WhySection } from './record/sections';
import { TaskForm } from './record/TaskForm';
import { Timeline } from './record/Timeline';

/** Which form is open: one of the case actions, or a correction to one timeline event. */
type FormKind = Exclude<RecordAction, 'back' | 'screening' | 'refer'> | { correct: string };

/**
 * One case: who, why, what is open on it and its timeline, with one key per action. The
 * forms and items are in ./record; this view lays them out and opens one form at a time.
 */
export function CaseRecordView({ caseId }: { caseId: string }) {
  const store = useCaseloadStore();
  const record = useCaseload((s) => (s.record?.case.id === caseId ? s.record : null));
  const error = useCaseload((s) => s.recordError);
  const flash = useCaseload((s) => s.flash);
  const reopen = useCaseAction('update');
  const [form, setForm] = useState<FormKind | null>(null);
  const [plan, setPlan] = useState<'edit' | 'print' | null>(null);
  const now = useNow(true, 30_000);
  const headRef = useRef<HTMLHeadingElement>(null);
  // S goes back to a screening left half done (C-SSRS when only that one has a draft).
  const cssrsDraft = useHasDraft(caseId, 'screening:cssrs');
  const phq9Draft = useHasDraft(caseId, 'screening:phq9');

  useEffect(() => {
    headRef.current?.focus();
  }, [caseId, record === null]);

  const closed = record?.case.status === 'closed';
  const close = () => {
    setForm(null);
    store.getState().clearError();
    // Back to the name, unless another form opened meanwhile (a key pressed at once).
    requestAnimationFrame(() => {
      if (!document.activeElement?.closest('.cl-panel')) headRef.current?.focus();
    });
  };

  function run(action: RecordAction) {
    if (action === 'back') return store.getState().show({ kind: 'queue' });
    if (!record) return;
    if (closed && action !== 'note' && action !== 'consent') return;
    if (action === 'screening') return store.getState().show({ kind: 'screening', caseId, instrument: cssrsDraft && !phq9Draft ? 'cssrs' : 'phq9' });
    if (action === 'refer') return store.getState().show({ kind: 'directory', caseId });
    store.getState().clearError();
    setForm(action);
  }

  useWindowKeys((e) => {
    // Esc closes the open form (its draft kept) even when focus has left it.
    if (e.key === 'Escape' && form !== null && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      close();
      return;
    }
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
  const safetyPlan = currentSafetyPlan(record);
  if (plan === 'print' && safetyPlan) return <SafetyPlanPrint name={person.name} current={safetyPlan} onClose={() => setPlan(null)} />;
  const due = describeDue(c.dueAt, now, closed);
  const openTasks = tasks.filter((t) => !t.doneAt).length;
  const correctingId = form && typeof form === 'object' ? form.correct : null;
  const btn = (action: RecordAction, label: string, key: string, extra = '') => (
    <button type="button" className={`btn cl-action ${extra}`} aria-disabled={(closed && action !== 'note' && action !== 'consent') || undefined} onClick={() => run(action)}>
      {label} <Kbd>{key}</Kbd>
      <DraftMark caseId={c.id} form={action} />
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
            onClick={() => void reopen.save('case.update', { caseId: c.id, status: 'open', note: 'Reopened' }, 'Case reopened')}
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

      <PersonSection person={person} />

      <WhySection c={c} />

      {plan === 'edit' && !closed ? (
        <SafetyPlanForm caseId={c.id} current={safetyPlan} onDone={() => setPlan(null)} />
      ) : (
        <SafetyPlanSection
          caseId={c.id}
          current={safetyPlan}
          closed={closed}
          onEdit={() => {
            store.getState().clearError();
            setPlan('edit');
          }}
          onPrint={() => setPlan('print')}
        />
      )}

      <ReferralsSection referrals={referrals} />

      <TasksSection tasks={tasks} openTasks={openTasks} now={now} />

      <ConsentSection consent={c.consent} now={now} onRecord={() => run('consent')} />

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
