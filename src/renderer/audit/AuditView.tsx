import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AUDIT_EXPORT_MAX, type AuditSearchEntry } from '../../shared/audit-search';
import { useStores } from '../state/context';
import { errorMessage } from '../state/errors';
import { download } from '../logic/download';
import {
  COMMON_ACTIONS,
  describeFilter,
  detailText,
  EMPTY_FORM,
  exportFileName,
  FIELD_LABELS,
  filterOf,
  FIRST_PAGE,
  formatAt,
  newerPlace,
  olderPlace,
  type AuditForm,
  type PagePlace,
} from './logic';
import './audit.css';

const PAGE_SIZE = 100;

/** One page on screen: the filter it answers, where it starts, and the page after it. */
interface Page {
  form: AuditForm;
  place: PagePlace;
  entries: AuditSearchEntry[];
  next: number | null;
}

type ExportState = { kind: 'working' } | { kind: 'done'; text: string; capped: boolean } | null;

/** A cell's value as a button that narrows the search to it ("who else opened this case?"). */
function FilterButton({ label, value, onPick }: { label: string; value: string | null; onPick: (v: string) => void }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <button type="button" className="btn-cell" title={`Show only entries with ${label} ${value}`} onClick={() => onPick(value)}>
      {value}
    </button>
  );
}

/**
 * The supervisor's audit screen (issue 14): the ECC's audit log on the sync server, newest
 * first, filtered by time, user, action, workstation and subject, a page at a time, and
 * exported as CSV. Shown to the roles holding `audit.read`; the server checks it again and
 * records every search.
 */
