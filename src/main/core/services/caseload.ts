import { RpcError, type CrisisTransfer, type ScreeningInput, type ScreeningOutcome } from '../../../shared/contract';
import type { Case, CaseEvent, Referral, Task } from '../../../shared/entities';
import {
  canMoveReferral,
  maxRisk,
  NEXT_STEP_DUE_HOURS,
  nextFollowUp,
  PHQ9_ITEM9_ALERT,
  referralTaskId,
  REFERRAL_FOLLOW_UP_DAYS,
  REFERRAL_MOVES,
  type ContactChannel,
  type ContactOutcome,
  type ReferralState,
  type RiskLevel,
} from '../../../shared/caseload';
import {
  InstrumentError,
  nextStepFor,
  phq9AnswerOptions,
  scoreCssrsScreener,
  scorePhq9,
  type CssrsAnswers,
  type CssrsRisk,
} from '../../../shared/instruments';
import { newId } from '../store/replica';
import { caseTimeline } from '../store/queries/cases';
import { safetyPlanProblem, type SafetyPlan } from '../../../shared/safety-plan';
import { cachedUserName } from '../store/queries/users';
import { requireUser, type CoreContext } from '../context';
import { DEMO_USERS } from './session';
import { transferBody } from './transfer';

/**
 * The clinician's work on a case after the call: contact attempts, screenings, referrals,
 * tasks, consent, corrections, changes and closure. Every change is one transaction: the
 * rows, a timeline event saying what happened, and an audit entry, or nothing at all.
 * The timeline is append-only; a mistake is corrected by a new event pointing at the old.
 */
