import type { CaseEvent } from '../../../shared/entities';
import { ActionError, Panel, useCaseAction, useFormDraft } from '../forms';
import { describeEvent } from '../logic';

/** A correction to one timeline event: added beside it, never written over it. */
export function CorrectForm({ caseId, event, onDone }: { caseId: string; event: CaseEvent; onDone: () => void }) {
  const { busy, save } = useCaseAction('correct');
  const draft = useFormDraft(caseId, `correct:${event.id}`, { text: '' });
  const { text } = draft.value;
  const submit = async () => {
    if (await save('case.correct', { caseId, eventId: event.id, text }, 'Correction added; the original stays on record')) {
      draft.clear();
      onDone();
    }
  };
  return (
    <Panel title={`Correct this ${describeEvent(event).label.toLowerCase()}`} onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Add correction" draft={draft}>
      <p className="hint">History is never edited: your correction is added and points at the original.</p>
      <div className="field">
        <label htmlFor="correct-text">What was wrong, and what is right</label>
        <textarea id="correct-text" rows={3} autoFocus value={text} maxLength={20000} onChange={(e) => draft.update({ text: e.target.value })} />
      </div>
      <ActionError action="correct" />
    </Panel>
  );
}
