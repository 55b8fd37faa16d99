import { ActionError, Panel, useCaseAction, useFormDraft } from '../forms';

/** N: a note on the timeline. */
export function NoteForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const { busy, save } = useCaseAction('note');
  const draft = useFormDraft(caseId, 'note', { text: '' });
  const { text } = draft.value;
  const submit = async () => {
    if (await save('case.addNote', { caseId, text }, 'Note added')) {
      draft.clear();
      onDone();
    }
  };
  return (
    <Panel title="Add a note" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Add note" draft={draft}>
      <div className="field">
        <label htmlFor="note-text">
          Note <span className="hint">Ctrl+Enter saves</span>
        </label>
        <textarea id="note-text" rows={5} autoFocus value={text} maxLength={20000} onChange={(e) => draft.update({ text: e.target.value })} />
      </div>
      <ActionError action="note" />
    </Panel>
  );
}
