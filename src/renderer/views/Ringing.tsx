import { useEffect, useMemo, useRef } from 'react';
import type { Handoff, Incident } from '../../shared/entities';
import { createRingAlert, type RingAlert } from '../audio';
import { useWindowKeys } from '../hooks/useKeys';
import { useNow } from '../hooks/useNow';
import { secondsSince } from '../logic/format';
import { activeConferences, ringingHandoffs } from '../logic/handoff';
import { clinicianAction, isActivatable, isTypingTarget } from '../logic/keys';
import { useClinician, useData, useSession, useStores, useSync } from '../state/context';
import { CautionList, Kbd } from './common';

/** Incident facts for a handoff card; the incident may not have arrived yet. */
export function IncidentFacts({ incident, compact = false }: { incident: Incident | undefined; compact?: boolean }) {
  if (!incident) return <p className="muted">Incident details are on their way…</p>;
  return (
    <>
      <CautionList cautions={incident.cautions} strong />
      <dl className="facts">
        <dt>Type</dt>
        <dd>{incident.type}</dd>
        <dt>Location</dt>
        <dd>{incident.location}</dd>
        <dt>Callback</dt>
        <dd className="callback">{incident.callbackNumber ?? <span className="muted">none</span>}</dd>
        {!compact && incident.callerName && (
          <>
            <dt>Caller</dt>
            <dd>{incident.callerName}</dd>
          </>
        )}
        {!compact && incident.notes && (
          <>
            <dt>Caller notes</dt>
            <dd className="notes">{incident.notes}</dd>
          </>
        )}
        <dt>Incident</dt>
        <dd>
          {incident.number}
          {incident.priority ? ` · P${incident.priority.replace(/^p/i, '')}` : ''}
        </dd>
      </dl>
    </>
  );
}

