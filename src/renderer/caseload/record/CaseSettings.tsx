import { useEffect, useState } from 'react';
import type { CaseRecord } from '../../../shared/contract';
import { useSession } from '../../state/context';
import { ActionError, fromLocalInput, toLocalInput, useCaseAction } from '../forms';
import { RISK_LABELS } from '../logic';

/** Risk, status, due time and owner, folded away until wanted. */
export function CaseSettings({ record }: { record: CaseRecord }) {
  const me = useSession((s) => s.info?.user ?? null);
  const { busy, save } = useCaseAction('settings');
  const c = record.case;
  const [risk, setRisk] = useState(c.risk);
  const [status, setStatus] = useState<'open' | 'waiting'>(c.status === 'waiting' ? 'waiting' : 'open');
  const [due, setDue] = useState(toLocalInput(c.dueAt));
  useEffect(() => {
    setRisk(c.risk);
    setStatus(c.status === 'waiting' ? 'waiting' : 'open');
    setDue(toLocalInput(c.dueAt));
  }, [c.risk, c.status, c.dueAt]);
  const saveChanges = () =>
    void save('case.update', { caseId: c.id, risk, ...(c.status !== 'closed' ? { status } : {}), dueAt: fromLocalInput(due) }, 'Case updated');
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
        <button type="button" className="btn btn-primary" disabled={busy} onClick={saveChanges}>
          Save changes
        </button>
        {me && c.ownerId !== me.id && (
          <button type="button" className="btn" disabled={busy} onClick={() => void save('case.update', { caseId: c.id, ownerId: me.id }, 'Case is yours')}>
            Take this case
          </button>
        )}
        {c.ownerId && (
          <button type="button" className="btn" disabled={busy} onClick={() => void save('case.update', { caseId: c.id, ownerId: null }, 'Case unassigned')}>
            Unassign
          </button>
        )}
      </div>
      <ActionError action="settings" />
    </details>
  );
}
