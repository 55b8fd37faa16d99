import { useEffect, useMemo, useRef, type RefObject } from 'react';
import {
  cssrsQuestions,
  cssrsTimeframe,
  nextStepFor,
  phq9AnswerOptions,
  phq9Items,
  phq9Stem,
  scoreCssrsScreener,
  scorePhq9,
  type CssrsAnswers,
  type CssrsQuestionId,
  type NextStep,
} from '../../shared/instruments';
import { useWindowKeys } from '../hooks/useKeys';
import { isTypingTarget } from '../logic/keys';
import { Kbd } from '../views/common';
import { ActionError, DraftNote, useCaseAction, useFormDraft } from './forms';
import { useCaseload, useCaseloadStore } from './hooks';
import { cssrsAsked, cssrsNext, cssrsPrune, type CssrsDraft } from './logic';

const URGENCY_TONE: Record<NextStep['urgency'], string> = { routine: 'ok', 'follow-up': 'info', prompt: 'warn', immediate: 'danger' };
const URGENCY_LABEL: Record<NextStep['urgency'], string> = {
  routine: 'Routine',
  'follow-up': 'Follow up',
  prompt: 'Act promptly',
  immediate: 'Act now',
};

/** Both instruments end the same way: one button (Enter) that writes the result to the timeline. */
function SaveToTimeline({ buttonRef, busy, onSave }: { buttonRef: RefObject<HTMLButtonElement | null>; busy: boolean; onSave: () => void }) {
  return (
    <button ref={buttonRef} type="button" className="btn btn-primary btn-wide" disabled={busy} onClick={onSave}>
      {busy ? 'Saving…' : 'Save to the timeline'} <Kbd>Enter</Kbd>
    </button>
  );
}

function NextStepCard({ step }: { step: NextStep }) {
  return (
    <div className={`next-step tone-${URGENCY_TONE[step.urgency]}`}>
      <strong>Next step: {URGENCY_LABEL[step.urgency]}</strong>
      <span>{step.text}</span>
    </div>
  );
}

function Phq9({ caseId, onSaved }: { caseId: string; onSaved: (text: string) => void }) {
  const { busy, save: saveScreening } = useCaseAction('screening');
  // Kept as a draft: Esc, another screen, a lock or a restart come back to the same item.
  const draft = useFormDraft<{ answers: (number | null)[]; current: number }>(caseId, 'screening:phq9', () => ({ answers: Array(9).fill(null), current: 0 }));
  const { answers, current } = draft.value;
  const setCurrent = (f: (c: number) => number) => draft.update((d) => ({ current: f(d.current) }));
  const done = answers.every((a) => a !== null);
  const result = useMemo(() => (done ? scorePhq9(answers as number[]) : null), [answers, done]);
  const saveRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (done && current >= 9) saveRef.current?.focus();
  }, [done, current]);

  const answer = (value: number) => {
    draft.update((d) => {
      const next = d.answers.map((x, i) => (i === d.current ? value : x));
      const nextUnanswered = next.findIndex((x, i) => i > d.current && x === null);
      return { answers: next, current: nextUnanswered === -1 ? 9 : nextUnanswered };
    });
  };
  const save = async () => {
    if (!result) return;
    const out = await saveScreening('case.screening', { caseId, instrument: 'phq9', answers: answers as number[] });
    if (out) draft.clear();
    if (out) onSaved(`PHQ-9 saved: ${out.total} — ${out.band}${out.item9Alert ? ', item 9 positive' : ''}`);
  };

  useWindowKeys((e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || isTypingTarget(document.activeElement as HTMLElement | null)) return;
    if (/^[0-3]$/.test(e.key) && current < 9) {
      e.preventDefault();
      answer(Number(e.key));
    } else if ((e.key === 'ArrowLeft' || e.key === 'Backspace') && current > 0) {
      e.preventDefault();
      setCurrent((c) => c - 1);
    } else if (e.key === 'ArrowRight' && current < 9 && answers[current] !== null) {
      e.preventDefault();
      setCurrent((c) => c + 1);
    } else if (e.key === 'Enter' && done && current >= 9 && document.activeElement?.tagName !== 'BUTTON') {
      e.preventDefault();
      void save();
    }
  });

  const item = phq9Items[current];
  return (
    <div className="screening">
      <p className="muted">{phq9Stem}</p>
      {item ? (
        <div className="sc-question" aria-live="polite">
          <div className="sc-progress">
            Item {item.number} of 9
          </div>
          <h2 className="sc-text">{item.text}</h2>
          <div className="sc-answers" role="group" aria-label={`Answer to item ${item.number}`}>
            {phq9AnswerOptions.map((o) => (
              <button
                key={o.value}
                type="button"
                className={`btn sc-answer${answers[current] === o.value ? ' is-checked' : ''}`}
                aria-pressed={answers[current] === o.value}
                onClick={() => answer(o.value)}
              >
                <Kbd>{o.value}</Kbd> {o.label}
              </button>
            ))}
          </div>
        </div>
      ) : null}
      <ol className="sc-summary" aria-label="Answers so far">
        {phq9Items.map((q, i) => (
          <li key={q.number} className={`${i === current ? 'is-current' : ''}${i === 8 && (answers[8] ?? 0) > 0 ? ' tone-danger' : ''}`}>
            <button type="button" className="sc-jump" onClick={() => setCurrent(() => i)}>
              <span className="sc-num">{q.number}.</span> <span className="sc-q">{q.text}</span>
              <strong className="sc-a">{answers[i] === null ? '–' : answers[i]}</strong>
            </button>
          </li>
        ))}
      </ol>
      <DraftNote draft={draft} />
      {result && (
        <div className={`sc-result${result.item9Alert ? ' is-alert' : ''}`} role="status">
          <div className="sc-score">
            Score <strong>{result.total}</strong> of 27 — <strong>{result.band}</strong>
          </div>
          {result.item9Alert && <div className="cl-alert">⚠ Item 9 is positive: saving raises a safety alert on the case.</div>}
          <NextStepCard step={nextStepFor(result)} />
          <ActionError action="screening" />
          <SaveToTimeline buttonRef={saveRef} busy={busy} onSave={() => void save()} />
        </div>
      )}
    </div>
  );
}

