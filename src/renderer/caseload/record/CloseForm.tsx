import { CLOSURE_REASONS } from '../../../shared/caseload';
import { ActionError, Panel, useCaseAction, useFormDraft } from '../forms';

/** X: close the case, with a reason; warns of a safety alert or tasks still open. */
export function CloseForm({ caseId, openTasks, safetyAlert, onDone }: { caseId: string; openTasks: number; safetyAlert: boolean; onDone: () => void }) {
  const { busy, save, refuse } = useCaseAction('close');
  const draft = useFormDraft(caseId, 'close', { reason: '', other: '' });
  const { reason, other } = draft.value;
  const submit = async () => {
    const text = reason === 'other' ? other.trim() : reason;
    if (!text) {
      refuse('Give a reason for closing.');
      return;
    }
    if (await save('case.close', { caseId, reason: text }, 'Case closed')) {
      draft.clear();
      onDone();
    }
  };
  return (
    <Panel title="Close this case" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Close case" danger draft={draft}>
      <div className="field">
        <label htmlFor="close-reason">Reason (required)</label>
        <select id="close-reason" autoFocus value={reason} onChange={(e) => draft.update({ reason: e.target.value })} aria-required="true">
          <option value="">Choose a reason…</option>
          {CLOSURE_REASONS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
          <option value="other">Other (say why)</option>
        </select>
        {reason === 'other' && <input aria-label="Other reason" value={other} maxLength={500} autoFocus onChange={(e) => draft.update({ other: e.target.value })} />}
      </div>
      {safetyAlert && <p className="form-error">This case still has a safety alert. Close it only once the person is safe and the alert is dealt with.</p>}
      {openTasks > 0 && <p className="hint tone-warn">{openTasks === 1 ? 'One task is' : `${openTasks} tasks are`} still open on this case.</p>}
      <ActionError action="close" />
    </Panel>
  );
}
