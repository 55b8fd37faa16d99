import { RpcError } from '../../../shared/contract';
import { bucketsOf, computeReport, factsOf, ReportSchema, type Report, type ReportFacts, type ReportQuery } from '../../../shared/report/measures';
import { eventFact, followUpFact, handoffFact } from '../../../shared/report/rows';
import { reportCases, reportEvents, reportHandoffs, reportTasks, type ReportWindow } from '../store/queries/report';
import { requireUser, type CoreContext } from '../context';

/** Stored times are UTC ISO; a day either side keeps any offset spelling inside the window. */
const PAD_MS = 86_400_000;

/**
 * Program figures on a console: a clinician's own from her own store (offline too), and the
 * whole ECC's from the sync server, which alone holds every console's work.
 */
export function reportService(ctx: CoreContext) {
  /** The facts in a query's range from the local store: one clinician's, or all it holds. */
  function localFacts(q: ReportQuery, userId: string | null): ReportFacts {
    const b = bucketsOf(q);
    const w: ReportWindow = {
      from: new Date(b.starts[0] - PAD_MS).toISOString(),
      to: new Date(b.starts[b.starts.length - 1] + PAD_MS).toISOString(),
      userId,
    };
    const r = ctx.store.reads;
    const facts: ReportFacts = {
      handoffs: reportHandoffs(r, w).flatMap((h) => handoffFact(h) ?? []),
      cases: reportCases(r, w).flatMap((c) => {
        const createdAt = Date.parse(c.createdAt);
        return Number.isNaN(createdAt) ? [] : [{ ownerId: c.ownerId, createdAt, repeat: c.repeat === 1 }];
      }),
      followUps: reportTasks(r, w).flatMap((t) => followUpFact(t) ?? []),
      events: reportEvents(r, w).flatMap((e) => eventFact(e) ?? []),
    };
    // The store narrowed by user in SQL; the measures' own reading of "hers" decides.
    return userId === null ? facts : factsOf(facts, userId);
  }

  return {
    localFacts,

    /** The signed-in clinician's own figures, from this console's store. */
    own(q: ReportQuery): Report {
      const user = requireUser(ctx);
      const report = computeReport(localFacts(q, user.id), q, ctx.now(), 'own');
      ctx.audit('report.own', null, null, { from: q.from, to: q.to, grain: q.grain });
      return report;
    },

    /** The whole ECC's figures, computed by the sync server (aggregates only). */
    async program(q: ReportQuery): Promise<Report> {
      requireUser(ctx);
      if (!ctx.sync) throw new RpcError('unavailable', 'This console has no sync server: the ECC-wide figures come from it');
      let result: unknown;
      try {
        result = await ctx.sync.rpc('report.program', q, 30_000);
      } catch (err) {
        if (err instanceof RpcError && err.code !== 'unavailable') throw err;
        throw new RpcError('unavailable', `The ECC-wide figures come from the sync server: ${(err as Error).message}. Your own figures work offline.`);
      }
      const parsed = ReportSchema.safeParse(result);
      if (!parsed.success) throw new RpcError('internal', 'The sync server sent a report this console cannot read');
      ctx.audit('report.program', null, null, { from: q.from, to: q.to, grain: q.grain });
      return parsed.data as Report;
    },
  };
}