function Cssrs({ caseId, onSaved }: { caseId: string; onSaved: (text: string) => void }) {
  const { busy, save: saveScreening } = useCaseAction('screening');
  const draft = useFormDraft<{ answers: CssrsDraft; editing: CssrsQuestionId | null }>(caseId, 'screening:cssrs', () => ({ answers: {}, editing: null }));
  const { answers, editing } = draft.value;
  const setEditing = (id: CssrsQuestionId | null) => draft.update({ editing: id });
  const asked = cssrsAsked(answers);
  const nextIndex = cssrsNext(answers);
  const currentId: CssrsQuestionId | null = editing ?? (nextIndex === -1 ? null : asked[nextIndex]);
  const question = cssrsQuestions.find((q) => q.id === currentId) ?? null;
  const result = useMemo(() => (nextIndex === -1 && !editing ? scoreCssrsScreener(answers as CssrsAnswers) : null), [answers, nextIndex, editing]);
  const saveRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (result) saveRef.current?.focus();
  }, [result]);

  const answer = (value: boolean) => {
    if (!currentId) return;
    draft.update((d) => ({ answers: cssrsPrune({ ...d.answers, [currentId]: value }), editing: null }));
  };
  const back = () => {
    const answered = asked.filter((id) => answers[id] !== undefined);
    const target = currentId ? asked[asked.indexOf(currentId) - 1] : answered[answered.length - 1];
    if (target) setEditing(target);
  };
  const save = async () => {
    if (!result) return;
    const out = await saveScreening('case.screening', { caseId, instrument: 'cssrs', answers });
    if (out) draft.clear();
    if (out) onSaved(`C-SSRS saved: ${out.risk === 'none' ? 'no risk identified' : `${out.risk} risk`}`);
  };

  useWindowKeys((e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || isTypingTarget(document.activeElement as HTMLElement | null)) return;
    const k = e.key.toLowerCase();
    if ((k === 'y' || k === 'n') && question) {
      e.preventDefault();
      answer(k === 'y');
    } else if (e.key === 'ArrowLeft' || e.key === 'Backspace') {
      e.preventDefault();
      back();
    } else if (e.key === 'Enter' && result && document.activeElement?.tagName !== 'BUTTON') {
      e.preventDefault();
      void save();
    }
  });

  return (
    <div className="screening">
      <p className="muted">{cssrsTimeframe}:</p>
      {question && (
        <div className="sc-question" aria-live="polite">
          <div className="sc-progress">
            Question {question.number}
            {question.askIf ? ' (asked because of a yes above)' : ''}
          </div>
          <h2 className="sc-text">{question.text}</h2>
          {question.examples && <p className="hint">{question.examples}</p>}
          <div className="sc-answers sc-yesno" role="group" aria-label={`Answer to question ${question.number}`}>
            <button type="button" className={`btn sc-answer${answers[question.id] === true ? ' is-checked' : ''}`} onClick={() => answer(true)}>
              <Kbd>Y</Kbd> Yes
            </button>
            <button type="button" className={`btn sc-answer${answers[question.id] === false ? ' is-checked' : ''}`} onClick={() => answer(false)}>
              <Kbd>N</Kbd> No
            </button>
          </div>
        </div>
      )}
      <ol className="sc-summary" aria-label="Answers so far">
        {asked.map((id) => {
          const q = cssrsQuestions.find((x) => x.id === id)!;
          const a = answers[id];
          return (
            <li key={id} className={`${id === currentId ? 'is-current' : ''}${a === true && q.riskIfYes !== 'low' ? ' tone-danger' : ''}`}>
              <button type="button" className="sc-jump" onClick={() => setEditing(id)}>
                <span className="sc-num">{q.number}.</span> <span className="sc-q">{q.label}</span>
                <strong className="sc-a">{a === undefined ? '–' : a ? 'Yes' : 'No'}</strong>
              </button>
            </li>
          );
        })}
      </ol>
      {answers.thoughts === false && <p className="hint">Questions 3–5 are skipped: no suicidal thoughts (question 2 is no).</p>}
      <DraftNote draft={draft} />
      {result && (
        <div className={`sc-result${result.risk === 'high' ? ' is-alert' : ''}`} role="status">
          <div className="sc-score">
            Risk: <strong className={`tone-${result.risk === 'high' ? 'danger' : result.risk === 'moderate' ? 'warn' : 'ok'}`}>{result.risk}</strong>
          </div>
          <NextStepCard step={nextStepFor(result)} />
          <ActionError action="screening" />
          <SaveToTimeline buttonRef={saveRef} busy={busy} onSave={() => void save()} />
        </div>
      )}
    </div>
  );
}

