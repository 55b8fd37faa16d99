import { useEffect, useRef } from 'react';
import { useMediaQuery, useTopBarHeight } from '../hooks/useMedia';
import { useStores, useUi } from '../state/context';
import { KeyHints } from '../views/common';
import { CaseRecordView } from './CaseRecordView';
import { DirectoryView } from './DirectoryView';
import { useCaseload, useCaseloadStore } from './hooks';
import { DIRECTORY_HINTS, QUEUE_HINTS, RECORD_HINTS, SCREENING_HINTS } from './logic';
import { QueueView } from './QueueView';
import { ScreeningView } from './ScreeningView';
import './caseload.css';

/**
 * The clinician's caseload: follow-up queue → case record → screening / directory. One
 * store (per console client) keeps the queue, filters and open case across screen changes.
 */
export function CaseloadView() {
  const { ui } = useStores();
  const store = useCaseloadStore();
  const screen = useCaseload((s) => s.screen);
  const focusCaseId = useUi((s) => s.focusCaseId);

  // "Open case" after a conference lands here with the case to show.
  useEffect(() => {
    if (!focusCaseId) return;
    store.getState().openCase(focusCaseId);
    ui.setState({ focusCaseId: null });
  }, [focusCaseId, store, ui]);

  // On a wide screen (a clinician's own 1920 × 1080, or 1280 × 720) the queue stays beside
  // the open case; docked beside CAD it is one narrow column, one screen at a time.
  const wide = useMediaQuery(WIDE_QUERY);
  const topBar = useTopBarHeight();
  const detailRef = useRef<HTMLDivElement>(null);

  // A new screen starts at its top (the queue scrolls back to its selection itself).
  const key = screen.kind === 'queue' ? null : `${screen.kind}:${screen.caseId}`;
  useEffect(() => {
    if (!key) return;
    if (wide) detailRef.current?.scrollTo({ top: 0 });
    else window.scrollTo({ top: 0 });
  }, [key, wide]);

  const hints =
    screen.kind === 'queue'
      ? QUEUE_HINTS
      : screen.kind === 'case'
        ? RECORD_HINTS
        : screen.kind === 'screening'
          ? SCREENING_HINTS
          : screen.caseId
            ? DIRECTORY_HINTS
            : DIRECTORY_HINTS.filter((h) => h.label !== 'Refer');
  const detail = (
    <>
      {screen.kind === 'case' && <CaseRecordView caseId={screen.caseId} />}
      {screen.kind === 'screening' && <ScreeningView caseId={screen.caseId} instrument={screen.instrument} />}
      {screen.kind === 'directory' && <DirectoryView caseId={screen.caseId} />}
    </>
  );
  if (wide) {
    return (
      <>
        <div className="caseload-split">
          <div className="split-queue">
            {/* The queue's keys (J/K, /, Enter) are the open screen's while one is open. */}
            <QueueView keys={screen.kind === 'queue'} />
          </div>
          <div ref={detailRef} className="split-detail" style={{ top: topBar, maxHeight: `calc(100vh - ${topBar}px)` }}>
            {screen.kind === 'queue' ? (
              <p className="split-empty muted">Open a case from the queue (click it, or select it with J / K and press Enter); it opens here, beside the queue.</p>
            ) : (
              detail
            )}
          </div>
        </div>
        <KeyHints hints={hints} label="Caseload keyboard shortcuts" />
      </>
    );
  }
  return (
    <>
      {screen.kind === 'queue' ? <QueueView /> : detail}
      <KeyHints hints={hints} label="Caseload keyboard shortcuts" />
    </>
  );
}

/** Wide enough for the queue and a case side by side. */
export const WIDE_QUERY = '(min-width: 1200px)';
