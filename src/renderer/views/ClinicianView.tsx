import { useMemo } from 'react';
import type { PresenceStatus } from '../../shared/entities';
import { activeConferences, ringingHandoffs } from '../logic/handoff';
import { PRESENCE_LABELS, PRESENCE_ORDER } from '../logic/status';
import { useClinician, useData, useSession, useStores } from '../state/context';
import { ConferenceCard } from './ConferenceCard';

function PresencePicker() {
  const { clinician } = useStores();
  const user = useSession((s) => s.info?.user ?? null);
  const presence = useData((s) => s.presence);
  const busy = useClinician((s) => s.presenceBusy);
  const error = useClinician((s) => s.presenceError);
  const mine = presence.find((p) => p.id === user?.id) ?? presence.find((p) => p.name === user?.name);
  const set = (status: PresenceStatus) => void clinician.getState().setPresence(status);
  return (
    <fieldset className="presence">
      <legend>My status</legend>
      <div className="presence-options">
        {PRESENCE_ORDER.map((status) => (
          <button
            key={status}
            type="button"
            className={`btn presence-${status}${mine?.status === status ? ' is-current' : ''}`}
            aria-pressed={mine?.status === status}
            disabled={busy !== null}
            onClick={() => set(status)}
          >
            {busy === status ? 'Setting…' : PRESENCE_LABELS[status]}
          </button>
        ))}
      </div>
      {!mine && !error && <p className="hint">Not set yet: while this console is open and online, dispatchers see you as available and F9 rings you.</p>}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/**
 * The clinician's live panel. The ringing card itself sits above every view (RingingArea);
 * this view holds the conference under way, the "case opened" confirmation and presence.
 */
export function ClinicianView({ onOpenCase }: { onOpenCase: (caseId: string) => void }) {
  const { clinician } = useStores();
  const handoffs = useData((s) => s.handoffs);
  const incidents = useData((s) => s.incidents);
  const userId = useSession((s) => s.info?.user?.id ?? null);
  const completed = useClinician((s) => s.completed);
  const conferences = useMemo(() => activeConferences(Object.values(handoffs), userId), [handoffs, userId]);
  const ringing = useMemo(() => ringingHandoffs(Object.values(handoffs)), [handoffs]);

  return (
    <section className="view clinician-view" aria-label="Clinician">
      {completed && (
        <div className="completed-card" role="status">
          <strong>Follow-up case opened</strong>
          <div className="completed-actions">
            <button type="button" className="btn btn-link" onClick={() => onOpenCase(completed.caseId)}>
              Open case {completed.caseId}
            </button>
            <button type="button" className="btn btn-small" onClick={() => clinician.getState().dismissCompleted()}>
              Dismiss
            </button>
          </div>
        </div>
      )}
      {conferences.map((h, i) => (
        <ConferenceCard key={h.id} handoff={h} incident={incidents.find((x) => x.id === h.incidentId)} keys={i === 0} />
      ))}
      {conferences.length === 0 && ringing.length === 0 && (
        <p className="empty">No live call. When a dispatcher conferences you, this console rings and shows the incident here.</p>
      )}
      <PresencePicker />
    </section>
  );
}
