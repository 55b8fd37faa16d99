import { useEffect, useRef, type KeyboardEvent } from 'react';
import {
  CONTACT_CHANNEL_LABELS,
  CONTACT_CHANNELS,
  CONTACT_OUTCOME_LABELS,
  CONTACT_OUTCOMES,
  NEXT_FOLLOW_UP_HOURS,
  type ContactChannel,
  type ContactOutcome,
} from '../../../shared/caseload';
import { isTypingTarget } from '../../logic/keys';
import { ActionError, Choice, fromLocalInput, Panel, useCaseAction, useFormDraft } from '../forms';

/** C: log a call, text, visit or email — what happened, and when to try next. */
export function ContactForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const { busy, save, refuse } = useCaseAction('contact');
  const draft = useFormDraft<{ channel: ContactChannel; outcome: ContactOutcome | null; note: string; next: 'default' | 'custom'; custom: string }>(caseId, 'contact', {
    channel: 'phone',
    outcome: null,
    note: '',
    next: 'default',
    custom: '',
  });
  const { channel, outcome, note, next, custom } = draft.value;
  const setOutcome = (o: ContactOutcome) => draft.update({ outcome: o });
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async () => {
    if (!outcome) {
      refuse('Pick what happened: reached, left message, no answer or wrong number.');
      return;
    }
    const nextDueAt = next === 'custom' ? fromLocalInput(custom) : undefined;
    const ok = await save(
      'case.logContact',
      { caseId, channel, outcome, note: note.trim() || undefined, ...(nextDueAt !== undefined ? { nextDueAt } : {}) },
      'Contact attempt logged',
    );
    if (ok) {
      draft.clear();
      onDone();
    }
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
      <Panel title="Log a contact attempt" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Log contact attempt" draft={draft}>
        <fieldset className="choice">
          <legend>How</legend>
          <div className="choice-grid choice-4">
            {CONTACT_CHANNELS.map((c, i) => (
              <label key={c} className={`outcome${channel === c ? ' is-checked' : ''}`}>
                <input ref={i === 0 ? first : undefined} type="radio" name="channel" value={c} checked={channel === c} onChange={() => draft.update({ channel: c })} />
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
          <textarea id="contact-note" rows={3} value={note} maxLength={20000} onChange={(e) => draft.update({ note: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="contact-next">Next follow-up</label>
          <select id="contact-next" value={next} onChange={(e) => draft.update({ next: e.target.value as 'default' | 'custom' })}>
            <option value="default">{hours ? (hours >= 48 ? `In ${hours / 24} days` : `In ${hours} hours`) : 'Depends on what happened'}</option>
            <option value="custom">Pick a time…</option>
          </select>
          {next === 'custom' && <input type="datetime-local" aria-label="Next follow-up time" value={custom} onChange={(e) => draft.update({ custom: e.target.value })} />}
        </div>
        <ActionError action="contact" />
      </Panel>
    </div>
  );
}
