import { useEffect, useMemo, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { CHARTS, chartTable, formatCell, MEASURES, suppressSmallCells, SUPPRESSION_NOTE, type ChartDef, type MeasureId, type Report } from '../../shared/report/measures';
import { chartOptions } from './Chart';
import { ChartTable } from './ChartTable';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, SVGRenderer]);

/** Series colours that stay apart on white paper and in greyscale print. */
const INK = ['#1f5fa8', '#d98a00', '#b3261e', '#2e7d32', '#6a3fb0', '#8d5a2b'];

/** The figures on the cover: what a council asks first. */
const COVER: readonly MeasureId[] = [
  'conferenced',
  'accepted',
  'accept_median',
  'without_police_ems',
  'followups_on_time',
  'followups_overdue',
  'referrals_connected',
  'transfers_988',
  'cases_opened',
  'repeat_callers',
];

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "November 2026" for a whole calendar month, else "2026-11-03 to 2026-11-20". */
export function periodName(from: string, to: string): string {
  const [y, m, d] = from.split('-').map(Number);
  const last = new Date(Date.UTC(y!, m!, 0)).getUTCDate();
  if (d === 1 && to === `${from.slice(0, 8)}${String(last).padStart(2, '0')}`) return `${MONTHS[m! - 1]} ${y}`;
  return `${from} to ${to}`;
}

function cover(r: Report, id: MeasureId): string {
  return formatCell(r.totals[id], r.suppressed, MEASURES[id].kind) || '—';
}

/** One chart drawn as SVG in print colours: sharp at any zoom and in the PDF. */
function PrintChart({ report, chart }: { report: Report; chart: ChartDef }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { renderer: 'svg', width: 640, height: 220 });
    const base = chartOptions(report, chart) as Record<string, unknown>;
    const axis = { axisLabel: { color: '#222' }, axisLine: { lineStyle: { color: '#555' } } };
    c.setOption({
      ...base,
      color: INK,
      tooltip: undefined,
      textStyle: { color: '#000', fontSize: 11 },
      legend: { top: 0, textStyle: { color: '#000' }, itemGap: 10 },
      xAxis: { ...(base.xAxis as object), ...axis },
      yAxis: { ...(base.yAxis as object), ...axis, splitLine: { lineStyle: { color: '#ccc' } } },
    });
    return () => c.dispose();
  }, [report, chart]);
  return <div ref={el} className="rp-chart" aria-hidden="true" data-chart={chart.id} />;
}

/**
 * The monthly report as a program manager sends it: cover figures, every chart with its table,
 * and the definition of each measure. It may leave the ECC, so every cell under 11 is suppressed
 * and the definitions say so. Printed (or saved as PDF) from the console's print dialog.
 */
export function ReportPrint({ report: onScreen, ecc, onClose }: { report: Report; ecc: string; onClose: () => void }) {
  const report = useMemo(() => suppressSmallCells(onScreen), [onScreen]);
  const period = periodName(report.query.from, report.query.to);
  const whose = report.scope === 'ecc' ? ecc : 'One clinician’s own work';
  return (
    <div className="rp-screen">
      <div className="rp-bar no-print">
        <button type="button" className="btn btn-primary" onClick={() => window.print()}>
          Print or save as PDF
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
      </div>
      <article className="rp" aria-label="Program report, printable">
        <header className="rp-cover">
          <h1>Co-responder program report</h1>
          <p className="rp-period">{period}</p>
          <p>
            {whose} · by {report.query.grain} · made {new Date(report.generatedAt).toLocaleString()} · Tandem
          </p>
          <dl className="rp-figures">
            {COVER.map((id) => (
              <div key={id}>
                <dt>{MEASURES[id].label}</dt>
                <dd>{cover(report, id)}</dd>
              </div>
            ))}
          </dl>
          <p className="rp-note">{SUPPRESSION_NOTE}</p>
        </header>
        {CHARTS.map((c) => {
          const t = chartTable(report, c);
          return (
            <section key={c.id} className="rp-section">
              <h2>{c.title}</h2>
              <PrintChart report={report} chart={c} />
              {report.suppressed && (
                <p className="rp-note">The chart leaves out suppressed cells (&lt;11): an empty day is not a zero. The table gives every cell.</p>
              )}
              <ChartTable table={t} className="rp-table" totalClassName="rp-total" />
            </section>
          );
        })}
        <section className="rp-definitions">
          <h2>What each figure counts</h2>
          <p>{SUPPRESSION_NOTE}</p>
          <dl>
            {Object.values(MEASURES).map((m) => (
              <div key={m.label}>
                <dt>{m.label}</dt>
                <dd>{m.definition}</dd>
              </div>
            ))}
          </dl>
        </section>
      </article>
    </div>
  );
}
