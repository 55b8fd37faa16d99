import { useEffect } from 'react';
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

  // A new screen starts at its top (the queue scrolls back to its selection itself).
  const key = screen.kind === 'queue' ? null : `${screen.kind}:${screen.caseId}`;
  useEffect(() => {
    if (key) window.scrollTo({ top: 0 });
  }, [key]);

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
  return (
    <>
      {screen.kind === 'queue' && <QueueView />}
      {screen.kind === 'case' && <CaseRecordView caseId={screen.caseId} />}
      {screen.kind === 'screening' && <ScreeningView caseId={screen.caseId} instrument={screen.instrument} />}
      {screen.kind === 'directory' && <DirectoryView caseId={screen.caseId} />}
      <KeyHints hints={hints} label="Caseload keyboard shortcuts" />
    </>
  );
}
