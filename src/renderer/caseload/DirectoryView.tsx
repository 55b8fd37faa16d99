import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { DirectoryHit } from '../../shared/contract';
import { SUGGESTION_FIELDS, type DirectorySuggestion, type SuggestionField } from '../../shared/entities';
import { SUGGESTION_FIELD_LABELS } from '../../shared/directory/suggestion';
import { formatClock } from '../logic/format';
import { NEEDS } from '../../shared/directory/search';
import { useWindowKeys } from '../hooks/useKeys';
import { isActivatable, isTypingTarget } from '../logic/keys';
import { Chip, Kbd } from '../views/common';
import { useDrafts, useSession } from '../state/context';
import { formDraftKey } from '../storage';
import { may } from '../../shared/roles';
import { ActionError, CancelOrDiscard, DraftNote, useCaseAction, useFormDraft } from './forms';
import { DirectoryImportReport, ImportProgress } from './DirectoryImportReport';
import { useCaseload, useCaseloadStore } from './hooks';

function openChip(open: boolean | null) {
  if (open === true) return <Chip tone="ok">Open now</Chip>;
  if (open === false) return <Chip tone="warn">Closed now</Chip>;
  return <Chip tone="muted">Hours unknown</Chip>;
}

function ages(h: DirectoryHit): string | null {
  if (h.minimumAge !== null && h.maximumAge !== null) return `Ages ${h.minimumAge}–${h.maximumAge}`;
  if (h.minimumAge !== null) return `Ages ${h.minimumAge}+`;
  if (h.maximumAge !== null) return `Up to age ${h.maximumAge}`;
  return null;
}

const ServiceCard = memo(function ServiceCard({
  hit,
  selected,
  referring,
  onSelect,
  onRefer,
  onSuggest,
}: {
  hit: DirectoryHit;
  selected: boolean;
  referring: boolean;
  onSelect: (id: string) => void;
  onRefer: (id: string) => void;
  /** Set for a role that may suggest a correction (issue 13). */
  onSuggest?: (id: string) => void;
}) {
  const age = ages(hit);
  return (
    <li className={`svc${selected ? ' is-selected' : ''}`} data-service-id={hit.id} aria-current={selected || undefined} onClick={() => onSelect(hit.id)}>
      <div className="svc-head">
        <strong className="svc-name">{hit.name}</strong>
        {openChip(hit.open)}
      </div>
      <div className="muted">{hit.organizationName}</div>
      {hit.description && <div className="svc-desc">{hit.description}</div>}
      <div className="svc-facts">
        {hit.phone && <span className="svc-phone">☎ {hit.phone}</span>}
        {hit.address && <span>{hit.address}</span>}
        {hit.languages.length > 0 && <span>Languages: {hit.languages.join(', ')}</span>}
        {age && <span>{age}</span>}
        {hit.taxonomyTerms.length > 0 && <span className="muted">{hit.taxonomyTerms.join(' · ')}</span>}
      </div>
      <div className="svc-foot">
        <span className={hit.freshness.stale ? 'tone-warn' : 'muted'} title={hit.freshness.date ?? undefined}>
          {hit.freshness.stale ? '⚠ ' : ''}Details {hit.freshness.label}
        </span>
        {referring && (
          <button
            type="button"
            className={`btn btn-small${selected ? ' btn-primary' : ''}`}
            onClick={(e) => {
              e.stopPropagation();
              onRefer(hit.id);
            }}
          >
            Refer {selected && <Kbd>Enter</Kbd>}
          </button>
        )}
        {selected && onSuggest && (
          <button
            type="button"
            className="btn btn-small"
            onClick={(e) => {
              e.stopPropagation();
              onSuggest(hit.id);
            }}
          >
            Suggest a correction
          </button>
        )}
      </div>
    </li>
  );
});

/** What the directory card shows for a field, when it shows it. */
function shownValue(hit: DirectoryHit, field: SuggestionField): string {
  if (field === 'phone') return hit.phone ?? '';
  if (field === 'name') return hit.name;
  if (field === 'description') return hit.description ?? '';
  return '';
}

