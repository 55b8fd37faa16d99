import type { Task } from '../../../shared/entities';
import { describeDue, formatWhen } from '../logic';
import { useCaseAction } from '../forms';

/** One task: when it is due, or when it was done. */
export function TaskItem({ task, now }: { task: Task; now: number }) {
  const { busy, save } = useCaseAction(`task-${task.id}`);
  const due = task.doneAt ? null : describeDue(task.dueAt, now);
  return (
    <li className={`cl-item${task.doneAt ? ' is-done' : ''}`}>
      <div className="cl-item-head">
        <span>{task.title}</span>
        {task.doneAt ? (
          <span className="muted">Done {formatWhen(task.doneAt, now)}</span>
        ) : (
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => void save('task.complete', { id: task.id }, 'Task done')}>
            Mark done
          </button>
        )}
      </div>
      {due && <strong className={`tone-${due.tone}`}>{due.text}</strong>}
    </li>
  );
}
