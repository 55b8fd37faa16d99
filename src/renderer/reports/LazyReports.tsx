import { Component, lazy, Suspense, useMemo, useState, type ReactNode } from 'react';

/**
 * The figures screen, loaded when it is first opened: its charting library (ECharts) is most
 * of the renderer's code, and the dispatch floor, the live calls and the caseload never draw a
 * chart, so they start without it.
 */
const load = () => lazy(() => import('./ReportsView').then((m) => ({ default: m.ReportsView })));
const FirstLoad = load();

/** A screen that could not be loaded says so, with a way to try again, instead of an empty page. */
class LoadFailed extends Component<{ onRetry: () => void; children: ReactNode }, { error: string | null }> {
  override state = { error: null as string | null };

  static getDerivedStateFromError(err: unknown): { error: string } {
    return { error: err instanceof Error ? err.message : String(err) };
  }

  override render(): ReactNode {
    if (this.state.error === null) return this.props.children;
    return (
      <section className="view" aria-labelledby="reports-failed-title">
        <h2 id="reports-failed-title">Figures</h2>
        <div className="banner banner-danger" role="alert">
          <div className="banner-text">
            <strong>The figures screen could not be loaded.</strong>
            <span>{this.state.error}</span>
          </div>
          <button type="button" className="btn btn-small" onClick={this.props.onRetry}>
            Try again
          </button>
        </div>
      </section>
    );
  }
}

export function LazyReportsView() {
  // A retry mounts a fresh boundary and loads again (a lazy component keeps its failure).
  const [attempt, setAttempt] = useState(0);
  const ReportsView = useMemo(() => (attempt === 0 ? FirstLoad : load()), [attempt]);
  return (
    <LoadFailed key={attempt} onRetry={() => setAttempt((n) => n + 1)}>
      <Suspense
        fallback={
          <section className="view" aria-busy="true">
            <p className="muted">Loading the figures…</p>
          </section>
        }
      >
        <ReportsView />
      </Suspense>
    </LoadFailed>
  );
}