/** A correction to the entry she is looking at, for a directory manager to accept (issue 13). */
function SuggestForm({ hit, onDone }: { hit: DirectoryHit; onDone: () => void }) {
  const { busy, save } = useCaseAction('suggest');
  const [field, setField] = useState<SuggestionField>('phone');
  const [proposed, setProposed] = useState('');
  const [reason, setReason] = useState('');
  const now = shownValue(hit, field);
  return (
    <form
      className="cl-panel"
      aria-label="Suggest a correction"
      onSubmit={(e) => {
        e.preventDefault();
        void save('directory.suggest', { serviceId: hit.id, field, proposed, reason }, `Suggestion sent: a directory manager will accept or decline it`).then((out) => out && onDone());
      }}
    >
      <h2>Suggest a correction to {hit.name}</h2>
      <p className="hint">The directory is shared by every console: a supervisor or administrator checks the change before it reaches them.</p>
      <div className="field">
        <label htmlFor="sug-field">What is wrong</label>
        <select id="sug-field" value={field} onChange={(e) => setField(e.target.value as SuggestionField)}>
          {SUGGESTION_FIELDS.map((f) => (
            <option key={f} value={f}>
              {SUGGESTION_FIELD_LABELS[f]}
            </option>
          ))}
        </select>
        {now && <span className="hint">Now: {now}</span>}
      </div>
      <div className="field">
        <label htmlFor="sug-proposed">What it should say</label>
        <input id="sug-proposed" autoFocus value={proposed} maxLength={4000} onChange={(e) => setProposed(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="sug-reason">How you know (optional)</label>
        <input id="sug-reason" value={reason} maxLength={1000} placeholder="e.g. I called the line today" onChange={(e) => setReason(e.target.value)} />
      </div>
      <ActionError action="suggest" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !proposed.trim()}>
          {busy ? 'Sending…' : 'Send suggestion'}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel <Kbd>Esc</Kbd>
        </button>
      </div>
    </form>
  );
}

function suggestionLine(s: DirectorySuggestion): string {
  return `${SUGGESTION_FIELD_LABELS[s.field]}: ${s.current ? `“${s.current}” → ` : ''}“${s.proposed}”`;
}

/** One suggestion a directory manager decides: accept (the server applies it) or decline with a reason. */
function SuggestionToDecide({ s }: { s: DirectorySuggestion }) {
  const { busy, save } = useCaseAction(`decide:${s.id}`);
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  return (
    <li className="suggestion" data-suggestion-id={s.id}>
      <div>
        <strong>{s.serviceName}</strong> · {suggestionLine(s)}
      </div>
      <div className="muted">
        From {s.suggestedByName}, {formatClock(s.suggestedAt)}
        {s.reason && <> — “{s.reason}”</>}
      </div>
      <ActionError action={`decide:${s.id}`} />
      {declining ? (
        <form
          className="form-actions"
          onSubmit={(e) => {
            e.preventDefault();
            void save('directory.suggestion.decline', { id: s.id, reason }, 'Suggestion declined');
          }}
        >
          <label htmlFor={`decline-${s.id}`} className="visually-hidden">
            Why it is declined
          </label>
          <input id={`decline-${s.id}`} autoFocus value={reason} maxLength={1000} placeholder="Why it is declined" onChange={(e) => setReason(e.target.value)} />
          <button type="submit" className="btn btn-small" disabled={busy || !reason.trim()}>
            Decline
          </button>
          <button type="button" className="btn btn-small" onClick={() => setDeclining(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="form-actions">
          <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => void save('directory.suggestion.accept', { id: s.id }, `Accepted: ${s.serviceName} corrected on every console`)}>
            Accept and apply
          </button>
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => setDeclining(true)}>
            Decline…
          </button>
        </div>
      )}
    </li>
  );
}

function decided(s: DirectorySuggestion): string {
  if (s.status === 'open') return 'Waiting for a directory manager';
  if (s.status === 'accepted') return `Accepted by ${s.decidedByName ?? 'a directory manager'}: applied`;
  return `Declined by ${s.decidedByName ?? 'a directory manager'}: ${s.declineReason ?? ''}`;
}

/** For a directory manager: the open suggestions to decide. For everyone else: their own and what became of them. */
function SuggestionsPanel({ mayManage, userId }: { mayManage: boolean; userId: string | null }) {
  const store = useCaseloadStore();
  const all = useCaseload((s) => s.suggestions);
  useEffect(() => {
    void store.getState().loadSuggestions();
  }, [store]);
  const open = all.filter((s) => s.status === 'open');
  const mine = all.filter((s) => s.suggestedBy === userId).slice(0, 20);
  if (mayManage) {
    return (
      <section className="cl-section" aria-labelledby="sug-title">
        <h2 id="sug-title">Suggested corrections {open.length > 0 && <Chip tone="warn">{open.length} to decide</Chip>}</h2>
        {open.length === 0 ? <p className="empty">No suggestion waits for a decision.</p> : (
          <ul className="suggestions">
            {open.map((s) => (
              <SuggestionToDecide key={s.id} s={s} />
            ))}
          </ul>
        )}
      </section>
    );
  }
  if (mine.length === 0) return null;
  return (
    <section className="cl-section" aria-labelledby="sug-title">
      <h2 id="sug-title">Your suggested corrections</h2>
      <ul className="suggestions">
        {mine.map((s) => (
          <li key={s.id} className="suggestion" data-suggestion-id={s.id}>
            <div>
              <strong>{s.serviceName}</strong> · {suggestionLine(s)}
            </div>
            <div className={s.status === 'declined' ? 'tone-warn' : 'muted'}>{decided(s)}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Import an Open Referral HSDS package (a folder of CSV files on this workstation) into the directory. */
function ImportPanel() {
  const store = useCaseloadStore();
  const dir = useCaseload((s) => s.importDir);
  const importing = useCaseload((s) => s.importing);
  const progress = useCaseload((s) => s.importProgress);
  const report = useCaseload((s) => s.importReport);
  const error = useCaseload((s) => s.importError);
  return (
    <details className="cl-section" open={importing || !!report || !!error || undefined}>
      <summary>
        <h2>Import an HSDS package</h2>
      </summary>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void store.getState().importDirectory();
        }}
      >
        <div className="field">
          <label htmlFor="hsds-dir">Folder of the package's CSV files, on this workstation</label>
          <input id="hsds-dir" value={dir} maxLength={1000} placeholder="/path/to/hsds/csv" onChange={(e) => store.getState().setImportDir(e.target.value)} />
        </div>
        <button type="submit" className="btn" disabled={importing || !dir.trim()}>
          {importing ? 'Importing…' : 'Import'}
        </button>
      </form>
      {importing && <ImportProgress progress={progress} />}
      {error && (
        <p className="row-error" role="alert">
          The directory was not imported: {error}
        </p>
      )}
      {report && <DirectoryImportReport report={report} onDismiss={() => store.getState().dismissImportReport()} />}
    </details>
  );
}

export function DirectoryView({ caseId }: { caseId: string | null }) {
  const store = useCaseloadStore();
  // The shared directory reaches every console: only a role that manages it may import (issue 13).
  const mayManage = useSession((s) => may(s.info?.user?.role, 'directory.manage'));
  const maySuggest = useSession((s) => may(s.info?.user?.role, 'directory.suggest'));
  const userId = useSession((s) => s.info?.user?.id ?? null);
  const [suggesting, setSuggesting] = useState<string | null>(null);
  const dir = useCaseload((s) => s.dir);
  const rows = useCaseload((s) => s.dirRows);
  const total = useCaseload((s) => s.dirTotal);
  const size = useCaseload((s) => s.dirSize);
  const loaded = useCaseload((s) => s.dirLoaded);
  const error = useCaseload((s) => s.dirError);
  const facets = useCaseload((s) => s.facets);
  const selectedId = useCaseload((s) => s.dirSelectedId);
  const { busy, save } = useCaseAction('refer');
  const person = useCaseload((s) => (caseId && s.record?.case.id === caseId ? s.record.person.name : null));
  const [confirm, setConfirm] = useState<{ id: string; name: string } | null>(null);
  const allDrafts = useDrafts((s) => s.drafts);
  // Referrals started on this case and not made yet (their notes are kept as drafts).
  const unfinished = useMemo(() => {
    if (!caseId) return [];
    const prefix = formDraftKey(userId ?? '', caseId, 'refer:');
    return Object.entries(allDrafts)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, d]) => ({ id: k.slice(prefix.length), name: typeof d.fields.name === 'string' ? d.fields.name : 'a service' }));
  }, [allDrafts, caseId, userId]);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);

  // Search as the clinician types (debounced: the core answers in a few ms, but not per key on slow links).
  useEffect(() => {
    const t = setTimeout(() => void store.getState().searchDirectory(), 120);
    return () => clearTimeout(t);
  }, [dir, store]);

  useEffect(() => {
    searchRef.current?.focus();
  }, []);

  const back = () => {
    store.getState().clearError();
    store.getState().show(caseId ? { kind: 'case', caseId } : { kind: 'queue' });
  };
  const referred = () => {
    setConfirm(null);
    if (caseId) store.getState().show({ kind: 'case', caseId });
  };
  // Leaving the confirmation puts the clinician back in the search, where she was.
  const cancelConfirm = () => {
    setConfirm(null);
    requestAnimationFrame(() => searchRef.current?.focus());
  };
  const startConfirm = (id: string) => {
    const name = rows.find((r) => r.id === id)?.name;
    if (name) setConfirm({ id, name });
  };
  const select = (id: string) => {
    store.getState().selectService(id);
    listRef.current?.querySelector(`[data-service-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
  };

  useWindowKeys((e) => {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const el = document.activeElement as HTMLElement | null;
    const typing = isTypingTarget(el);
    if (e.key === 'Escape') {
      e.preventDefault();
      if (suggesting) setSuggesting(null);
      else if (confirm) cancelConfirm();
      else if (typing && el === searchRef.current && dir.text) store.getState().setDir({ text: '' });
      else back();
      return;
    }
    if (confirm || suggesting) return;
    const i = rows.findIndex((r) => r.id === selectedId);
    const inSearch = el === searchRef.current;
    if (e.key === 'ArrowDown' || (!typing && (e.key === 'j' || e.key === 'J'))) {
      if (typing && !inSearch) return;
      e.preventDefault();
      if (rows.length) select(rows[Math.min(rows.length - 1, i + 1)].id);
    } else if (e.key === 'ArrowUp' || (!typing && (e.key === 'k' || e.key === 'K'))) {
      if (typing && !inSearch) return;
      e.preventDefault();
      if (rows.length) select(rows[Math.max(0, i - 1)].id);
    } else if (e.key === '/' && !typing) {
      e.preventDefault();
      searchRef.current?.focus();
    } else if (e.key === 'Enter' && caseId && selectedId && (inSearch || !isActivatable(el))) {
      e.preventDefault();
      startConfirm(selectedId);
    }
  });

  const suggestingHit = suggesting ? rows.find((r) => r.id === suggesting) : undefined;

  return (
    <section className="view caseload-view directory-view" aria-labelledby="dir-title">
      <div className="view-head">
        <button type="button" className="btn btn-small" onClick={back}>
          ← {caseId ? 'Case' : 'Queue'} <Kbd>Esc</Kbd>
        </button>
        <span className="muted">{size === 1 ? '1 service' : `${size} services`} offline</span>
      </div>
      <h1 id="dir-title">
        {caseId ? 'Refer' : 'Service directory'}
        {person && <span className="hint"> · {person}</span>}
      </h1>

      <div className="field">
        <label htmlFor="dir-search" className="visually-hidden">
          Search services
        </label>
        <input
          ref={searchRef}
          id="dir-search"
          type="search"
          placeholder="Search services, e.g. counseling, shelter   ( / )"
          autoComplete="off"
          value={dir.text}
          onChange={(e) => store.getState().setDir({ text: e.target.value })}
        />
      </div>
      <div className="dir-filters">
        <select aria-label="Need" value={dir.need} onChange={(e) => store.getState().setDir({ need: e.target.value })}>
          <option value="">Any need</option>
          {Object.entries(NEEDS).map(([k, v]) => (
            <option key={k} value={k}>
              {v.label}
            </option>
          ))}
        </select>
        <select aria-label="Language" value={dir.language} onChange={(e) => store.getState().setDir({ language: e.target.value })}>
          <option value="">Any language</option>
          {(facets?.languages ?? []).map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <select aria-label="Service type (taxonomy)" value={dir.taxonomyTerm} onChange={(e) => store.getState().setDir({ taxonomyTerm: e.target.value })}>
          <option value="">Any service type</option>
          {(facets?.taxonomyTerms ?? []).map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
              {t.code ? ` (${t.code})` : ''}
            </option>
          ))}
        </select>
        <input
          aria-label="Age of the person"
          type="number"
          inputMode="numeric"
          min={0}
          max={130}
          placeholder="Age"
          value={dir.age}
          onChange={(e) => store.getState().setDir({ age: e.target.value })}
        />
        <label className={`outcome dir-open${dir.openNow ? ' is-checked' : ''}`}>
          <input type="checkbox" checked={dir.openNow} onChange={(e) => store.getState().setDir({ openNow: e.target.checked })} />
          <span>Open now</span>
        </label>
      </div>

      {unfinished.length > 0 && !confirm && (
        <ul className="dir-unfinished" aria-label="Unfinished referrals">
          {unfinished.map((u) => (
            <li key={u.id}>
              <span>Unfinished referral to {u.name} (note kept as a draft)</span>{' '}
              <button type="button" className="btn btn-small" onClick={() => setConfirm(u)}>
                Continue
              </button>
            </li>
          ))}
        </ul>
      )}
      {confirm && caseId && (
        <ReferConfirm key={confirm.id} caseId={caseId} serviceId={confirm.id} name={confirm.name} busy={busy} save={save} onCancel={cancelConfirm} onDone={referred} />
      )}

      {suggestingHit && !caseId && <SuggestForm hit={suggestingHit} onDone={() => setSuggesting(null)} />}

      {error && (
        <p className="row-error" role="alert">
          Could not search the directory: {error}
        </p>
      )}
      {loaded && size === 0 && (
        <p className="empty">The directory is empty on this workstation. Import an Open Referral HSDS package{caseId ? ' from the directory screen (D in the queue)' : ' below'}.</p>
      )}
      {loaded && size > 0 && rows.length === 0 && <p className="empty">No service matches. Try fewer filters.</p>}
      {rows.length > 0 && (
        <p className="hint" role="status">
          {total === rows.length ? `${total} ${total === 1 ? 'service' : 'services'}` : `Best ${rows.length} of ${total}`}, open ones first
        </p>
      )}
      <ul ref={listRef} className="svc-list" aria-label="Services">
        {rows.map((h) => (
          <ServiceCard
            key={h.id}
            hit={h}
            selected={h.id === selectedId}
            referring={!!caseId}
            onSelect={(id) => store.getState().selectService(id)}
            onRefer={(id) => {
              store.getState().selectService(id);
              startConfirm(id);
            }}
            onSuggest={!caseId && maySuggest ? (id) => setSuggesting(id) : undefined}
          />
        ))}
      </ul>
      {!caseId && maySuggest && <SuggestionsPanel mayManage={mayManage} userId={userId} />}
      {!caseId && mayManage && <ImportPanel />}
    </section>
  );
}

/** "Refer to X?": an optional note (kept as a draft until the referral is made), Enter makes it. */
function ReferConfirm({ caseId, serviceId, name, busy, save, onCancel, onDone }: {
  caseId: string;
  serviceId: string;
  name: string;
  busy: boolean;
  save: ReturnType<typeof useCaseAction>['save'];
  onCancel: () => void;
  onDone: () => void;
}) {
  const draft = useFormDraft(caseId, `refer:${serviceId}`, { note: '', name });
  const refer = async () => {
    const out = await save('case.refer', { caseId, serviceId, note: draft.value.note.trim() || undefined }, `Referred to ${name}; follow-up task added`);
    if (out) {
      draft.clear();
      onDone();
    }
  };
  return (
    <form
      className="cl-panel"
      aria-label="Confirm referral"
      onSubmit={(e) => {
        e.preventDefault();
        void refer();
      }}
    >
      <h2>Refer to {name}?</h2>
      <div className="field">
        <label htmlFor="ref-note">Note for the referral (optional)</label>
        <input id="ref-note" autoFocus value={draft.value.note} maxLength={2000} onChange={(e) => draft.update({ note: e.target.value })} />
      </div>
      <ActionError action="refer" />
      <DraftNote draft={draft} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Make referral'} <Kbd>Enter</Kbd>
        </button>
        <CancelOrDiscard draft={draft} onCancel={onCancel} />
      </div>
    </form>
  );
}
