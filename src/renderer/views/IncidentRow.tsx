import { forwardRef, memo, useEffect, useState } from 'react';
import type { Handoff, HandoffMode, Incident } from '../../shared/entities';
import { useNow } from '../hooks/useNow';
import { formatClock } from '../logic/format';
import { blocksNewRequest, describeHandoff } from '../logic/handoff';
import { eligibilityBadge } from '../logic/incidents';
import { fallbackDirectLine } from '../logic/status';
import { useData, useStores } from '../state/context';
import { CautionList, Kbd } from './common';

function HandoffLine({ handoff, incidentId }: { handoff: Handoff; incidentId: string }) {
  const { dispatch } = useStores();
  const live = handoff.state === 'ringing';
  const now = useNow(live);
  const presence = useData((s) => s.presence);
  const v = describeHandoff(handoff, now, handoff.state === 'timed_out' ? fallbackDirectLine(presence) : null);
  return (
    <div className={`handoff-line tone-${v.tone}`} role="status">
      <div className="handoff-text">
        <strong>{v.label}</strong>
        {v.detail && <span className="handoff-detail">{v.detail}</span>}
      </div>
      {v.cancellable && (
        <button type="button" className="btn btn-danger-outline" onClick={() => void dispatch.getState().cancelHandoff(incidentId)}>
          Cancel <Kbd>Esc</Kbd>
        </button>
      )}
    </div>
  );
}

/** On the selected CAD incident: what Tandem repaired to read CAD's document, for the dispatcher reviewing it. */
function IntakeRepairs({ incident }: { incident: Incident }) {
  const [repairs, setRepairs] = useState<string[]>([]);
  const cad = incident.source === 'eido' && !!incident.eidoRaw;
  useEffect(() => {
    let live = true;
    setRepairs([]);
    if (cad) {
      void import('../logic/intake-repairs').then(
        (m) => live && setRepairs(m.intakeRepairs(incident)),
        () => undefined, // the review line is extra: without it the incident still shows
      );
    }
    return () => {
      live = false;
    };
  }, [cad, incident]);
  if (repairs.length === 0) return null;
  return (
    <details className="intake-repairs">
      <summary className="muted">
        Repaired on intake from CAD: {repairs.length === 1 ? '1 problem' : `${repairs.length} problems`} in the document
      </summary>
      <ul>
        {repairs.map((r, i) => (
          <li key={i}>{r}</li>
        ))}
      </ul>
    </details>
  );
}

export interface IncidentRowProps {
  incident: Incident;
  handoff: Handoff | undefined;
  selected: boolean;
  pending: HandoffMode | undefined;
  error: string | undefined;
}

export const IncidentRow = memo(
  forwardRef<HTMLButtonElement, IncidentRowProps>(function IncidentRow({ incident, handoff, selected, pending, error }, ref) {
    const { dispatch } = useStores();
    const badge = eligibilityBadge(incident);
    const blocked = blocksNewRequest(handoff) || !!pending;
    const cautions = incident.cautions ?? [];
    const select = () => dispatch.getState().select(incident.id);
    return (
      <li className={`incident${selected ? ' is-selected' : ''}${cautions.length ? ' has-cautions' : ''}`} data-incident-id={incident.id}>
        <button ref={ref} type="button" className="incident-main" aria-current={selected ? 'true' : undefined} onClick={select}>
          <span className="incident-head">
            <span className="incident-number">{incident.number}</span>
            {incident.priority && <span className="incident-priority">P{incident.priority.replace(/^p/i, '')}</span>}
            <span className="incident-time">{formatClock(incident.createdAt)}</span>
          </span>
          <span className="incident-type">{incident.type}</span>
          <span className="incident-location">{incident.location}</span>
          <span className="incident-callback">
            {incident.callbackNumber ? (
              <>
                <span aria-hidden>☎ </span>
                <span className="visually-hidden">Callback </span>
                {incident.callbackNumber}
              </>
            ) : (
              <span className="muted">No callback number</span>
            )}
            {incident.callerName && <span className="muted"> · {incident.callerName}</span>}
          </span>
        </button>
        <CautionList cautions={cautions} />
        {badge && (
          <div className={`eligibility tone-${badge.tone}`}>
            <strong>{badge.text}</strong>
            {badge.reasons.length > 0 && <span> — {badge.reasons.join('; ')}</span>}
            {badge.exclusions.length > 0 && <span className="exclusions"> Exclusions: {badge.exclusions.join('; ')}</span>}
            {badge.ignored.length > 0 && <span className="ignored muted"> {badge.ignored.join('; ')}</span>}
          </div>
        )}
        {selected && <IntakeRepairs incident={incident} />}
        {pending && (
          <div className="handoff-line tone-info" role="status">
            <strong>{pending === 'live' ? 'Calling the clinician…' : 'Sending follow-up request…'}</strong>
          </div>
        )}
        {!pending && handoff && <HandoffLine handoff={handoff} incidentId={incident.id} />}
        {error && (
          <p className="row-error" role="alert">
            {error}
          </p>
        )}
        <div className="incident-actions">
          <button
            type="button"
            className="btn btn-primary btn-conference"
            aria-disabled={blocked || undefined}
            onClick={() => {
              select();
              void dispatch.getState().requestHandoff(incident.id, 'live');
            }}
          >
            <span className="nowrap">Conference</span> <span className="nowrap">clinician</span> {selected && <Kbd>F9</Kbd>}
          </button>
          <button
            type="button"
            className="btn"
            aria-disabled={blocked || undefined}
            onClick={() => {
              select();
              void dispatch.getState().requestHandoff(incident.id, 'followup');
            }}
          >
            <span className="nowrap">Request</span> <span className="nowrap">follow-up</span> {selected && <Kbd>⇧F9</Kbd>}
          </button>
          {selected && (
            <button type="button" className="btn btn-small" onClick={() => dispatch.getState().openEdit(incident.id)}>
              Edit <Kbd>E</Kbd>
            </button>
          )}
          {selected && (
            <button type="button" className="btn btn-small" aria-disabled={blocked || undefined} onClick={() => void dispatch.getState().closeIncident(incident.id)}>
              Close incident
            </button>
          )}
        </div>
      </li>
    );
  }),
);