export function caseloadService(ctx: CoreContext) {
  const iso = () => ctx.now().toISOString();

  function loadCase(caseId: string): Case {
    const c = ctx.store.read<Case>('case', caseId);
    if (!c) throw new RpcError('not_found', `No case ${caseId}`);
    return c;
  }

  function openCase(caseId: string, doing: string): Case {
    const c = loadCase(caseId);
    if (c.status === 'closed') throw new RpcError('conflict', `This case is closed: reopen it before you ${doing}.`);
    return c;
  }

  /** Appends a timeline event and touches the case; call inside a transaction. */
  function append(c: Case, kind: CaseEvent['kind'], body: Record<string, unknown>, corrects: string | null = null): string {
    const user = requireUser(ctx);
    const id = newId('evt');
    const at = iso();
    ctx.store.write('case_event', id, { caseId: c.id, at, kind, authorId: user.id, authorName: user.name, body, corrects });
    return id;
  }

  function touch(caseId: string, fields: Record<string, unknown> = {}): void {
    ctx.store.write('case', caseId, { ...fields, updatedAt: iso() });
  }

  function audit(action: string, c: Case, detail: Record<string, unknown> = {}): void {
    ctx.audit(action, 'case', c.id, { personId: c.personId, ...detail });
  }

  function event(id: string): CaseEvent {
    return ctx.store.read<CaseEvent>('case_event', id)!;
  }

  function normalizeIso(value: string | null | undefined): string | null | undefined {
    if (value === undefined || value === null) return value;
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) throw new RpcError('bad_request', `Not a date and time: ${value}`);
    return d.toISOString();
  }

  function ownerName(ownerId: string): string {
    const user = requireUser(ctx);
    if (ownerId === user.id) return user.name;
    const presence = ctx.store.read<{ name: string }>('presence', ownerId);
    if (presence) return presence.name;
    const cached = cachedUserName(ctx.store.reads, ownerId);
    if (cached) return cached;
    const demo = ctx.config.demo ? DEMO_USERS.find((u) => u.id === ownerId) : undefined;
    if (demo) return demo.name;
    throw new RpcError('bad_request', `No clinician with id ${ownerId} is known on this workstation`);
  }

  const RISK_FROM_CSSRS: Record<CssrsRisk, RiskLevel | null> = { none: null, low: 'low', moderate: 'moderate', high: 'high' };

  return {
    logContact(input: { caseId: string; channel: ContactChannel; outcome: ContactOutcome; note?: string; nextDueAt?: string | null }): CaseEvent {
      const c = openCase(input.caseId, 'log a contact attempt');
      const next = input.nextDueAt === undefined ? nextFollowUp(input.outcome, ctx.now()).toISOString() : normalizeIso(input.nextDueAt);
      const id = ctx.store.transaction(() => {
        const evt = append(c, 'contact', {
          channel: input.channel,
          outcome: input.outcome,
          note: input.note?.trim() || null,
          nextDueAt: next ?? null,
        });
        touch(c.id, { dueAt: next ?? null });
        audit('case.contact', c, { outcome: input.outcome });
        return evt;
      });
      return event(id);
    },

    /** Scores first: answers the instrument refuses save nothing at all. */
    screening(input: ScreeningInput): ScreeningOutcome {
      const c = openCase(input.caseId, 'record a screening');
      let body: Record<string, unknown>;
      let result: Omit<ScreeningOutcome, 'event' | 'case'>;
      let raiseTo: RiskLevel | null = null;
      let alert: string | null = null;
      const day = ctx.now().toISOString().slice(0, 10);
      try {
        if (input.instrument === 'phq9') {
          const r = scorePhq9(input.answers);
          const nextStep = nextStepFor(r);
          result = { instrument: 'phq9', total: r.total, band: r.band, item9Alert: r.item9Alert, risk: null, nextStep };
          body = { instrument: 'phq9', answers: input.answers, total: r.total, band: r.band, item9Alert: r.item9Alert, nextStep };
          if (r.item9Alert) {
            raiseTo = 'high';
            const label = phq9AnswerOptions.find((o) => o.value === input.answers[8])?.label ?? String(input.answers[8]);
            alert = `${PHQ9_ITEM9_ALERT} (${label.toLowerCase()}) on ${day}: thoughts of death or self-harm. Do a C-SSRS now.`;
          }
        } else {
          const answers = Object.fromEntries(Object.entries(input.answers).filter(([, v]) => v !== null && v !== undefined)) as unknown as CssrsAnswers;
          const r = scoreCssrsScreener(answers);
          const nextStep = nextStepFor(r);
          result = { instrument: 'cssrs', total: null, band: null, item9Alert: false, risk: r.risk, nextStep };
          body = { instrument: 'cssrs', answers, risk: r.risk, nextStep };
          raiseTo = RISK_FROM_CSSRS[r.risk];
          if (r.risk === 'high') alert = `C-SSRS screener high risk on ${day}. ${nextStep.text}`;
        }
      } catch (err) {
        if (err instanceof InstrumentError) {
          throw new RpcError('bad_request', err.message, { instrument: err.instrument, code: err.code, item: err.item ?? null });
        }
        throw err;
      }
      const now = ctx.now();
      // The step a PHQ-9 item 9 alert asks for is a C-SSRS: done, and not high risk, it clears the alert.
      const answered = input.instrument === 'cssrs' && !alert && !!c.safetyAlert?.startsWith(PHQ9_ITEM9_ALERT);
      const id = ctx.store.transaction(() => {
        const fields: Record<string, unknown> = {};
        if (raiseTo) {
          const risk = maxRisk(c.risk, raiseTo);
          if (risk !== c.risk) fields.risk = risk;
        }
        if (alert) {
          fields.safetyAlert = alert;
          // A safety alert's next step is due now.
          if (!c.dueAt || Date.parse(c.dueAt) > now.getTime()) fields.dueAt = now.toISOString();
        }
        const evt = append(c, 'screening', { ...body, riskBefore: c.risk, riskAfter: (fields.risk as string | undefined) ?? c.risk });
        if (answered) {
          fields.safetyAlert = null;
          const due = new Date(now.getTime() + NEXT_STEP_DUE_HOURS[result.nextStep.urgency] * 3600_000).toISOString();
          fields.dueAt = due;
          append(c, 'status', {
            changes: { safetyAlert: { from: c.safetyAlert, to: null }, dueAt: { from: c.dueAt, to: due } },
            note: `Cleared by the C-SSRS done after it (${result.risk === 'none' ? 'no risk identified' : `${result.risk} risk`})`,
          });
        }
        touch(c.id, fields);
        audit('case.screening', c, { instrument: input.instrument });
        return evt;
      });
      return { ...result, event: event(id), case: loadCase(c.id) };
    },

    refer(input: { caseId: string; serviceId: string; note?: string }): Referral {
      const c = openCase(input.caseId, 'make a referral');
      const service = ctx.store.read<{ id: string; name: string }>('resource_service', input.serviceId);
      if (!service) throw new RpcError('not_found', `No service ${input.serviceId} in the directory`);
      const id = newId('ref');
      const at = ctx.now();
      ctx.store.transaction(() => {
        ctx.store.write('referral', id, {
          caseId: c.id,
          serviceId: service.id,
          serviceName: service.name,
          status: 'made',
          note: input.note?.trim() || null,
          createdAt: at.toISOString(),
          updatedAt: at.toISOString(),
        });
        const taskId = referralTaskId(id);
        const title = `Check the referral to ${service.name} connected`;
        const due = new Date(at.getTime() + REFERRAL_FOLLOW_UP_DAYS * 24 * 3600_000).toISOString();
        ctx.store.write('task', taskId, { caseId: c.id, title, dueAt: due, doneAt: null, assigneeId: requireUser(ctx).id, createdAt: at.toISOString() });
        append(c, 'referral', { referralId: id, serviceId: service.id, serviceName: service.name, status: 'made', note: input.note?.trim() || null });
        append(c, 'task', { action: 'added', taskId, title, dueAt: due });
        touch(c.id);
        audit('case.refer', c, { referralId: id, serviceId: service.id });
      });
      return ctx.store.read<Referral>('referral', id)!;
    },

    updateReferral(input: { id: string; status: ReferralState; note?: string }): Referral {
      const r = ctx.store.read<Referral>('referral', input.id);
      if (!r) throw new RpcError('not_found', `No referral ${input.id}`);
      const c = loadCase(r.caseId);
      if (r.status === input.status) return r;
      if (!canMoveReferral(r.status, input.status)) {
        const next = REFERRAL_MOVES[r.status];
        throw new RpcError(
          'conflict',
          next.length
            ? `A referral that is ${r.status} can become ${next.join(', ')}, not ${input.status}`
            : `This referral is ${r.status}: it is finished. Make a new referral instead.`,
          { from: r.status, to: input.status, allowed: next },
        );
      }
      ctx.store.transaction(() => {
        ctx.store.write('referral', r.id, { status: input.status, updatedAt: iso() });
        append(c, 'referral', {
          referralId: r.id,
          serviceId: r.serviceId,
          serviceName: r.serviceName,
          from: r.status,
          status: input.status,
          note: input.note?.trim() || null,
        });
        if (REFERRAL_MOVES[input.status].length === 0) {
          const task = ctx.store.read<Task>('task', referralTaskId(r.id));
          if (task && !task.doneAt) {
            ctx.store.write('task', task.id, { doneAt: iso() });
            append(c, 'task', { action: 'completed', taskId: task.id, title: task.title, why: `referral ${input.status}` });
          }
        }
        touch(c.id);
        audit('referral.update', c, { referralId: r.id, from: r.status, to: input.status });
      });
      return ctx.store.read<Referral>('referral', r.id)!;
    },

    addTask(input: { caseId: string; title: string; dueAt?: string | null }): Task {
      const c = openCase(input.caseId, 'add a task');
      const id = newId('task');
      const due = normalizeIso(input.dueAt) ?? null;
      ctx.store.transaction(() => {
        ctx.store.write('task', id, { caseId: c.id, title: input.title, dueAt: due, doneAt: null, assigneeId: requireUser(ctx).id, createdAt: iso() });
        append(c, 'task', { action: 'added', taskId: id, title: input.title, dueAt: due });
        touch(c.id);
        audit('case.addTask', c, { taskId: id });
      });
      return ctx.store.read<Task>('task', id)!;
    },

    completeTask(id: string): Task {
      const t = ctx.store.read<Task>('task', id);
      if (!t) throw new RpcError('not_found', `No task ${id}`);
      if (t.doneAt) return t;
      const c = loadCase(t.caseId);
      ctx.store.transaction(() => {
        ctx.store.write('task', id, { doneAt: iso() });
        append(c, 'task', { action: 'completed', taskId: id, title: t.title });
        touch(c.id);
        audit('task.complete', c, { taskId: id });
      });
      return ctx.store.read<Task>('task', id)!;
    },

    /** One entry per party: a new decision about the same party replaces the old one on the case (the timeline keeps both). */
    setConsent(input: { caseId: string; shareWith: string; scope: string; given: boolean }): Case {
      const c = loadCase(input.caseId);
      const at = iso();
      const entry = { shareWith: input.shareWith, scope: input.scope, given: input.given, at };
      const key = input.shareWith.trim().toLowerCase();
      const consent = [...(c.consent ?? []).filter((x) => x.shareWith.trim().toLowerCase() !== key), entry];
      ctx.store.transaction(() => {
        append(c, 'consent', { shareWith: input.shareWith, scope: input.scope, given: input.given });
        touch(c.id, { consent });
        audit('case.consent', c, { shareWith: input.shareWith, given: input.given });
      });
      return loadCase(c.id);
    },

    correct(input: { caseId: string; eventId: string; text: string }): CaseEvent {
      const c = loadCase(input.caseId);
      const old = ctx.store.read<CaseEvent>('case_event', input.eventId);
      if (!old || old.caseId !== c.id) throw new RpcError('not_found', `No event ${input.eventId} on this case`);
      const id = ctx.store.transaction(() => {
        const evt = append(c, 'correction', { text: input.text, correctedKind: old.kind, correctedAt: old.at }, old.id);
        touch(c.id);
        audit('case.correct', c, { eventId: old.id });
        return evt;
      });
      return event(id);
    },

    update(input: {
      caseId: string;
      risk?: Case['risk'];
      status?: 'open' | 'waiting';
      ownerId?: string | null;
      dueAt?: string | null;
      clearSafetyAlert?: boolean;
      note?: string;
    }): Case {
      const c = loadCase(input.caseId);
      const fields: Record<string, unknown> = {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const set = (field: keyof Case, to: unknown, label: string = field) => {
        if (c[field] === to) return;
        fields[field] = to;
        changes[label] = { from: c[field], to };
      };
      if (input.risk !== undefined) set('risk', input.risk);
      if (input.status !== undefined) {
        set('status', input.status);
        if (c.status === 'closed') {
          fields.closedAt = null;
          fields.closureReason = null;
        }
      }
      if (input.ownerId !== undefined) {
        set('ownerId', input.ownerId);
        if ('ownerId' in fields) {
          const name = input.ownerId === null ? null : ownerName(input.ownerId);
          fields.ownerName = name;
          changes.ownerId = { from: c.ownerName, to: name };
        }
      }
      if (input.dueAt !== undefined) set('dueAt', normalizeIso(input.dueAt) ?? null);
      if (input.clearSafetyAlert && c.safetyAlert) set('safetyAlert', null);
      if (Object.keys(fields).length === 0) return c;
      ctx.store.transaction(() => {
        append(c, 'status', { changes, note: input.note?.trim() || null });
        touch(c.id, fields);
        audit('case.update', c, { fields: Object.keys(changes) });
      });
      return loadCase(c.id);
    },

    /** A new version of the safety plan: the whole plan, numbered after the case's last one. */
    safetyPlan(input: { caseId: string; plan: SafetyPlan }): CaseEvent {
      const c = openCase(input.caseId, 'change its safety plan');
      const problem = safetyPlanProblem(input.plan);
      if (problem) throw new RpcError('bad_request', problem);
      const id = ctx.store.transaction(() => {
        const version = caseTimeline(ctx.store.reads, c.id).filter((e) => e.kind === 'safety_plan').length + 1;
        const evt = append(c, 'safety_plan', { version, ...input.plan });
        touch(c.id);
        audit('case.safety_plan', c, { version });
        return evt;
      });
      return event(id);
    },

    /** A transfer to 988 or another crisis line, as a timeline event the program figures count. */
    logTransfer(input: { caseId: string } & CrisisTransfer): CaseEvent {
      const c = openCase(input.caseId, 'log a transfer');
      const body = transferBody(input, ctx.now());
      const id = ctx.store.transaction(() => {
        const evt = append(c, 'transfer', { ...body });
        touch(c.id);
        audit('case.transfer', c, { line: input.line });
        return evt;
      });
      return event(id);
    },

    close(input: { caseId: string; reason: string }): Case {
      const c = loadCase(input.caseId);
      if (c.status === 'closed') throw new RpcError('conflict', 'This case is already closed');
      const reason = input.reason.trim();
      if (!reason) throw new RpcError('bad_request', 'Give a reason for closing');
      const at = iso();
      ctx.store.transaction(() => {
        append(c, 'status', { changes: { status: { from: c.status, to: 'closed' } }, reason });
        touch(c.id, { status: 'closed', closedAt: at, closureReason: reason });
        audit('case.close', c, { reason });
      });
      return loadCase(c.id);
    },
  };
}

export type CaseloadService = ReturnType<typeof caseloadService>;
