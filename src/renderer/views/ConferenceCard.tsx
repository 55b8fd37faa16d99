import { useMemo, useState } from 'react';
import type { Handoff, Incident } from '../../shared/entities';
import { useWindowKeys } from '../hooks/useKeys';
import { useNow } from '../hooks/useNow';
import { formatClock, formatElapsed, msSince } from '../logic/format';
import { OUTCOMES } from '../logic/handoff';
import { clinicianAction, isActivatable, isTypingTarget } from '../logic/keys';
import { emptyDraft, type ConferenceDraft } from '../storage';
import { useClinician, useStores } from '../state/context';
import { Kbd } from './common';
import { IncidentFacts } from './Ringing';

const LINE_988 = '988 Suicide & Crisis Lifeline';

/**
 * A warm transfer to 988 or another crisis line during the call: one press records the line and
 * the time; it goes on the case with the conference and counts in the program figures.
 */
function CrisisTransfer({ id, transfer, otherLine }: { id: string; transfer: ConferenceDraft['transfer']; otherLine: string }) {
  const { clinician } = useStores();
  const set = (patch: Partial<ConferenceDraft>) => clinician.getState().setDraft(id, patch);
  const [missing, setMissing] = useState(false);
  if (transfer) {
    return (
      <div className="transfer-done" role="status">
        <span>
          Transferred to <strong>{transfer.lineName}</strong> at {formatClock(transfer.at)}
        </span>
        <button type="button" className="btn btn-small" onClick={() => set({ transfer: null })}>
          Undo transfer
        </button>
      </div>
    );
  }
  const other = () => {
    const name = otherLine.trim();
    if (!name) {
      setMissing(true);
      return;
    }
    setMissing(false);
    set({ transfer: { line: 'other', lineName: name, at: new Date().toISOString() } });
  };
  return (
    <fieldset className="transfer">
      <legend>
        Crisis-line transfer <span className="hint">recorded on the case when you close the conference</span>
      </legend>
      <div className="transfer-row">
        <button type="button" className="btn" onClick={() => set({ transfer: { line: '988', lineName: LINE_988, at: new Date().toISOString() } })}>
          Transferred to 988
        </button>
        <span className="muted">or</span>
        <label className="visually-hidden" htmlFor={`other-line-${id}`}>
          Other crisis line
        </label>
        <input
          id={`other-line-${id}`}
          placeholder="Other crisis line"
          value={otherLine}
          maxLength={200}
          autoComplete="off"
          aria-invalid={missing || undefined}
          aria-describedby={missing ? `other-line-err-${id}` : undefined}
          onChange={(e) => set({ otherLine: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              other();
            }
          }}
        />
        <button type="button" className="btn" onClick={other}>
          Transferred
        </button>
      </div>
      {missing && (
        <p id={`other-line-err-${id}`} className="form-error" role="alert">
          Name the crisis line the person was transferred to
        </p>
      )}
    </fieldset>
  );
}

/**
 * The live conference: a running timer, notes that are never lost (kept in the store and
 * in localStorage as they are typed), the outcome (keys 1–5) and "Close conference".
 */
export function ConferenceCard({ handoff, incident, keys }: { handoff: Handoff; incident: Incident | undefined; keys: boolean }) {
  const { clinician } = useStores();
  const now = useNow(true);
  const stored = useClinician((s) => s.drafts[handoff.id]);
  const draft = useMemo(() => stored ?? emptyDraft(), [stored]);
  const saveFailed = useClinician((s) => s.draftSaveFailed);
  const busy = useClinician((s) => s.completeBusy === handoff.id);
  const error = useClinician((s) => s.completeError);
  const id = handoff.id;

  useWindowKeys((e) => {
    const el = document.activeElement as HTMLElement | null;
    const action = clinicianAction(e, {
      typing: isTypingTarget(el),
      focusActivatable: isActivatable(el),
      ringing: false,
      declining: false,
      inConference: true,
    });
    if (action?.type === 'outcome') {
      e.preventDefault();
      clinician.getState().setDraft(id, { outcome: action.outcome });
    }
  }, keys);

  return (
    <section className="conference-card" aria-labelledby={`conf-${id}`}>
      <h2 id={`conf-${id}`}>
        On the line <span className="timer" aria-label="Time on the call">{formatElapsed(msSince(handoff.acceptedAt, now))}</span>
      </h2>
      <p className="muted">
        Accepted {formatClock(handoff.acceptedAt)} · conferenced by {handoff.requestedByName}
      </p>
      {/* Everything the dispatcher knew stays on screen for the whole call. */}
      {handoff.note && <p className="ring-from">Dispatcher’s note: “{handoff.note}”</p>}
      <IncidentFacts incident={incident} />
      <div className="field">
        <label htmlFor={`notes-${id}`}>Live notes</label>
        <textarea
          id={`notes-${id}`}
          rows={6}
          value={draft.notes}
          maxLength={20000}
          onChange={(e) => clinician.getState().setDraft(id, { notes: e.target.value })}
          aria-describedby={`notes-hint-${id}`}
        />
        <span id={`notes-hint-${id}`} className={saveFailed ? 'hint tone-danger' : 'hint'}>
          {saveFailed ? 'This workstation could not save the draft: do not reload until the conference is closed.' : 'Saved on this workstation as you type.'}
        </span>
      </div>
      <fieldset className="outcomes">
        <legend>
          Outcome <span className="hint">keys 1–5 (outside the notes)</span>
        </legend>
        {OUTCOMES.map((o) => (
          <label key={o.value} className={`outcome${draft.outcome === o.value ? ' is-checked' : ''}`}>
            <input
              type="radio"
              name={`outcome-${id}`}
              value={o.value}
              checked={draft.outcome === o.value}
              onChange={() => clinician.getState().setDraft(id, { outcome: o.value })}
            />
            <Kbd>{o.key}</Kbd>
            <span>{o.label}</span>
          </label>
        ))}
      </fieldset>
      <CrisisTransfer id={id} transfer={draft.transfer} otherLine={draft.otherLine} />
      <div className="field">
        <label htmlFor={`person-${id}`}>Person’s name (optional)</label>
        <input
          id={`person-${id}`}
          value={draft.personName}
          maxLength={200}
          autoComplete="off"
          onChange={(e) => clinician.getState().setDraft(id, { personName: e.target.value })}
        />
      </div>
      {incident?.source === 'eido' && (
        <div className="field">
          <label htmlFor={`share-${id}`}>
            Summary for dispatch / CAD <span className="hint">optional · sent back with the outcome</span>
          </label>
          <textarea
            id={`share-${id}`}
            rows={2}
            value={draft.shareableSummary}
            maxLength={4000}
            onChange={(e) => clinician.getState().setDraft(id, { shareableSummary: e.target.value })}
            aria-describedby={`share-hint-${id}`}
          />
          <span id={`share-hint-${id}`} className="hint">
            Only what dispatch may see: no clinical details. Your live notes stay in the case.
          </span>
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="btn btn-primary btn-wide" disabled={busy} onClick={() => void clinician.getState().complete(id)}>
        {busy ? 'Closing…' : 'Close conference'}
      </button>
    </section>
  );
}