export function AuditView() {
  const { client } = useStores();
  const [form, setForm] = useState<AuditForm>(EMPTY_FORM);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [exported, setExported] = useState<ExportState>(null);
  /** Only the latest search may fill the table (an older answer arriving late is dropped). */
  const searchNo = useRef(0);

  const run = useCallback(
    async (f: AuditForm, place: PagePlace) => {
      const parsed = filterOf(f);
      if ('error' in parsed) {
        setError(parsed.error);
        return false;
      }
      const n = ++searchNo.current;
      setLoading(true);
      setError(null);
      try {
        const r = await client.call('audit.search', { ...parsed.filter, before: place.before, limit: PAGE_SIZE });
        if (n !== searchNo.current) return false;
        setPage({ form: f, place, entries: r.entries, next: r.next });
        return true;
      } catch (err) {
        if (n !== searchNo.current) return false;
        // What was on screen answered other filters: never leave it looking like this answer.
        setPage(null);
        setError(errorMessage(err, 'The audit log could not be searched'));
        return false;
      } finally {
        if (n === searchNo.current) setLoading(false);
      }
    },
    [client],
  );

  useEffect(() => {
    void run(EMPTY_FORM, FIRST_PAGE);
  }, [run]);

  const search = (f: AuditForm) => {
    setExported(null);
    void run(f, FIRST_PAGE);
  };
  const pick = (key: keyof AuditForm) => (value: string) => {
    const f = { ...form, [key]: value };
    setForm(f);
    search(f);
  };

  const exportCsv = async () => {
    // The file holds what the form says now; the table is brought to the same filters.
    const parsed = filterOf(form);
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    setExported({ kind: 'working' });
    void run(form, FIRST_PAGE);
    try {
      const r = await client.call('audit.export', parsed.filter);
      const name = exportFileName(new Date(), r.rows, r.capped);
      download(name, r.csv, 'text/csv;charset=utf-8');
      const count = `${r.rows.toLocaleString()} ${r.rows === 1 ? 'entry' : 'entries'}`;
      setExported({
        kind: 'done',
        capped: r.capped,
        text: r.capped
          ? `Exported the newest ${count} to ${name}. More match: an export holds at most ${AUDIT_EXPORT_MAX.toLocaleString()}; narrow the dates to export the rest.`
          : `Exported ${count} to ${name}: all that matched when it was made (searches here are recorded too).`,
      });
    } catch (err) {
      setExported(null);
      setError(errorMessage(err, 'The audit log could not be exported'));
    }
  };

  const workstations = useMemo(() => {
    const seen = new Map<string, string | null>();
    for (const e of page?.entries ?? []) if (e.workstationId && !seen.has(e.workstationId)) seen.set(e.workstationId, e.workstationName);
    return [...seen];
  }, [page]);

  const field = (key: keyof AuditForm, extra: { type?: string; list?: string; placeholder?: string } = {}) => (
    <div className="field">
      <label htmlFor={`audit-${key}`}>{FIELD_LABELS[key]}</label>
      <input
        id={`audit-${key}`}
        type={extra.type ?? 'text'}
        list={extra.list}
        placeholder={extra.placeholder}
        autoComplete="off"
        spellCheck={false}
        value={form[key]}
        onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))}
      />
    </div>
  );

  const shownFilter = page ? describeFilter(page.form) : null;
  const pageNo = page ? page.place.newer.length + 1 : 0;

  return (
    <section className="view audit-view" aria-labelledby="audit-title">
      <div className="view-head">
        <h2 id="audit-title">Audit log</h2>
        <span className="muted audit-where">From the sync server · every console</span>
      </div>
      <form
        className="audit-filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          search(form);
        }}
      >
        <div className="audit-fields">
          {field('from', { type: 'date' })}
          {field('to', { type: 'date' })}
          {field('actor', { placeholder: 'username' })}
          {field('action', { list: 'audit-actions', placeholder: 'e.g. case.read' })}
          {field('workstationId', { list: 'audit-workstations', placeholder: 'from the table' })}
          {field('subject', { placeholder: 'e.g. case:c-123' })}
        </div>
        <datalist id="audit-actions">
          {COMMON_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <datalist id="audit-workstations">
          {workstations.map(([id, name]) => (
            <option key={id} value={id}>
              {name ?? id}
            </option>
          ))}
        </datalist>
        <div className="audit-actions">
          <button type="submit" className="btn btn-primary" disabled={loading}>
            {loading ? 'Searching…' : 'Search'}
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              setForm(EMPTY_FORM);
              search(EMPTY_FORM);
            }}
          >
            Clear filters
          </button>
          <button type="button" className="btn" disabled={exported?.kind === 'working'} onClick={() => void exportCsv()}>
            {exported?.kind === 'working' ? 'Exporting…' : 'Export CSV'}
          </button>
        </div>
      </form>
      {error && (
        <div className="banner banner-danger audit-banner" role="alert">
          <span>{error}</span>
        </div>
      )}
      <div role="status" className={exported?.kind === 'done' && exported.capped ? 'notice tone-warn audit-banner' : 'audit-export-status'}>
        {exported?.kind === 'done' ? exported.text : exported?.kind === 'working' ? 'Exporting every matching entry…' : ''}
      </div>
      {page && (
        <>
          <p className="muted audit-meta" role="status">
            {page.entries.length === 0
              ? `No entry matches${shownFilter ? ` ${shownFilter}` : ''}.`
              : `Latest recorded first · page ${pageNo}, ${page.entries.length} ${page.entries.length === 1 ? 'entry' : 'entries'}${shownFilter ? ` · ${shownFilter}` : ''}`}
          </p>
          {page.entries.length > 0 && (
            <div className="audit-table-wrap" role="region" aria-label="Audit entries" tabIndex={0}>
              <table className="audit-table">
                <caption className="visually-hidden">Audit entries, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">User</th>
                    <th scope="col">Workstation</th>
                    <th scope="col">Action</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {page.entries.map((e) => (
                    <tr key={e.id}>
                      <td className="audit-at">
                        <time dateTime={e.at}>{formatAt(e.at)}</time>
                      </td>
                      <td data-label="User">
                        <FilterButton label="user" value={e.actor} onPick={pick('actor')} />
                      </td>
                      <td data-label="Workstation">
                        {e.workstationId ? (
                          <button type="button" className="btn-cell" title={`Show only entries from workstation ${e.workstationName ?? e.workstationId} (${e.workstationId})`} onClick={() => pick('workstationId')(e.workstationId!)}>
                            {e.workstationName ?? e.workstationId}
                          </button>
                        ) : (
                          <span className="muted">{e.source === 'server' ? 'server' : '—'}</span>
                        )}
                      </td>
                      <td data-label="Action">
                        <FilterButton label="action" value={e.action} onPick={pick('action')} />
                      </td>
                      <td className="audit-subject" data-label="Subject">
                        <FilterButton label="subject" value={e.subject} onPick={pick('subject')} />
                      </td>
                      <td className="audit-detail">{detailText(e.detail)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav className="audit-paging" aria-label="Audit pages">
            <button
              type="button"
              className="btn"
              disabled={loading || newerPlace(page.place) === null}
              onClick={() => void run(page.form, newerPlace(page.place)!)}
            >
              Newer
            </button>
            <button type="button" className="btn" disabled={loading || page.next === null} onClick={() => void run(page.form, olderPlace(page.place, page.next!))}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
