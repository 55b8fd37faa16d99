import { RpcError, type CrisisTransfer } from '../../../shared/contract';
import type { User } from '../../../shared/contract';
import { Handoff, Presence, type HandoffOutcome, type Incident } from '../../../shared/entities';
import { nextHandoffState, type HandoffEvent } from '../../../shared/handoff-machine';
import { newId } from '../store/replica';
import { liveHandoffs, presenceByName, recentHandoffs } from '../store/queries/handoffs';
import { writeNewCase } from './new-case';
import { recordCompletionProblem } from './completion-problems';
import { transferBody, type TransferBody } from './transfer';
import { requireUser, type CoreContext } from '../context';

/** How long a dispatcher waits before being told the clinician cannot be reached. */
export const LIVE_REQUEST_DEADLINE_MS = 2000;

/**
 * Live handoff. With a sync server, the server decides (first accept wins) and its rows come
 * back through the change log. Without one (a single demo console), the same state machine
 * runs locally so the flow can still be seen.
 */
export interface HandoffHooks {
  /** A clinician completed a handoff (also when the server is away and the completion was queued). */
  completed?(h: Handoff, info: CompletionInfo): void;
}

export interface CompletionInfo {
  outcome: HandoffOutcome;
  shareableSummary?: string;
  clinician: User;
  at: Date;
  /** The follow-up case the completion opened. */
  caseId: string;
}

/** A completion waiting for the server (queued while it was away), or one it refused on a retry. */
interface QueuedCompletion {
  id: string;
  outcome: HandoffOutcome;
  caseId: string;
}

const PENDING_COMPLETIONS = 'pendingCompletions';
/** Completions the server refused when they were retried: kept, never dropped (see recordCompletionProblem). */
const REFUSED_COMPLETIONS = 'refusedCompletions';

/** Who a caller is to the person, when the call-taker wrote it: "Sam (roommate)", "Jordan M. - sister". */
const RELATION = /\b(roommate|room mate|sister|brother|mother|mom|father|dad|parent|son|daughter|wife|husband|partner|spouse|boyfriend|girlfriend|friend|neighbou?r|coworker|co-worker|colleague|landlord|teacher|counselor|counsellor|clerk|staff|manager|security|guard|bystander|passer-?by|witness|caseworker|case worker|nurse|doctor|officer|aunt|uncle|cousin|grand(?:mother|father|ma|pa|parent)|relative|family|caregiver|employer)\b/i;

/**
 * The person's name from the caller's, only when the caller is the person: a caller named with
 * a relation ("Sam (roommate)") is someone else calling about them, so the case is not named
 * after the caller.
 */
export function personFromCaller(callerName: string | null | undefined): string | null {
  const name = callerName?.trim();
  if (!name || RELATION.test(name) || /\(.*\)/.test(name)) return null;
  return name;
}

/** The dispatcher's facts, one per line, for the case timeline. */
function dispatchSummary(incident: Incident | null | undefined, h: Handoff): string | null {
  if (!incident) return h.note ? `From dispatch: ${h.note}` : null;
  const lines = [
    `From dispatch (${incident.number}): ${incident.type}`,
    `Location: ${incident.location}`,
    incident.callerName ? `Caller: ${incident.callerName}${incident.callbackNumber ? ` · ${incident.callbackNumber}` : ''}` : incident.callbackNumber ? `Callback: ${incident.callbackNumber}` : null,
    incident.cautions?.length ? `Cautions: ${incident.cautions.map((c) => c.text).join('; ')}` : null,
    incident.notes ? `Dispatcher notes: ${incident.notes}` : null,
    h.note ? `Note to the clinician: ${h.note}` : null,
  ];
  return lines.filter(Boolean).join('\n');
}

