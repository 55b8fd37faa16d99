import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import type { QueueRow } from '../../shared/contract';
import { useWindowKeys } from '../hooks/useKeys';
import { useNow } from '../hooks/useNow';
import { isActivatable, isTypingTarget } from '../logic/keys';
import { Chip, Kbd } from '../views/common';
import { useCaseload, useCaseloadStore } from './hooks';
import {
  describeDue,
  filterQueue,
  primeSearchIndex,
  ORIGIN_LABELS,
  queueAction,
  RISK_LABELS,
  RISK_TONES,
  STATUS_LABELS,
  triageOrder,
  type OriginFilter,
  type RiskFilter,
} from './logic';
import type { StatusFilter } from './store';

/** Every row has the same height, so 10,000 of them scroll without measuring. */
const ROW_HEIGHT = 96;
const ROW_GAP = 6;

const QueueRowView = memo(function QueueRowView({
  row,
  selected,
  now,
  onOpen,
}: {
  row: QueueRow;
  selected: boolean;
  now: number;
  onOpen: (id: string) => void;
}) {
  const due = describeDue(row.dueAt, now, row.status === 'closed');
  return (
    <div
      id={`q-${row.id}`}
      role="option"
      aria-selected={selected}
      data-case-id={row.id}
      className={`q-row${selected ? ' is-selected' : ''}${due.overdue ? ' is-overdue' : ''}${row.safetyAlert ? ' has-alert' : ''}`}
      onClick={() => onOpen(row.id)}
    >
      <div className="q-line q-head">
        <span className="q-name">
          {row.safetyAlert && (
            <span className="q-alert" title={row.safetyAlert}>
              ⚠<span className="visually-hidden"> Safety alert. </span>
            </span>
          )}
          {row.personName}
        </span>
        <Chip tone={RISK_TONES[row.risk]}>{RISK_LABELS[row.risk]}</Chip>
      </div>
      <div className="q-line q-reason">{row.reason}</div>
      <div className="q-line q-meta">
        <strong className={`q-due tone-${due.tone}`}>{due.text}</strong>
        <span className="muted">
          {row.status === 'waiting' ? 'Waiting · ' : ''}
          {ORIGIN_LABELS[row.origin]} · {row.ownerName ?? 'Unassigned'}
          {row.personPhone ? ` · ${row.personPhone}` : ''}
          {row.incidentNumber ? ` · ${row.incidentNumber}` : ''}
        </span>
      </div>
    </div>
  );
});

