import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { DEFAULT_PRIORITY_CODES, INCIDENT_LIMITS, type NewIncident } from '../../shared/contract';
import type { Incident } from '../../shared/entities';
import { EMPTY_INCIDENT_FIELDS, changedIncidentFields, incidentFields, type IncidentFields } from '../logic/incidents';
import { useDispatch, useSession, useStores } from '../state/context';
import { HANDOFF_NOTE_MAX } from '../state/dispatch';
import { Kbd } from './common';

type Fields = IncidentFields;

function toInput(f: Fields): NewIncident {
  const opt = (v: string) => (v.trim() ? v.trim() : undefined);
  return {
    type: f.type,
    location: f.location,
    callbackNumber: opt(f.callbackNumber),
    callerName: opt(f.callerName),
    priority: opt(f.priority),
    notes: f.notes.trim() ? f.notes : undefined,
  };
}

/**
 * What CAD sent on a CAD incident, as text the dispatcher reads whole (a long CAD location
 * does not scroll out of a narrow input): CAD changes it, the console does not.
 */
function CadFields({ incident }: { incident: Incident }) {
  const rows: [string, string | null][] = [
    ['Type', incident.type],
    ['Location', incident.location],
    ['Callback number', incident.callbackNumber],
    ['Caller name', incident.callerName],
    ['Priority', incident.priority],
  ];
  return (
    <>
      <p id="incident-from-cad" className="form-note">
        From CAD: type, location, callback number, caller name and priority are changed in CAD, not here. Notes are yours to edit.
      </p>
      <dl className="cad-fields">
        {rows.map(([label, value]) => (
          <div key={label} className="cad-field">
            <dt>{label}</dt>
            <dd>{value || <span className="muted">None from CAD</span>}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

export interface IncidentFormProps {
  /**
   * Edit mode: the incident being changed, as the list has it now (undefined once it has left
   * the open list, e.g. closed on another console). Without `editing` the form creates one.
   */
  editing?: { id: string; incident: Incident | undefined };
}

/**
 * Typing an incident by hand (no CAD feed), or changing an open one. Keyboard only: Tab
 * between fields, Enter saves (Shift+Enter for a new line in the notes), Esc cancels. The
 * core validates; its message is shown next to the form. On a CAD incident what CAD sent is
 * shown read-only (CAD changes it); notes stay the dispatcher's.
 */
export function IncidentForm({ editing }: IncidentFormProps = {}) {
  const { dispatch } = useStores();
  const busy = useDispatch((s) => s.formBusy);
  const error = useDispatch((s) => s.formError);
  // The incident as it was when the form opened: what the edit is compared with.
  const [original] = useState<Incident | undefined>(() => editing?.incident);
  const [start] = useState<Fields>(() => (original ? incidentFields(original) : EMPTY_INCIDENT_FIELDS));
  const [f, setF] = useState<Fields>(start);
  const edit = !!editing;
  const cad = original?.source === 'eido';
  const gone = edit && !editing.incident;
  const [note, setNote] = useState('');
  const priorityCodes = useSession((s) => s.info?.priorityCodes ?? DEFAULT_PRIORITY_CODES);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    // Focus the first field the core rejected.
    if (error?.fields.length) formRef.current?.querySelector<HTMLElement>(`[name="${error.fields[0]}"]`)?.focus();
  }, [error]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (editing) void dispatch.getState().updateIncident(editing.id, changedIncidentFields(start, f, cad));
    else void dispatch.getState().createIncident(toInput(f));
  };
  const conference = (mode: 'live' | 'followup') =>
    void (editing
      ? dispatch.getState().updateAndRequest(editing.id, changedIncidentFields(start, f, cad), mode, note)
      : dispatch.getState().createAndRequest(toInput(f), mode, note));
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'F9' && !e.ctrlKey && !e.altKey && !e.metaKey && !e.repeat) {
      // F9 works here too: the incident is saved first, then the clinician conferenced on it.
      e.preventDefault();
      e.stopPropagation();
      if (!busy) conference(e.shiftKey ? 'followup' : 'live');
      return;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      dispatch.getState().closeForm();
    }
  };
  const bind = (name: keyof Fields) => ({
    name,
    id: `incident-${name}`,
    value: f[name],
    onChange: (e: { target: { value: string } }) => setF((prev) => ({ ...prev, [name]: e.target.value })),
    'aria-invalid': error?.fields.includes(name) ? true : undefined,
    'aria-describedby': [`incident-${name}-count`, error ? 'incident-form-error' : ''].filter(Boolean).join(' '),
    maxLength: INCIDENT_LIMITS[name],
    autoComplete: 'off',
  });
  /** What the input holds of its limit, shown with the label: the limit is never a surprise. */
  const count = (name: keyof Fields) => (
    <span id={`incident-${name}-count`} className={`count${f[name].length >= INCIDENT_LIMITS[name] ? ' at-limit' : ''}`}>
      {f[name].length}/{INCIDENT_LIMITS[name]}
    </span>
  );
  // A priority the incident already has that is not (or no longer) one of the center's codes stays choosable as it is.
  const codes = start.priority && !priorityCodes.includes(start.priority) ? [...priorityCodes, start.priority] : priorityCodes;
  const title = original ? `Edit incident ${original.number}` : 'New incident';

  return (
    <form ref={formRef} className="incident-form" onSubmit={submit} onKeyDown={onKeyDown} aria-labelledby="incident-form-title" noValidate>
      <h2 id="incident-form-title">{title}</h2>
      {gone && (
        <p className="form-note form-note-warn" role="status">
          Incident {original?.number} is no longer on the open list (closed on another console). Saving keeps it closed.
        </p>
      )}
      {cad && original ? (
        <CadFields incident={editing?.incident ?? original} />
      ) : (
        <>
          <div className="field">
            <label htmlFor="incident-type">
              Type <span className="req">required</span> {count('type')}
            </label>
            <input {...bind('type')} autoFocus aria-required placeholder="e.g. Welfare check" />
          </div>
          <div className="field">
            <label htmlFor="incident-location">
              Location <span className="req">required</span> {count('location')}
            </label>
            <input {...bind('location')} aria-required placeholder="Address or landmark" />
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="incident-callbackNumber">Callback number {count('callbackNumber')}</label>
              <input {...bind('callbackNumber')} type="tel" inputMode="tel" placeholder="617-555-0188" />
            </div>
            <div className="field field-narrow">
              <label htmlFor="incident-priority">Priority</label>
              <select
                name="priority"
                id="incident-priority"
                value={f.priority}
                onChange={(e) => setF((prev) => ({ ...prev, priority: e.target.value }))}
                aria-invalid={error?.fields.includes('priority') ? true : undefined}
                aria-describedby={error ? 'incident-form-error' : undefined}
              >
                <option value="">None</option>
                {codes.map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <div className="field">
            <label htmlFor="incident-callerName">Caller name {count('callerName')}</label>
            <input {...bind('callerName')} />
          </div>
        </>
      )}
      <div className="field">
        <label htmlFor="incident-notes">
          Notes <span className="hint">Shift+Enter for a new line</span> {count('notes')}
        </label>
        <textarea
          {...bind('notes')}
          autoFocus={cad}
          rows={3}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="incident-handoff-note">
          Note to the clinician <span className="hint">one line, sent with F9</span>{' '}
          <span id="incident-handoff-note-count" className="count">
            {note.length}/{HANDOFF_NOTE_MAX}
          </span>
        </label>
        <input
          id="incident-handoff-note"
          name="handoffNote"
          value={note}
          maxLength={HANDOFF_NOTE_MAX}
          onChange={(e) => setNote(e.target.value)}
          aria-describedby="incident-handoff-note-count"
          autoComplete="off"
          placeholder="e.g. Caller is the sister; he is in the bathroom"
        />
      </div>
      {error && (
        <p id="incident-form-error" className="form-error" role="alert">
          {error.message}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {edit ? (busy ? 'Saving…' : 'Save changes') : busy ? 'Creating…' : 'Create incident'} <Kbd>Enter</Kbd>
        </button>
        <button type="button" className="btn btn-conference" disabled={busy} onClick={() => conference('live')}>
          Save and conference <Kbd>F9</Kbd>
        </button>
        <button type="button" className="btn" onClick={() => dispatch.getState().closeForm()}>
          Cancel <Kbd>Esc</Kbd>
        </button>
      </div>
    </form>
  );
}