function RingingCard({ handoff, incident, more, inConference }: { handoff: Handoff; incident: Incident | undefined; more: number; inConference: boolean }) {
  const { clinician } = useStores();
  const now = useNow(true);
  const declining = useClinician((s) => s.declining === handoff.id);
  const reason = useClinician((s) => s.declineReason);
  const declineError = useClinician((s) => s.declineError);
  const declineBusy = useClinician((s) => s.declineBusy);
  const acceptBusy = useClinician((s) => s.acceptBusy === handoff.id);
  const acceptRef = useRef<HTMLButtonElement>(null);

  // Take focus for the Accept button, unless the clinician is typing or in a conference: a
  // second call never takes the keyboard from the one under way.
  useEffect(() => {
    if (!inConference && !isTypingTarget(document.activeElement as HTMLElement | null)) acceptRef.current?.focus();
  }, [handoff.id, inConference]);

  const secs = secondsSince(handoff.ringingAt ?? handoff.requestedAt, now);
  return (
    <section className="ringing-card" aria-labelledby={`ring-${handoff.id}`} aria-describedby={`ring-from-${handoff.id}`}>
      <h2 id={`ring-${handoff.id}`}>
        <span className="ring-dot" aria-hidden />
        Incoming live call <span className="ring-secs">{secs} s</span>
      </h2>
      <p id={`ring-from-${handoff.id}`} className="ring-from">
        Conferenced by {handoff.requestedByName}
        {handoff.note ? ` — “${handoff.note}”` : ''}
        {more > 0 ? ` · ${more} more waiting` : ''}
      </p>
      <IncidentFacts incident={incident} />
      {!declining ? (
        <div className="ring-actions">
          <button
            ref={acceptRef}
            type="button"
            className="btn btn-accept"
            disabled={acceptBusy}
            onClick={() => void clinician.getState().accept(handoff.id)}
          >
            {acceptBusy ? 'Accepting…' : 'Accept'} <Kbd>A</Kbd>
            {!inConference && <Kbd>Enter</Kbd>}
          </button>
          <button type="button" className="btn btn-decline" onClick={() => clinician.getState().startDecline(handoff.id)}>
            Decline <Kbd>D</Kbd>
          </button>
        </div>
      ) : (
        <form
          className="decline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void clinician.getState().submitDecline();
          }}
        >
          <label className="field">
            <span>Why decline? The dispatcher sees this.</span>
            <input
              autoFocus
              value={reason}
              maxLength={500}
              onChange={(e) => clinician.getState().setDeclineReason(e.target.value)}
              aria-invalid={declineError ? true : undefined}
              aria-describedby={declineError ? 'decline-error' : undefined}
              placeholder="e.g. On another call — send responders"
            />
          </label>
          {declineError && (
            <p id="decline-error" className="form-error" role="alert">
              {declineError}
            </p>
          )}
          <div className="ring-actions">
            <button type="submit" className="btn btn-decline" disabled={declineBusy}>
              Send decline <Kbd>Enter</Kbd>
            </button>
            <button type="button" className="btn" onClick={() => clinician.getState().cancelDecline()}>
              Back <Kbd>Esc</Kbd>
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/**
 * The one alert allowed to interrupt: a live handoff ringing this console. Shown above
 * every view for clinical roles, with a tone, a live-region announcement and the A / Enter /
 * D keys.
 */
export function RingingArea() {
  const { clinician, ui } = useStores();
  const handoffs = useData((s) => s.handoffs);
  const incidents = useData((s) => s.incidents);
  const userId = useSession((s) => s.info?.user?.id ?? null);
  const notice = useClinician((s) => s.notice);
  const declining = useClinician((s) => s.declining);

  const ringing = useMemo(() => ringingHandoffs(Object.values(handoffs)), [handoffs]);
  const syncState = useSync((s) => s.status?.state ?? null);
  const connection = useSync((s) => s.connection);
  const floorLine = useSession((s) => s.info?.lines?.dispatchFloor ?? null);
  // Offline, this console cannot know whether a call still rings or who took it, and Accept
  // cannot reach the server: it says so instead of ringing a call it may have lost.
  const offline = connection === 'reconnecting' || (syncState !== null && syncState !== 'online' && syncState !== 'disabled');
  const inConference = useMemo(() => activeConferences(Object.values(handoffs), userId).length > 0, [handoffs, userId]);
  const first = ringing[0];
  const incident = first ? incidents.find((i) => i.id === first.incidentId) : undefined;

  const ringingId = offline ? null : (first?.id ?? null);
  const alert = useRef<RingAlert | null>(null);
  useEffect(() => {
    if (!ringingId) return;
    alert.current ??= createRingAlert();
    alert.current.start();
    return () => alert.current?.stop();
  }, [ringingId]);

  // Say it once per call, with what the clinician needs to decide.
  const announced = useRef<string | null>(null);
  useEffect(() => {
    if (!first || announced.current === first.id) return;
    if (!incident && announced.current !== `${first.id}:partial`) {
      announced.current = `${first.id}:partial`;
      ui.getState().announce('Incoming live call from dispatch. Press A to accept, D to decline.');
      return;
    }
    if (incident) {
      announced.current = first.id;
      const caution = incident.cautions?.length ? ` Caution: ${incident.cautions.map((c) => c.text).join('; ')}.` : '';
      ui.getState().announce(`Incoming live call: ${incident.type} at ${incident.location}.${caution} Press A to accept, D to decline.`);
    }
  }, [first, incident, ui]);

  useEffect(() => {
    if (!ringingId) return;
    const before = document.title;
    document.title = '● Incoming call — Tandem';
    return () => {
      document.title = before;
    };
  }, [ringingId]);

  useWindowKeys((e) => {
    const el = document.activeElement as HTMLElement | null;
    const action = clinicianAction(e, {
      typing: isTypingTarget(el),
      focusActivatable: isActivatable(el) && el !== document.body,
      ringing: !!first && !offline,
      declining: !!declining,
      inConference,
    });
    if (!action || !first) return;
    if (action.type === 'accept') {
      e.preventDefault();
      void clinician.getState().accept(first.id);
    } else if (action.type === 'startDecline') {
      e.preventDefault();
      clinician.getState().startDecline(first.id);
    } else if (action.type === 'cancelDecline') {
      e.preventDefault();
      clinician.getState().cancelDecline();
    }
  });

  return (
    <>
      {notice && (
        <div className={`notice tone-${notice.tone}`} role="alert">
          <strong>{notice.text}</strong>
          <button type="button" className="btn btn-small" onClick={() => clinician.getState().dismissNotice()}>
            Dismiss
          </button>
        </div>
      )}
      {offline && (
        <div className="notice tone-danger offline-notice" role="alert">
          <strong>This console is offline: it cannot take live calls right now.</strong>
          {first && <span> A call was ringing when the link dropped; another clinician may have taken it.</span>}
          <span>
            {' '}
            {floorLine ? (
              <>
                Dispatch floor: <span className="direct-line">{floorLine}</span>
              </>
            ) : (
              'Call the dispatch floor by phone.'
            )}
          </span>
        </div>
      )}
      {first && !offline && <RingingCard handoff={first} incident={incident} more={ringing.length - 1} inConference={inConference} />}
    </>
  );
}
