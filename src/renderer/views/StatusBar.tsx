import { useMemo } from 'react';
import { clinicianChip, otherDemoRole, ROLE_LABELS, syncChips } from '../logic/status';
import { useData, useSession, useStores, useSync } from '../state/context';
import { Chip } from './common';
import { may } from '../../shared/roles';

/**
 * Always on screen: sync state, who is signed in and, for those who conference a clinician in,
 * what F9 would do now (a clinician's own console has no use for it, and "none available" on it
 * would read as a statement about her).
 */
export function StatusBar() {
  const { session } = useStores();
  const status = useSync((s) => s.status);
  const connection = useSync((s) => s.connection);
  const info = useSession((s) => s.info);
  const busy = useSession((s) => s.busy);
  const presence = useData((s) => s.presence);
  const live = useData((s) => s.live);
  const user = info?.user ?? null;

  const chips = useMemo(() => syncChips(status, connection), [status, connection]);
  const clinician = useMemo(() => clinicianChip(presence, live, status?.state), [presence, live, status?.state]);
  const switchTo = user && info?.demo ? otherDemoRole(user.role) : null;

  return (
    <header className="statusbar" aria-label="Status">
      <div className="status-row">
        {chips.map((c) => (
          <Chip key={c.text} tone={c.tone}>
            {c.text}
          </Chip>
        ))}
        {user && may(user.role, 'handoff.request') && <Chip tone={clinician.tone}>{clinician.text}</Chip>}
      </div>
      {user && (
        <div className="status-row status-user">
          <span className="user-name">
            {user.name} <span className="user-role">· {ROLE_LABELS[user.role]}</span>
          </span>
          <span className="status-actions">
            {switchTo && (
              <button type="button" className="btn btn-small" disabled={busy} onClick={() => void session.getState().switchRole(switchTo)}>
                Switch to {ROLE_LABELS[switchTo].toLowerCase()}
              </button>
            )}
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void session.getState().signOut()}>
              Sign out
            </button>
          </span>
        </div>
      )}
    </header>
  );
}
