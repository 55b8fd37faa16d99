import { useMemo } from 'react';
import { activeConferences } from './logic/handoff';
import { formatElapsed, msSince } from './logic/format';
import { CLINICIAN_HINTS, DISPATCHER_HINTS } from './logic/keys';
import { useNow } from './hooks/useNow';
import { consoleViewsFor, may, type ConsoleView } from '../shared/roles';
import { useData, useDispatch, useSession, useStores, useSync, useUi } from './state/context';
import { KeyHints } from './views/common';
import { StatusBar } from './views/StatusBar';
import { RecoveryCodes, SignIn } from './views/SignIn';
import { DispatcherView } from './views/DispatcherView';
import { ClinicianView } from './views/ClinicianView';
import { CaseloadView } from './caseload/CaseloadView';
import { LazyReportsView } from './reports/LazyReports';
import { AuditView } from './audit/AuditView';
import { RingingArea } from './views/Ringing';
import { LockScreen, useIdleLock } from './views/LockScreen';

/** Screen readers hear what changed without anyone moving focus. */
function LiveRegion() {
  const announcement = useUi((s) => s.announcement);
  return (
    <div className="visually-hidden" aria-live="assertive" aria-atomic="true">
      {/* The key makes a repeated message a new node, so it is read again. */}
      <span key={announcement.n}>{announcement.text}</span>
    </div>
  );
}

/** The failed-handoff banner: stays until the dispatcher dismisses it. */
function HandoffFailedBanner() {
  const { dispatch } = useStores();
  const banner = useDispatch((s) => s.banner);
  if (!banner) return null;
  return (
    <div className="banner banner-danger" role="alert">
      <div className="banner-text">
        <strong>
          {banner.headline} — {banner.directLine ? 'call direct: ' : ''}
          <span className="direct-line">{banner.directLine ?? 'no direct line on file: use the floor phone'}</span>
        </strong>
        {banner.incidentNumber && <span>Incident {banner.incidentNumber}</span>}
      </div>
      <button type="button" className="btn btn-small" onClick={() => dispatch.getState().dismissBanner()}>
        Dismiss
      </button>
    </div>
  );
}

/** While a conference runs, any other screen shows a way back to it. */
function ConferenceReturnBar({ onReturn }: { onReturn: () => void }) {
  const handoffs = useData((s) => s.handoffs);
  const userId = useSession((s) => s.info?.user?.id ?? null);
  const active = useMemo(() => activeConferences(Object.values(handoffs), userId)[0], [handoffs, userId]);
  const now = useNow(!!active);
  if (!active) return null;
  return (
    <div className="banner banner-ok">
      <strong>Conference in progress {formatElapsed(msSince(active.acceptedAt, now))}</strong>
      <button type="button" className="btn btn-small" onClick={onReturn}>
        Back to the call
      </button>
    </div>
  );
}

const ROUTE_LABELS: Record<ConsoleView, string> = { dispatch: 'Dispatch', clinician: 'Live calls', caseload: 'Caseload', reports: 'Figures', audit: 'Audit log' };

function Nav({ routes }: { routes: ConsoleView[] }) {
  const { ui } = useStores();
  const route = useUi((s) => s.route);
  if (routes.length < 2) return null;
  return (
    <nav className="nav" aria-label="Screens">
      {routes.map((r) => (
        <button key={r} type="button" className="btn nav-btn" aria-current={r === route ? 'page' : undefined} onClick={() => ui.getState().setRoute(r)}>
          {ROUTE_LABELS[r]}
        </button>
      ))}
    </nav>
  );
}

/** The screens the signed-in role has (shared/roles.ts), the one shown, and whether handoffs ring here. */
function useRoutes(): { routes: ConsoleView[]; shown: ConsoleView; answersHandoffs: boolean } {
  const role = useSession((s) => s.info?.user?.role ?? null);
  const route = useUi((s) => s.route);
  const routes = consoleViewsFor(role);
  return { routes, shown: routes.includes(route) ? route : routes[0], answersHandoffs: may(role, 'handoff.answer') };
}

/** What must be seen at once, whatever is scrolled: it sits in the sticky top bar. */
function Alerts() {
  const { ui } = useStores();
  const { shown, answersHandoffs } = useRoutes();
  return (
    <>
      <HandoffFailedBanner />
      {answersHandoffs && <RingingArea />}
      {answersHandoffs && shown !== 'clinician' && <ConferenceReturnBar onReturn={() => ui.getState().setRoute('clinician')} />}
    </>
  );
}

function SignedIn() {
  const { ui } = useStores();
  const { routes, shown } = useRoutes();
  const openCase = (caseId: string) => ui.getState().openCase(caseId);

  return (
    <>
      <Nav routes={routes} />
      <main className="main">
        {shown === 'dispatch' && <DispatcherView />}
        {shown === 'clinician' && <ClinicianView onOpenCase={openCase} />}
        {shown === 'caseload' && <CaseloadView />}
        {shown === 'reports' && <LazyReportsView />}
        {shown === 'audit' && <AuditView />}
      </main>
      {/* The caseload shows the keys of its own screens. */}
      {(shown === 'dispatch' || shown === 'clinician') && <KeyHints hints={shown === 'dispatch' ? DISPATCHER_HINTS : CLINICIAN_HINTS} label="Keyboard shortcuts" />}
    </>
  );
}

export function App() {
  const { session } = useStores();
  const info = useSession((s) => s.info);
  const loading = useSession((s) => s.loading);
  const loadError = useSession((s) => s.loadError);
  const connection = useSync((s) => s.connection);
  const user = info?.user ?? null;
  const recoveryCodes = useSession((s) => s.recoveryCodes);
  const { client } = useStores();
  useIdleLock(client, info?.lockAfterMinutes ?? 0, !!user && !info?.locked);

  return (
    <div className="app">
      {user && info?.locked && <LockScreen client={client} name={user.name} />}
      <div className="top">
        <StatusBar />
        {user && <Alerts />}
      </div>
      {!info ? (
        <main className="main splash">
          {loadError && !loading ? (
            <div className="banner banner-danger" role="alert">
              <span>Cannot reach the console core: {loadError}</span>
              <button type="button" className="btn btn-small" onClick={() => void session.getState().load()}>
                Retry
              </button>
            </div>
          ) : (
            <p className="muted">{connection === 'connected' ? 'Loading…' : 'Connecting to the console core…'}</p>
          )}
        </main>
      ) : user && recoveryCodes ? (
        <RecoveryCodes codes={recoveryCodes} />
      ) : user ? (
        <SignedIn />
      ) : (
        <SignIn />
      )}
      <LiveRegion />
    </div>
  );
}