/** `keys: false` while another screen beside it has the keyboard (a wide screen's open case). */
export function QueueView({ keys = true }: { keys?: boolean }) {
  const store = useCaseloadStore();
  const rows = useCaseload((s) => s.rows);
  const total = useCaseload((s) => s.total);
  const loaded = useCaseload((s) => s.loaded);
  const error = useCaseload((s) => s.queueError);
  const scope = useCaseload((s) => s.scope);
  const status = useCaseload((s) => s.status);
  const risk = useCaseload((s) => s.risk);
  const origin = useCaseload((s) => s.origin);
  const search = useCaseload((s) => s.search);
  const selectedId = useCaseload((s) => s.selectedId);
  const now = useNow(true, 30_000);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const [margin, setMargin] = useState(0);

  // Open follow-ups in triage order (most at risk first); closed ones as the core sorts them.
  const visible = useMemo(() => {
    const shown = filterQueue(rows, { risk, origin, search });
    return status === 'closed' ? shown : triageOrder(shown, now);
  }, [rows, risk, origin, search, status, now]);
  const overdue = useMemo(() => {
    const nowIso = new Date(now).toISOString();
    let n = 0;
    for (const r of visible) if (r.status !== 'closed' && r.dueAt !== null && r.dueAt < nowIso) n++;
    return n;
  }, [visible, now]);
  // The selection is the chosen row while it is shown, else the first row (no extra render per keystroke).
  const selIndex = Math.max(0, visible.findIndex((r) => r.id === selectedId));
  const selected = visible[selIndex] ?? null;

  useLayoutEffect(() => {
    const measure = () => setMargin(listRef.current ? listRef.current.getBoundingClientRect().top + window.scrollY : 0);
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, [loaded, error]);

  const virtualizer = useWindowVirtualizer({
    count: visible.length,
    estimateSize: () => ROW_HEIGHT + ROW_GAP,
    overscan: 6,
    scrollMargin: margin,
    // The status bar above and the key hints below stay on screen.
    scrollPaddingStart: 150,
    scrollPaddingEnd: 70,
    getItemKey: (i) => visible[i]?.id ?? i,
  });

  // Index the rows for search while the clinician reads, not on the first keystroke.
  useEffect(() => {
    const t = setTimeout(() => primeSearchIndex(rows), 50);
    return () => clearTimeout(t);
  }, [rows]);

  useEffect(() => {
    if (!loaded) void store.getState().loadQueue();
  }, [loaded, store]);

  // Keys work the list at once (focus would otherwise stay on the button that led here, or
  // in the case just closed beside it).
  useEffect(() => {
    const el = document.activeElement as HTMLElement | null;
    if (keys && !isTypingTarget(el)) listRef.current?.focus({ preventScroll: true });
  }, [keys]);

  // Back from a case: bring its row into view again.
  const restored = useRef(false);
  useEffect(() => {
    if (restored.current || !visible.length || margin === 0) return;
    restored.current = true;
    if (selIndex > 0) virtualizer.scrollToIndex(selIndex, { align: 'center' });
  }, [visible.length, margin, selIndex, virtualizer]);

  function move(to: number) {
    if (!visible.length) return;
    const i = Math.max(0, Math.min(visible.length - 1, to));
    store.getState().select(visible[i].id);
    virtualizer.scrollToIndex(i, { align: 'auto' });
  }

  useWindowKeys((e) => {
    const el = document.activeElement as HTMLElement | null;
    const typing = isTypingTarget(el);
    const action = queueAction(e, { typing, focusActivatable: isActivatable(el) });
    if (!action) {
      if (e.key === 'Escape' && el === searchRef.current) {
        e.preventDefault();
        if (search) store.getState().setSearch('');
        else searchRef.current?.blur();
      }
      return;
    }
    // In the search box only the list keys that do not type (arrows, Enter) act.
    if (typing && el !== searchRef.current) return;
    e.preventDefault();
    switch (action) {
      case 'next':
        return move(selIndex + 1);
      case 'prev':
        return move(selIndex - 1);
      case 'first':
        return move(0);
      case 'last':
        return move(visible.length - 1);
      case 'open':
        if (selected) store.getState().openCase(selected.id);
        return;
      case 'search':
        searchRef.current?.focus();
        searchRef.current?.select();
        return;
      case 'directory':
        store.getState().show({ kind: 'directory', caseId: null });
        return;
      case 'mine':
        store.getState().setFilter({ scope: scope === 'mine' ? 'all' : 'mine' });
        return;
    }
  }, keys);

  const items = virtualizer.getVirtualItems();
  const open = useCallback((id: string) => store.getState().openCase(id), [store]);

  return (
    <section className="view caseload-view" aria-labelledby="queue-title">
      <div className="view-head">
        <h1 id="queue-title">
          Follow-ups <span className="count">{visible.length}</span>
        </h1>
        {overdue > 0 && <strong className="overdue-count tone-danger">{overdue} overdue</strong>}
        <button type="button" className="btn btn-small" onClick={() => store.getState().show({ kind: 'directory', caseId: null })}>
          Directory <Kbd>D</Kbd>
        </button>
      </div>

      <div className="q-search field">
        <label htmlFor="queue-search" className="visually-hidden">
          Search by name, phone or incident number
        </label>
        <input
          ref={searchRef}
          id="queue-search"
          type="search"
          placeholder="Name, phone or incident #   ( / )"
          autoComplete="off"
          spellCheck={false}
          value={search}
          aria-controls="queue-list"
          onChange={(e) => store.getState().setSearch(e.target.value)}
        />
      </div>

      <div className="q-filters" role="group" aria-label="Filters">
        <div className="segmented" role="group" aria-label="Whose cases">
          {(['mine', 'all'] as const).map((s) => (
            <button key={s} type="button" className="btn btn-small" aria-pressed={scope === s} onClick={() => store.getState().setFilter({ scope: s })}>
              {s === 'mine' ? 'Mine' : 'All'}
            </button>
          ))}
        </div>
        <label className="q-filter">
          <span className="visually-hidden">Risk</span>
          <select value={risk} aria-label="Risk" onChange={(e) => store.getState().setFilter({ risk: e.target.value as RiskFilter })}>
            <option value="any">Any risk</option>
            <option value="high">High risk</option>
            <option value="moderate">Moderate</option>
            <option value="low">Low</option>
            <option value="unknown">Unknown</option>
          </select>
        </label>
        <label className="q-filter">
          <span className="visually-hidden">Case status</span>
          <select value={status} aria-label="Case status" onChange={(e) => store.getState().setFilter({ status: e.target.value as StatusFilter })}>
            <option value="active">Open + waiting</option>
            <option value="open">{STATUS_LABELS.open}</option>
            <option value="waiting">{STATUS_LABELS.waiting}</option>
            <option value="closed">{STATUS_LABELS.closed}</option>
          </select>
        </label>
        <label className="q-filter">
          <span className="visually-hidden">Origin</span>
          <select value={origin} aria-label="Origin" onChange={(e) => store.getState().setFilter({ origin: e.target.value as OriginFilter })}>
            <option value="any">Any origin</option>
            {Object.entries(ORIGIN_LABELS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>

      {error && (
        <p className="row-error" role="alert">
          Could not load the queue: {error}
        </p>
      )}
      {!loaded && !error && <p className="muted">Loading the queue…</p>}
      {loaded && visible.length === 0 && !error && (
        <p className="empty">{rows.length ? 'No case matches these filters.' : status === 'closed' ? 'No closed cases.' : 'No open follow-ups. Nice.'}</p>
      )}
      {status === 'closed' && total > rows.length && (
        <p className="hint">
          Showing the newest {rows.length} of {total} closed cases: search to find others.
        </p>
      )}

      <div
        ref={listRef}
        id="queue-list"
        className="q-list"
        role="listbox"
        aria-label="Follow-up queue, overdue first"
        aria-activedescendant={selected ? `q-${selected.id}` : undefined}
        tabIndex={0}
        style={{ height: virtualizer.getTotalSize() }}
        data-rows={visible.length}
        data-filter-key={`${scope}|${status}|${risk}|${origin}|${search}`}
      >
        {items.map((item) => {
          const row = visible[item.index];
          if (!row) return null;
          return (
            <div key={item.key} className="q-slot" style={{ transform: `translateY(${item.start - virtualizer.options.scrollMargin}px)`, height: ROW_HEIGHT }}>
              <QueueRowView row={row} selected={row.id === selected?.id} now={now} onOpen={open} />
            </div>
          );
        })}
      </div>
    </section>
  );
}