export function ScreeningView({ caseId, instrument }: { caseId: string; instrument: 'phq9' | 'cssrs' }) {
  const store = useCaseloadStore();
  const name = useCaseload((s) => (s.record?.case.id === caseId ? s.record.person.name : null));
  const back = () => {
    store.getState().clearError();
    store.getState().show({ kind: 'case', caseId });
  };
  const saved = (text: string) => {
    store.setState({ flash: text });
    store.getState().show({ kind: 'case', caseId });
  };
  useWindowKeys((e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      back();
    }
  });
  const tab = (i: 'phq9' | 'cssrs', label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={instrument === i}
      className="btn btn-small"
      onClick={() => {
        store.getState().clearError();
        store.getState().show({ kind: 'screening', caseId, instrument: i });
      }}
    >
      {label}
    </button>
  );
  return (
    <section className="view caseload-view" aria-labelledby="sc-title">
      <div className="view-head">
        <button type="button" className="btn btn-small" onClick={back}>
          ← Case <Kbd>Esc</Kbd>
        </button>
        <div className="segmented" role="tablist" aria-label="Instrument">
          {tab('phq9', 'PHQ-9')}
          {tab('cssrs', 'C-SSRS')}
        </div>
      </div>
      <h1 id="sc-title">
        {instrument === 'phq9' ? 'PHQ-9 depression screen' : 'C-SSRS suicide risk screen'}
        {name && <span className="hint"> · {name}</span>}
      </h1>
      {instrument === 'phq9' ? <Phq9 key="phq9" caseId={caseId} onSaved={saved} /> : <Cssrs key="cssrs" caseId={caseId} onSaved={saved} />}
    </section>
  );
}
