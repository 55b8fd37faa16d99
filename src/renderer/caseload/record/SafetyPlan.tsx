import { useMemo } from 'react';
import type { CaseRecord } from '../../../shared/contract';
import { CRISIS_LINE_988, emptySafetyPlan, SAFETY_PLAN_STEPS, safetyPlanOf, safetyPlanProblem, type SafetyPlan } from '../../../shared/safety-plan';
import { ActionError, DraftMark, Panel, useCaseAction, useFormDraft } from '../forms';
import { formatWhen } from '../logic';

export type CurrentPlan = { plan: SafetyPlan & { version: number }; at: string; authorName: string };

/** The newest version of the case's safety plan, from its timeline. */
export function currentSafetyPlan(record: CaseRecord): CurrentPlan | null {
  for (let i = record.timeline.length - 1; i >= 0; i--) {
    const e = record.timeline[i];
    if (e.kind !== 'safety_plan') continue;
    const plan = safetyPlanOf(e.body);
    if (plan) return { plan, at: e.at, authorName: e.authorName };
  }
  return null;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Writing the plan with the person: one line per item, each step in their words. Saving makes a new version. */
export function SafetyPlanForm({ caseId, current, onDone }: { caseId: string; current: CurrentPlan | null; onDone: () => void }) {
  const { busy, save, refuse } = useCaseAction('safety_plan');
  const start = current?.plan ?? emptySafetyPlan();
  // A draft belongs to the version it was started from: a newer one saved meanwhile starts afresh.
  const kept = useFormDraft<Record<string, string>>(caseId, `safety_plan:v${current?.plan.version ?? 0}`, () => ({
    ...Object.fromEntries(SAFETY_PLAN_STEPS.map((s) => [s.key, start[s.key].join('\n')])),
    reason: start.reasonForLiving,
  }));
  const draft = kept.value;
  const reason = draft.reason ?? '';
  const submit = async () => {
    const plan: SafetyPlan = { ...emptySafetyPlan(), reasonForLiving: reason.trim() };
    for (const s of SAFETY_PLAN_STEPS) plan[s.key] = lines(draft[s.key] ?? '');
    const problem = safetyPlanProblem(plan);
    if (problem) return refuse(problem);
    if (await save('case.safetyPlan', { caseId, plan }, `Safety plan version ${(current?.plan.version ?? 0) + 1} saved`)) {
      kept.clear();
      onDone();
    }
  };
  return (
    <Panel title={current ? `Safety plan: new version (now v${current.plan.version})` : 'Safety plan'} onCancel={onDone} onSubmit={() => void submit()} busy={busy} submit="Save this version" draft={kept}>
      <p className="hint">One line per item. Write it with the person, in their words.</p>
      {SAFETY_PLAN_STEPS.map((s, i) => (
        <div className="field" key={s.key}>
          <label htmlFor={`sp-${s.key}`}>
            Step {i + 1}: {s.title} <span className="hint">{s.prompt}</span>
          </label>
          <textarea id={`sp-${s.key}`} rows={3} value={draft[s.key]} autoFocus={i === 0} onChange={(e) => kept.update({ [s.key]: e.target.value })} />
        </div>
      ))}
      <div className="field">
        <label htmlFor="sp-reason">The one thing most important to me and worth living for</label>
        <input id="sp-reason" value={reason} maxLength={300} onChange={(e) => kept.update({ reason: e.target.value })} />
      </div>
      <ActionError action="safety_plan" />
    </Panel>
  );
}

/** The plan on the case record: its steps, its version, and ways to change or print it. */
export function SafetyPlanSection({ caseId, current, closed, onEdit, onPrint }: { caseId: string; current: CurrentPlan | null; closed: boolean; onEdit: () => void; onPrint: () => void }) {
  return (
    <section className="cl-section" aria-labelledby="sp-title">
      <div className="view-head">
        <h2 id="sp-title">Safety plan</h2>
        <span className="sp-actions">
          {current && (
            <button type="button" className="btn btn-small" onClick={onPrint}>
              Print for the person
            </button>
          )}
          {!closed && (
            <button type="button" className="btn btn-small" onClick={onEdit}>
              {current ? 'New version' : 'Write a plan'}
              <DraftMark caseId={caseId} form="safety_plan" />
            </button>
          )}
        </span>
      </div>
      {current ? (
        <>
          <p className="muted">
            Version {current.plan.version} · {formatWhen(current.at, Date.now())} · {current.authorName}
          </p>
          <ol className="sp-steps">
            {SAFETY_PLAN_STEPS.map((s) => (
              <li key={s.key}>
                <strong>{s.title}</strong>
                {current.plan[s.key].length ? (
                  <ul>
                    {current.plan[s.key].map((l, i) => (
                      <li key={i}>{l}</li>
                    ))}
                  </ul>
                ) : (
                  <span className="muted"> (none yet)</span>
                )}
              </li>
            ))}
          </ol>
        </>
      ) : (
        <p className="empty">No safety plan on this case.</p>
      )}
    </section>
  );
}

/**
 * The plan as the person takes it home: one page, black on white, large enough to read in a
 * crisis, 988 always on it. Replaces the console on screen until closed; prints alone.
 */
export function SafetyPlanPrint({ name, current, onClose }: { name: string; current: CurrentPlan; onClose: () => void }) {
  const professionals = useMemo(
    () => (current.plan.professionals.some((p) => p.includes('988')) ? current.plan.professionals : [...current.plan.professionals, CRISIS_LINE_988]),
    [current],
  );
  const items = (key: (typeof SAFETY_PLAN_STEPS)[number]['key']) => (key === 'professionals' ? professionals : current.plan[key]);
  return (
    <div className="sp-print-screen">
      <div className="sp-print-bar no-print">
        <button type="button" className="btn btn-primary" onClick={() => window.print()}>
          Print
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
      </div>
      <article className="sp-print" aria-label="Safety plan, printable">
        <header>
          <h1>My Safety Plan</h1>
          <p>
            {name} · version {current.plan.version}, {new Date(current.at).toLocaleDateString()}
          </p>
        </header>
        {SAFETY_PLAN_STEPS.map((s, i) => (
          <section key={s.key}>
            <h2>
              Step {i + 1}: {s.title}
            </h2>
            <p className="sp-prompt">{s.prompt}</p>
            <ul>
              {items(s.key).length ? items(s.key).map((l, j) => <li key={j}>{l}</li>) : <li className="sp-blank">&nbsp;</li>}
            </ul>
          </section>
        ))}
        {current.plan.reasonForLiving && (
          <section>
            <h2>The one thing most important to me and worth living for</h2>
            <p className="sp-reason">{current.plan.reasonForLiving}</p>
          </section>
        )}
        <footer>In an emergency call 911. For crisis support call or text 988, any time.</footer>
      </article>
    </div>
  );
}
