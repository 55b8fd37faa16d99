import type { Case } from '../../../shared/entities';
import { may } from '../../../shared/roles';
import { newId } from '../store/replica';
import type { CoreContext } from '../context';

/**
 * A handoff completion that did not go all the way: the case could not be saved, the sync
 * server refused the completion, or the outcome could not be sent back to CAD. Whatever went
 * wrong is logged for IT, audited, and — when the case exists and a clinician is signed in —
 * written on the case's timeline, where the clinician sees it. Never thrown: it runs on paths
 * that must not fail the clinician's work a second time.
 */
export interface CompletionProblem {
  handoffId: string;
  /** The case the completion opened, when there is one. */
  caseId: string | null;
  stage: 'case' | 'server' | 'cad';
  error: unknown;
  /** What the clinician reads on the case's timeline (the error's own message follows it). */
  note?: string;
}

export function recordCompletionProblem(ctx: CoreContext, p: CompletionProblem): void {
  const error = p.error instanceof Error ? p.error.message : String(p.error);
  ctx.log('error', `handoff completion: ${p.stage} failed`, { handoff: p.handoffId, case: p.caseId, error });
  try {
    ctx.audit('handoff.complete.failed', 'handoff', p.handoffId, { stage: p.stage, caseId: p.caseId, error });
  } catch (err) {
    ctx.log('error', 'could not audit a failed handoff completion', { handoff: p.handoffId, error: (err as Error).message });
  }
  if (p.note) noteOnCase(ctx, p, `${p.note} (${error})`);
}

/** A note on the case by the clinician signed in now, who may write on cases (a dispatcher may not). */
function noteOnCase(ctx: CoreContext, p: CompletionProblem, text: string): void {
  const user = ctx.user();
  if (!p.caseId || !user || !may(user.role, 'clinical.write')) return;
  try {
    if (!ctx.store.read<Case>('case', p.caseId)) return;
    const at = ctx.now().toISOString();
    ctx.store.transaction(() => {
      ctx.store.write('case_event', newId('evt'), {
        caseId: p.caseId,
        at,
        kind: 'note',
        authorId: user.id,
        authorName: user.name,
        body: { text, source: 'tandem', handoffId: p.handoffId },
        corrects: null,
      });
      ctx.store.write('case', p.caseId!, { updatedAt: at });
    });
  } catch (err) {
    ctx.log('error', 'could not note a failed handoff completion on its case', { handoff: p.handoffId, case: p.caseId, error: (err as Error).message });
  }
}
