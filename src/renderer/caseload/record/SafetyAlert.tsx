import { useState } from 'react';
import { useCaseloadStore } from '../hooks';
import { ActionError, useCaseAction } from '../forms';

/** The case's safety alert: start a C-SSRS, or clear it saying how it was dealt with. */
export function SafetyAlert({ caseId, text, closed }: { caseId: string; text: string; closed: boolean }) {
  const store = useCaseloadStore();
  const { busy, save } = useCaseAction('alert');
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
            if (await save('case.update', { caseId, clearSafetyAlert: true, note: note.trim() || undefined }, 'Safety alert cleared')) setClearing(false);
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
