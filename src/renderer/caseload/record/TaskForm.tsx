import { ActionError, fromLocalInput, Panel, toLocalInput, useCaseAction, useFormDraft } from '../forms';

/** T: something to do on the case, due tomorrow unless changed. */
export function TaskForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const { busy, save } = useCaseAction('task');
  const draft = useFormDraft(caseId, 'task', () => ({ title: '', due: toLocalInput(new Date(Date.now() + 24 * 3600_000).toISOString()) }));
  const { title, due } = draft.value;
  const submit = async () => {
    if (await save('case.addTask', { caseId, title, dueAt: fromLocalInput(due) }, 'Task added')) {
      draft.clear();
      onDone();
    }
  };
  return (
    <Panel title="Add a task" onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Add task" draft={draft}>
      <div className="field">
        <label htmlFor="task-title">What to do</label>
        <input id="task-title" autoFocus value={title} maxLength={300} onChange={(e) => draft.update({ title: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="task-due">Due</label>
        <input id="task-due" type="datetime-local" value={due} onChange={(e) => draft.update({ due: e.target.value })} />
      </div>
      <ActionError action="task" />
    </Panel>
  );
}
