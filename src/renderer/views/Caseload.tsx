import { formatClock } from '../logic/format';
import { useUi } from '../state/context';

/**
 * PLACEHOLDER for the caseload screens (queue, case record, screenings, referrals), which
 * are built separately. For now it lists the follow-up cases opened from conferences on
 * this console, so "Open case" has somewhere to go.
 */
export function CaseloadPlaceholder({ onBack }: { onBack: () => void }) {
  const cases = useUi((s) => s.openedCases);
  const focus = useUi((s) => s.focusCaseId);
  return (
    <section className="view caseload-view" aria-labelledby="caseload-title">
      <div className="view-head">
        <h1 id="caseload-title">Caseload</h1>
        <button type="button" className="btn" onClick={onBack}>
          Back to live calls
        </button>
      </div>
      <p className="muted">The full caseload screens are not built yet. Cases opened from conferences on this console:</p>
      {cases.length === 0 ? (
        <p className="empty">None yet.</p>
      ) : (
        <ul className="case-list">
          {cases.map((c) => (
            <li key={c.caseId} className={c.caseId === focus ? 'is-selected' : undefined} aria-current={c.caseId === focus ? 'true' : undefined}>
              <code>{c.caseId}</code> <span className="muted">opened {formatClock(new Date(c.at).toISOString())}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
