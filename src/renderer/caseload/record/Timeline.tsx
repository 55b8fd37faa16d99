import { useMemo } from 'react';
import type { CaseRecord } from '../../../shared/contract';
import { useNow } from '../../hooks/useNow';
import { describeEvent, formatWhen, timelineView } from '../logic';
import { CorrectForm } from './CorrectForm';

/** The case's history, newest first, each event with its corrections and a way to add one. */
export function Timeline({ record, onCorrect, correctingId, onDone }: { record: CaseRecord; onCorrect: (id: string) => void; correctingId: string | null; onDone: () => void }) {
  const items = useMemo(() => timelineView(record.timeline), [record.timeline]);
  const now = useNow(true, 60_000);
  if (items.length === 0) return <p className="empty">Nothing on the timeline yet.</p>;
  return (
    <ol className="timeline" aria-label="Timeline, newest first">
      {items.map(({ event, correctedBy }) => {
        const v = describeEvent(event);
        return (
          <li key={event.id} className={`tl-event kind-${event.kind}${correctedBy.length ? ' is-corrected' : ''}`} data-event-id={event.id}>
            <div className="tl-head">
              <span className={`tl-kind tone-${v.tone}`}>{v.label}</span>
              <span className="muted">
                {formatWhen(event.at, now)} · {event.authorName}
              </span>
            </div>
            {v.lines.map((l, i) => (
              <div key={i} className={i === 0 ? 'tl-main' : 'tl-detail'}>
                {l}
              </div>
            ))}
            {correctedBy.map((c) => (
              <div key={c.id} className="tl-corrected">
                <strong>Corrected {formatWhen(c.at, now)}:</strong> {String(c.body.text ?? '')}
              </div>
            ))}
            {event.kind !== 'correction' && correctingId !== event.id && (
              <button type="button" className="btn btn-link btn-small tl-correct" onClick={() => onCorrect(event.id)}>
                Correct
              </button>
            )}
            {correctingId === event.id && <CorrectForm caseId={record.case.id} event={event} onDone={onDone} />}
          </li>
        );
      })}
    </ol>
  );
}