export function handoffService(ctx: CoreContext, hooks: HandoffHooks = {}) {
  const local = () => ctx.sync === null;

  function unreachable(message: string): RpcError {
    return new RpcError('unavailable', message, { directLine: ctx.config.clinicianDirectLine });
  }

  /** A write that only this workstation sees (no server to arbitrate). */
  function writeLocalOnly(entity: 'handoff' | 'presence', id: string, fields: Record<string, unknown>): void {
    ctx.store.applyRemote([{ hlc: ctx.store.clock.tick(), entity, id, fields }]);
  }

  function get(id: string): Handoff {
    const h = ctx.store.read<Handoff>('handoff', id);
    if (!h) throw new RpcError('not_found', `No handoff ${id}`);
    return h;
  }

  function moveLocal(id: string, event: HandoffEvent, fields: Record<string, unknown>): Handoff {
    const h = get(id);
    let state;
    try {
      state = nextHandoffState(h.state, event);
    } catch (err) {
      throw new RpcError('conflict', (err as Error).message);
    }
    writeLocalOnly('handoff', id, { ...fields, state });
    const updated = get(id);
    ctx.emit('handoff.updated', updated);
    return updated;
  }

  async function server(method: Parameters<NonNullable<CoreContext['sync']>['rpc']>[0], params: unknown, timeoutMs = 5000): Promise<Handoff> {
    const result = await ctx.sync!.rpc(method, params, timeoutMs);
    return Handoff.parse(result);
  }

  /** Opens the follow-up case for a handoff. Ids derive from the handoff, so two consoles that both do it make one case. */
  function openCase(h: Handoff, notes: string, outcome: HandoffOutcome | null, personName?: string, transfer?: TransferBody): string {
    const user = requireUser(ctx);
    const incident = ctx.store.read<Incident>('incident', h.incidentId);
    const caseId = `case-${h.id}`;
    const personId = `person-${h.id}`;
    const at = ctx.now();
    ctx.store.transaction(() => {
      if (!ctx.store.read('case', caseId)) {
        const origin = h.mode === 'live' ? 'live_call' : 'followup_request';
        writeNewCase(ctx, {
          caseId,
          personId,
          at,
          person: {
            name: personName || personFromCaller(incident?.callerName) || `Person at ${incident?.location ?? 'unknown location'}`,
            phones: incident?.callbackNumber ? [incident.callbackNumber] : null,
            address: incident?.location ?? null,
            safetyFlags: incident?.cautions?.map((c) => c.text) ?? null,
          },
          origin,
          reason: [incident?.type, h.note].filter(Boolean).join(' — ') || 'Follow-up requested by dispatch',
          risk: 'unknown',
          incidentId: h.incidentId,
          incidentNumber: incident?.number ?? null,
          // A live call belongs to the clinician who took it; a follow-up request waits for an owner.
          owner: h.mode === 'live' ? user : null,
        });
      }
      ctx.store.write('case_event', newId('evt'), {
        caseId,
        at: at.toISOString(),
        kind: 'handoff',
        authorId: user.id,
        authorName: user.name,
        body: { handoffId: h.id, incidentId: h.incidentId, mode: h.mode, outcome, requestedBy: h.requestedByName, acceptedAt: h.acceptedAt },
        corrects: null,
      });
      // What the dispatcher knew goes into the case as it was on screen: who called, their notes, cautions.
      const fromDispatch = dispatchSummary(incident, h);
      if (fromDispatch) {
        ctx.store.write('case_event', newId('evt'), {
          caseId,
          at: at.toISOString(),
          kind: 'note',
          authorId: user.id,
          authorName: user.name,
          body: { text: fromDispatch, source: 'dispatch' },
          corrects: null,
        });
      }
      if (notes.trim()) {
        ctx.store.write('case_event', newId('evt'), {
          caseId,
          at: at.toISOString(),
          kind: 'note',
          authorId: user.id,
          authorName: user.name,
          body: { text: notes.trim(), source: 'conference' },
          corrects: null,
        });
      }
      if (transfer) {
        // Counted by the program figures at the time of the transfer (shared/report/rows.ts).
        ctx.store.write('case_event', newId('evt'), {
          caseId,
          at: at.toISOString(),
          kind: 'transfer',
          authorId: user.id,
          authorName: user.name,
          body: { ...transfer },
          corrects: null,
        });
        ctx.audit('case.transfer', 'case', caseId, { line: transfer.line, handoffId: h.id });
      }
      ctx.audit('case.create', 'case', caseId, { from: 'handoff', handoffId: h.id });
    });
    return caseId;
  }

  function completionList<T>(key: string): T[] {
    return JSON.parse(ctx.store.metaGet(key) ?? '[]') as T[];
  }

  /** Handoff completions that could not reach the server yet; retried when the link returns. */
  function queueCompletion(params: QueuedCompletion): void {
    ctx.store.metaSet(PENDING_COMPLETIONS, JSON.stringify([...completionList<QueuedCompletion>(PENDING_COMPLETIONS), params]));
    ctx.audit('handoff.complete.queued', 'handoff', params.id, { caseId: params.caseId });
  }

  let flushing = false;

  /** Sends queued completions; keeps those the server cannot be reached for, records those it refuses. */
  async function flush(list: QueuedCompletion[]): Promise<void> {
    const sent = new Set<string>();
    const refused: (QueuedCompletion & { reason: string; at: string })[] = [];
    for (const params of list) {
      try {
        await ctx.sync!.rpc('handoff.complete', params);
        sent.add(params.id);
      } catch (err) {
        if (err instanceof RpcError && err.code === 'unavailable') continue;
        sent.add(params.id);
        refused.push({ ...params, reason: (err as Error).message, at: ctx.now().toISOString() });
        recordCompletionProblem(ctx, {
          handoffId: params.id,
          caseId: params.caseId,
          stage: 'server',
          error: err,
          note: 'The sync server did not record this conference as completed; its notes are on this case.',
        });
      }
    }
    // Read again: a completion queued while these were on the wire stays queued.
    ctx.store.transaction(() => {
      const left = completionList<QueuedCompletion>(PENDING_COMPLETIONS).filter((p) => !sent.has(p.id));
      ctx.store.metaSet(PENDING_COMPLETIONS, JSON.stringify(left));
      if (refused.length) ctx.store.metaSet(REFUSED_COMPLETIONS, JSON.stringify([...completionList(REFUSED_COMPLETIONS), ...refused]));
    });
  }

  /** Tells whoever follows the completion (CAD); a failure there is recorded, never the clinician's. */
  function announceCompletion(h: Handoff, info: CompletionInfo): void {
    try {
      hooks.completed?.(h, info);
    } catch (err) {
      recordCompletionProblem(ctx, { handoffId: h.id, caseId: info.caseId, stage: 'cad', error: err, note: 'The outcome of this conference could not be sent back to CAD.' });
    }
  }

  return {
    list(live: boolean): Handoff[] {
      return live ? liveHandoffs(ctx.store.reads, new Date(ctx.now().getTime() - 15 * 60_000).toISOString()) : recentHandoffs(ctx.store.reads);
    },

    async request(incidentId: string, mode: 'live' | 'followup', note: string | undefined): Promise<Handoff> {
      const user = requireUser(ctx);
      if (!ctx.store.read('incident', incidentId)) throw new RpcError('not_found', `No incident ${incidentId}`);
      const id = newId('hof');
      if (local()) {
        const at = ctx.now().toISOString();
        writeLocalOnly('handoff', id, {
          incidentId, mode, state: mode === 'live' ? 'ringing' : 'queued', requestedBy: user.id, requestedByName: user.name,
          requestedAt: at, ringingAt: mode === 'live' ? at : null, acceptedBy: null, acceptedByName: null, acceptedAt: null,
          endedAt: mode === 'live' ? null : at, declines: null, outcome: null, caseId: null, note: note ?? null,
        });
        const h = get(id);
        ctx.emit(mode === 'live' ? 'handoff.ringing' : 'handoff.updated', h);
        return h;
      }
      // The deadline is elapsed time, on the monotonic clock (the core's clock says what time it is).
      const started = performance.now();
      if (!ctx.sync!.isOnline()) throw unreachable('The sync server cannot be reached: call the clinician directly');
      // The incident must reach the server before the clinician's console asks for it
      // (bounded: a live call does not wait on a slow push).
      if (ctx.store.pendingCount() > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([ctx.sync!.push(), new Promise((r) => (timer = setTimeout(r, LIVE_REQUEST_DEADLINE_MS / 2)))]);
        clearTimeout(timer);
      }
      const left = Math.max(200, LIVE_REQUEST_DEADLINE_MS - (performance.now() - started));
      try {
        return await server('handoff.request', { id, incidentId, mode, note: note ?? null }, left);
      } catch (err) {
        if (err instanceof RpcError && err.code === 'unavailable') {
          const line = (err.details as { directLine?: string } | undefined)?.directLine ?? ctx.config.clinicianDirectLine;
          throw new RpcError('unavailable', err.message, { directLine: line });
        }
        throw err;
      }
    },

    async cancel(id: string): Promise<Handoff> {
      if (local()) return moveLocal(id, 'cancel', { endedAt: ctx.now().toISOString() });
      return server('handoff.cancel', { id });
    },

    async accept(id: string): Promise<Handoff> {
      const user = requireUser(ctx);
      if (local()) return moveLocal(id, 'accept', { acceptedBy: user.id, acceptedByName: user.name, acceptedAt: ctx.now().toISOString() });
      return server('handoff.accept', { id });
    },

    async decline(id: string, reason: string): Promise<Handoff> {
      const user = requireUser(ctx);
      if (local()) {
        const h = get(id);
        const declines = [...(h.declines ?? []), { by: user.id, name: user.name, reason, at: ctx.now().toISOString() }];
        return moveLocal(id, 'decline', { declines, endedAt: ctx.now().toISOString() });
      }
      return server('handoff.decline', { id, reason });
    },

    async complete(
      id: string,
      outcome: HandoffOutcome,
      notes: string,
      personName?: string,
      shareableSummary?: string,
      transfer?: CrisisTransfer,
    ): Promise<{ handoff: Handoff; caseId: string }> {
      const h = get(id);
      const user = requireUser(ctx);
      if (h.state !== 'accepted' || h.acceptedBy !== user.id) {
        throw new RpcError('conflict', h.state === 'accepted' ? `This conference belongs to ${h.acceptedByName}` : `A handoff that is ${h.state} cannot be completed`);
      }
      // Checked before anything is written: a bad transfer leaves the conference open, notes and all.
      const transferred = transfer ? transferBody(transfer, ctx.now()) : undefined;
      // The notes are saved locally first: whatever the network does, nothing typed is lost.
      let caseId: string;
      try {
        caseId = openCase(h, notes, outcome, personName, transferred);
      } catch (err) {
        // Nothing was saved (one transaction); the clinician is told and still has the notes on screen.
        recordCompletionProblem(ctx, { handoffId: id, caseId: null, stage: 'case', error: err });
        if (err instanceof RpcError) throw err;
        throw new RpcError('internal', `The case for this conference could not be saved, so it is not completed yet: ${(err as Error).message}. Your notes are still here; try again.`);
      }
      // Only the outcome and the shareable summary leave the clinician's side; never `notes`.
      const done = <T>(result: T): T => {
        announceCompletion(h, { outcome, shareableSummary, clinician: user, at: ctx.now(), caseId });
        return result;
      };
      if (local()) {
        const handoff = moveLocal(id, 'complete', { outcome, caseId, endedAt: ctx.now().toISOString() });
        return done({ handoff, caseId });
      }
      const params: QueuedCompletion = { id, outcome, caseId };
      try {
        return done({ handoff: await server('handoff.complete', params), caseId });
      } catch (err) {
        if (err instanceof RpcError && err.code === 'unavailable') {
          queueCompletion(params);
          return done({ handoff: { ...h, state: 'completed', outcome, caseId }, caseId });
        }
        // Refused (another clinician has it, it was cancelled…): the case and its notes are
        // saved; the clinician sees why on screen.
        recordCompletionProblem(ctx, { handoffId: id, caseId, stage: 'server', error: err });
        throw err;
      }
    },

    /**
     * Retries completions made while the server was away. One the server refuses now is not
     * retried again (it would be refused again) and not dropped either: it is kept, recorded
     * and noted on its case for the clinician.
     */
    async flushCompletions(): Promise<void> {
      // One flush at a time: a second one would send the same completions again, and the
      // server would refuse those as already completed.
      if (flushing) return;
      const list = completionList<QueuedCompletion>(PENDING_COMPLETIONS);
      if (!list.length || !ctx.sync?.isOnline()) return;
      flushing = true;
      try {
        await flush(list);
      } finally {
        flushing = false;
      }
    },

    /** A queued follow-up request becomes a case in the clinician's queue, once. */
    adoptFollowup(h: Handoff): void {
      if (h.mode !== 'followup' || h.state !== 'queued') return;
      if (ctx.store.read('case', `case-${h.id}`)) return;
      openCase(h, '', null);
    },

    async setPresence(status: Presence['status']): Promise<Presence> {
      const user = requireUser(ctx);
      if (local()) {
        writeLocalOnly('presence', user.id, { name: user.name, status, directLine: user.directLine ?? ctx.config.clinicianDirectLine, updatedAt: ctx.now().toISOString() });
        return ctx.store.read<Presence>('presence', user.id)!;
      }
      if (!ctx.sync!.isOnline()) throw unreachable('Presence cannot be set while the sync server is unreachable');
      return Presence.parse(await ctx.sync!.rpc('presence.set', { status }, LIVE_REQUEST_DEADLINE_MS));
    },

    presence(): Presence[] {
      return presenceByName(ctx.store.reads);
    },
  };
}
