import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { MEASURES, type ChartDef, type Report } from '../../shared/report/measures';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** Series colours that stay apart on the dark theme (and from each other for common colour blindness). */
export const PALETTE = ['#7cc4ff', '#ffc24b', '#ff7a7a', '#5fd38a', '#c99bff', '#ff9f5a'];
const TEXT = '#f3f6fa';
const MUTED = '#b4bfcc';
const LINE = '#3a4556';

/** The chart's options: one series per drawn measure, stacked where the chart stacks. */
export function chartOptions(r: Report, chart: ChartDef): echarts.EChartsCoreOption {
  return {
    backgroundColor: 'transparent',
    color: PALETTE,
    animation: false,
    textStyle: { color: TEXT, fontSize: 13 },
    grid: { left: 44, right: 12, top: 36 + 18 * Math.floor(chart.measures.length / 3), bottom: 28 },
    legend: { top: 0, textStyle: { color: TEXT }, itemGap: 10 },
    tooltip: { trigger: 'axis', backgroundColor: '#151a22', borderColor: LINE, textStyle: { color: TEXT } },
    xAxis: { type: 'category', data: r.buckets, axisLabel: { color: MUTED }, axisLine: { lineStyle: { color: LINE } } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE, opacity: 0.5 } } },
    series: chart.measures.map((m) => ({
      name: MEASURES[m].label,
      type: chart.kind === 'line' ? 'line' : 'bar',
      stack: chart.kind === 'stacked' ? 'total' : undefined,
      connectNulls: false,
      showSymbol: r.buckets.length < 40,
      data: r.series[m],
    })),
  };
}

/** An ECharts canvas: decorative for screen readers, whose table sits beside it. */
export function Chart({ report, chart }: { report: Report; chart: ChartDef }) {
  const el = useRef<HTMLDivElement>(null);
  const instance = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
    instance.current = c;
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el.current);
    return () => {
      resize.disconnect();
      c.dispose();
      instance.current = null;
    };
  }, []);
  useEffect(() => {
    instance.current?.setOption(chartOptions(report, chart), { notMerge: true });
  }, [report, chart]);
  return <div ref={el} className="report-chart" aria-hidden="true" data-chart={chart.id} />;
}
