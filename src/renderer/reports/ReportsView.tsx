import { useCallback, useEffect, useMemo, useState } from 'react';
import { may } from '../../shared/roles';
import { CHARTS, chartTable, MEASURES, suppressSmallCells, SUPPRESSION_NOTE, type ChartDef, type Grain, type MeasureId, type Report, type ReportQuery } from '../../shared/report/measures';
import { tableCsv } from '../../shared/report/csv';
import { useSession, useStores } from '../state/context';
import { errorMessage } from '../state/errors';
import { Chart } from './Chart';
import { ReportPrint } from './ReportPrint';
import './reports.css';
import { download } from '../logic/download';
import { ChartTable } from './ChartTable';

type Scope = 'own' | 'ecc';

const pad = (n: number) => String(n).padStart(2, '0');
const isoDay = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** The ranges people ask for, in the console's own zone. */
export function presetRange(preset: 'this_month' | 'last_month' | 'last_12_months', today: Date): Pick<ReportQuery, 'from' | 'to' | 'grain'> {
  const y = today.getFullYear();
  const m = today.getMonth();
  if (preset === 'this_month') return { from: isoDay(new Date(y, m, 1)), to: isoDay(new Date(y, m + 1, 0)), grain: 'day' };
  if (preset === 'last_month') return { from: isoDay(new Date(y, m - 1, 1)), to: isoDay(new Date(y, m, 0)), grain: 'day' };
  return { from: isoDay(new Date(y, m - 11, 1)), to: isoDay(new Date(y, m + 1, 0)), grain: 'month' };
}

/** One chart, its figures as a table (read by screen readers, shown on request) and its CSV. */
function ChartCard({ report, chart, showTables }: { report: Report; chart: ChartDef; showTables: boolean }) {
  const table = useMemo(() => chartTable(report, chart), [report, chart]);
  const headline: MeasureId = chart.partsOf ?? chart.measures[0];
  const total = report.totals[headline];
  return (
    <figure className="report-card" aria-labelledby={`chart-${chart.id}`}>
      <figcaption className="report-card-head">
        <h3 id={`chart-${chart.id}`}>{chart.title}</h3>
        <button
          type="button"
          className="btn btn-small"
          aria-label={`Download ${chart.title} as CSV`}
          onClick={() => {
            const exported = suppressSmallCells(report);
            download(`tandem-${chart.id}-${report.query.from}-${report.query.to}.csv`, tableCsv(exported, chartTable(exported, chart)), 'text/csv;charset=utf-8');
          }}
        >
          CSV
        </button>
      </figcaption>
      <p className="report-total">
        {MEASURES[headline].label}: <strong>{total === null ? '—' : total}</strong>
      </p>
      <Chart report={report} chart={chart} />
      <div className={showTables ? 'report-table-wrap' : 'visually-hidden'}>
        <ChartTable table={table} className="report-table" totalClassName="report-total-row" caption={chart.title} />
      </div>
    </figure>
  );
}

/**
 * Program figures: a clinician's own (from her console's store, offline too) and, for those who
 * run the program, the whole ECC's from the sync server. On screen the figures are exact;
 * anything downloaded has small cells suppressed, as it may leave the ECC.
 */
export function ReportsView() {
  const { client } = useStores();
  const role = useSession((s) => s.info?.user?.role ?? null);
  const scopes: Scope[] = [...(may(role, 'report.program') ? (['ecc'] as const) : []), ...(may(role, 'report.own') ? (['own'] as const) : [])];
  const [scope, setScope] = useState<Scope>(scopes[0] ?? 'own');
  const zone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone, []);
  const [range, setRange] = useState(() => presetRange('this_month', new Date()));
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [showTables, setShowTables] = useState(false);
  const [printing, setPrinting] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const q = { ...range, zone };
      const r = scope === 'ecc' ? await client.call('report.program', q) : await client.call('report.own', q);
      setReport(r as Report);
    } catch (err) {
      // What was on screen is for another range or scope: never leave it looking current.
      setReport(null);
      setError(errorMessage(err, 'The figures could not be loaded'));
    } finally {
      setLoading(false);
    }
  }, [client, range, scope, zone]);

  useEffect(() => {
    void load();
  }, [load]);

  const setGrain = (grain: Grain) => setRange((r) => ({ ...r, grain }));

  if (printing && report) return <ReportPrint report={report} ecc="Whole ECC" onClose={() => setPrinting(false)} />;

  return (
    <section className="view reports-view" aria-labelledby="reports-title">
      <div className="view-head">
        <h2 id="reports-title">{scope === 'ecc' ? 'Program figures: whole ECC' : 'My figures'}</h2>
        <button type="button" className="btn btn-small" onClick={() => void load()} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {scopes.length > 1 && (
        <div className="report-scopes" role="group" aria-label="Whose figures">
          {scopes.map((s) => (
            <button key={s} type="button" className="btn btn-small" aria-pressed={s === scope} onClick={() => setScope(s)}>
              {s === 'ecc' ? 'Whole ECC' : 'My figures'}
            </button>
          ))}
        </div>
      )}
      <form
        className="report-range"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <div className="field-row">
          <div className="field">
            <label htmlFor="report-from">From</label>
            <input id="report-from" type="date" value={range.from} required onChange={(e) => setRange((r) => ({ ...r, from: e.target.value }))} />
          </div>
          <div className="field">
            <label htmlFor="report-to">To</label>
            <input id="report-to" type="date" value={range.to} required onChange={(e) => setRange((r) => ({ ...r, to: e.target.value }))} />
          </div>
          <div className="field field-narrow">
            <label htmlFor="report-grain">By</label>
            <select id="report-grain" value={range.grain} onChange={(e) => setGrain(e.target.value as Grain)}>
              <option value="day">Day</option>
              <option value="week">Week</option>
              <option value="month">Month</option>
            </select>
          </div>
        </div>
        <div className="report-presets">
          <button type="button" className="btn btn-small" onClick={() => setRange(presetRange('this_month', new Date()))}>
            This month
          </button>
          <button type="button" className="btn btn-small" onClick={() => setRange(presetRange('last_month', new Date()))}>
            Last month
          </button>
          <button type="button" className="btn btn-small" onClick={() => setRange(presetRange('last_12_months', new Date()))}>
            12 months
          </button>
          <button type="button" className="btn btn-small" disabled={!report || loading} onClick={() => setPrinting(true)}>
            Report for sending (PDF)
          </button>
          <label className="report-tables-toggle">
            <input type="checkbox" checked={showTables} onChange={(e) => setShowTables(e.target.checked)} /> Show tables
          </label>
        </div>
      </form>
      {error && (
        <div className="banner banner-danger" role="alert">
          <span>{error}</span>
        </div>
      )}
      {report && (
        <>
          <p className="muted report-meta" role="status">
            {report.scope === 'ecc' ? 'Whole ECC, from the sync server' : 'Your own work, from this console'} · {report.query.from} to {report.query.to} by{' '}
            {report.query.grain} · made {new Date(report.generatedAt).toLocaleString()}
          </p>
          {CHARTS.map((c) => (
            <ChartCard key={c.id} report={report} chart={c} showTables={showTables} />
          ))}
          <details className="report-definitions">
            <summary>
              <h3>What each figure counts</h3>
            </summary>
            <p>{SUPPRESSION_NOTE}</p>
            <dl>
              {Object.values(MEASURES).map((m) => (
                <div key={m.label}>
                  <dt>{m.label}</dt>
                  <dd>{m.definition}</dd>
                </div>
              ))}
            </dl>
          </details>
        </>
      )}
    </section>
  );
}
