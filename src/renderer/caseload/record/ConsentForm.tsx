import { ActionError, Choice, Panel, useCaseAction, useFormDraft } from '../forms';

/** O: what the person agrees may be shared, and with whom. */
export function ConsentForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const { busy, save, refuse } = useCaseAction('consent');
  const draft = useFormDraft<{ shareWith: string; scope: string; given: 'yes' | 'no' | null }>(caseId, 'consent', { shareWith: '', scope: '', given: null });
  const { shareWith, scope, given } = draft.value;
  const submit = async () => {
    if (!given) {
      refuse('Say whether the person agreed.');
      return;
    }
    if (await save('case.setConsent', { caseId, shareWith, scope, given: given === 'yes' }, 'Consent recorded')) {
      draft.clear();
      onDone();
    }
  };
  return (
    <Panel title="Record consent" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Record consent" draft={draft}>
      <div className="field">
        <label htmlFor="consent-with">Share with</label>
        <input id="consent-with" autoFocus placeholder="e.g. Harbor Counseling, her doctor" value={shareWith} maxLength={200} onChange={(e) => draft.update({ shareWith: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="consent-scope">What may be shared</label>
        <input id="consent-scope" placeholder="e.g. name, phone, reason for referral" value={scope} maxLength={500} onChange={(e) => draft.update({ scope: e.target.value })} />
      </div>
      <Choice name="consent-given" legend="The person agrees" options={['yes', 'no'] as const} value={given} onChange={(v) => draft.update({ given: v })} labels={{ yes: 'Yes, agrees', no: 'No, refuses' }} />
      <ActionError action="consent" />
    </Panel>
  );
}
