import { useEffect, useMemo, useRef } from 'react';
import type { Handoff } from '../../shared/entities';
import { useWindowKeys } from '../hooks/useKeys';
import { latestHandoffFor } from '../logic/handoff';
import { openIncidentsNewestFirst } from '../logic/incidents';
import { dispatcherAction, isTypingTarget } from '../logic/keys';
import { useData, useDispatch, useStores } from '../state/context';
import { Kbd } from './common';
import { IncidentForm } from './IncidentForm';
import { IncidentRow } from './IncidentRow';

/** The dispatcher's panel: open incidents, newest first, each one key or click away from the clinician. */
export function DispatcherView() {
  const { dispatch } = useStores();
  const incidents = useData((s) => s.incidents);
  const loaded = useData((s) => s.incidentsLoaded);
  const loadError = useData((s) => s.incidentsError);
  const handoffs = useData((s) => s.handoffs);
  const selectedId = useDispatch((s) => s.selectedId);
  const formOpen = useDispatch((s) => s.formOpen);
  const editingId = useDispatch((s) => s.editingId);
  const pending = useDispatch((s) => s.pending);
  const rowErrors = useDispatch((s) => s.rowErrors);

  const open = useMemo(() => openIncidentsNewestFirst(incidents), [incidents]);
  const latest = useMemo(() => {
    const all = Object.values(handoffs);
    const map = new Map<string, Handoff | undefined>();
    for (const i of open) map.set(i.id, latestHandoffFor(i.id, all));
    return map;
  }, [open, handoffs]);

  const rowRefs = useRef(new Map<string, HTMLButtonElement>());
  const newButton = useRef<HTMLButtonElement>(null);
  const focusSelection = useRef(false);

  // Keep a selection while there are incidents: the first (newest) when none is chosen or it closed.
  useEffect(() => {
    if (!open.length) {
      if (selectedId) dispatch.getState().select(null);
      return;
    }
    if (!selectedId || !open.some((i) => i.id === selectedId)) dispatch.getState().select(open[0].id);
  }, [open, selectedId, dispatch]);

  // After a keyboard move (or creating an incident), bring the selected row into view and focus.
  useEffect(() => {
    if (!focusSelection.current || !selectedId) return;
    const el = rowRefs.current.get(selectedId);
    if (!el) return;
    focusSelection.current = false;
    el.focus();
    el.scrollIntoView?.({ block: 'nearest' });
  }, [selectedId, open]);

  // When the form closes, give focus back to the list so the keys keep working.
  const wasOpen = useRef(formOpen);
  useEffect(() => {
    if (wasOpen.current && !formOpen) {
      focusSelection.current = true;
      const el = selectedId ? rowRefs.current.get(selectedId) : null;
      if (el) {
        focusSelection.current = false;
        el.focus();
        el.scrollIntoView?.({ block: 'nearest' });
      } else newButton.current?.focus();
    }
    wasOpen.current = formOpen;
  }, [formOpen, selectedId]);

  useWindowKeys((e) => {
    const action = dispatcherAction(e, { typing: isTypingTarget(document.activeElement as HTMLElement | null), formOpen });
    if (!action) return;
    const st = dispatch.getState();
    const sel = st.selectedId;
    switch (action) {
      case 'conference':
      case 'followup':
        if (!sel) return;
        e.preventDefault();
        void st.requestHandoff(sel, action === 'conference' ? 'live' : 'followup');
        return;
      case 'cancelHandoff':
        if (!sel) return;
        e.preventDefault();
        void st.cancelHandoff(sel);
        return;
      case 'newIncident':
        e.preventDefault();
        st.openForm();
        return;
      case 'edit':
        if (!sel) return;
        e.preventDefault();
        st.openEdit(sel);
        return;
      case 'next':
      case 'prev':
        e.preventDefault();
        focusSelection.current = true;
        st.move(action === 'next' ? 1 : -1);
        return;
      case 'first':
      case 'last':
        e.preventDefault();
        focusSelection.current = true;
        st.edge(action);
        return;
    }
  });

  return (
    <section className="view dispatch-view" aria-labelledby="dispatch-title">
      <div className="view-head">
        <h1 id="dispatch-title">
          Open incidents <span className="count">{open.length}</span>
        </h1>
        {!formOpen && (
          <button ref={newButton} type="button" className="btn" onClick={() => dispatch.getState().openForm()}>
            New incident <Kbd>N</Kbd>
          </button>
        )}
      </div>
      {formOpen &&
        (editingId ? (
          <IncidentForm key={editingId} editing={{ id: editingId, incident: open.find((i) => i.id === editingId) }} />
        ) : (
          <IncidentForm key="new" />
        ))}
      {loadError && (
        <p className="row-error" role="alert">
          Could not load incidents: {loadError}
        </p>
      )}
      {!loaded && !loadError && <p className="muted">Loading incidents…</p>}
      {loaded && open.length === 0 && (
        <p className="empty">
          No open incidents. Press <Kbd>N</Kbd> to type one in.
        </p>
      )}
      <ul className="incident-list" aria-label="Open incidents, newest first">
        {open.map((i) => (
          <IncidentRow
            key={i.id}
            ref={(el) => {
              if (el) rowRefs.current.set(i.id, el);
              else rowRefs.current.delete(i.id);
            }}
            incident={i}
            handoff={latest.get(i.id)}
            selected={i.id === selectedId}
            pending={pending[i.id]}
            error={rowErrors[i.id]}
          />
        ))}
      </ul>
    </section>
  );
}
