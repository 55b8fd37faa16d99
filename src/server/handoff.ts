import type { Logger } from 'pino';
import type { User } from '../shared/contract';
import type { Handoff, HandoffDecline, Presence, PresenceStatus } from '../shared/entities';
import { IllegalTransitionError, nextHandoffState, type HandoffEvent, type HandoffState } from '../shared/handoff-machine';
import {
  HandoffCompleteParams,
  HandoffDeclineParams,
  HandoffIdParams,
  HandoffRequestParams,
  PresenceSetParams,
} from '../shared/sync/wire';
import type { z } from 'zod';
import { isoNow, type Clock } from '../node/clock';
import { ServerError, describeZodIssues } from './errors';
import type { ServerStorage, StorageTx } from './storage/types';
import type { SyncEngine } from './sync';

/**
 * Live handoff arbitration. Consoles never push handoff or presence ops: they ask the server,
 * which decides inside one storage transaction (so the first accept wins) and writes the
 * result as its own replica, so it reaches every console through the change log. Who may ask
 * is checked before a request gets here (the hub, by SERVER_METHOD_CAPABILITY).
 */
export interface ArbiterOptions {
  storage: ServerStorage;
  sync: SyncEngine;
  /** Stamps decisions and times out ringing handoffs. */
  clock: Clock;
  handoffTimeoutMs: number;
  clinicianDirectLine: string | null;
  /** User ids of the connected consoles that may answer a handoff (shared/roles.ts: handoff.answer). */
  answerers: () => Set<string>;
  /** Called after a commit that moved the change-log cursor. */
  committed: (cursor: number) => void;
  logger: Logger;
}

function parse<T extends z.ZodType>(schema: T, p: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(p);
  if (!r.success) throw new ServerError('bad_request', `Invalid ${what}: ${describeZodIssues(r.error.issues)}`);
  return r.data;
}

/** The machine's next state, or a `conflict` carrying its message. */
function transition(from: HandoffState, event: HandoffEvent): HandoffState {
  try {
    return nextHandoffState(from, event);
  } catch (err) {
    if (err instanceof IllegalTransitionError) throw new ServerError('conflict', err.message, { state: from });
    throw err;
  }
}

export class HandoffArbiter {
  private readonly timers = new Map<string, () => void>();
  private stopped = false;

  constructor(private readonly o: ArbiterOptions) {}

  private iso(): string {
    return isoNow(this.o.clock);
  }

  /** Re-arms the timeout of every handoff left ringing (e.g. across a restart). */
  async start(): Promise<void> {
    const ringing = await this.o.storage.transaction((tx) => tx.findEntities('handoff', { state: 'ringing' }), { readOnly: true });
    for (const r of ringing) {
      const at = Date.parse(String(r.state.data.ringingAt ?? ''));
      this.arm(r.id, Number.isFinite(at) ? at : this.o.clock.now());
    }
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  /**
   * Another instance says this handoff is ringing: it times out here too, so that it still
   * times out if that instance dies (whichever instance's timer fires first decides; the
   * others find it no longer ringing). Returns it while it rings, else null.
   */
  async ringingElsewhere(id: string): Promise<Handoff | null> {
    if (this.stopped) return null;
    const state = await this.o.storage.transaction((tx) => tx.getEntity('handoff', id), { readOnly: true });
    if (!state || state.data.state !== 'ringing') return null;
    const h = { id, ...state.data } as Handoff;
    if (!this.timers.has(id)) this.arm(id, Date.parse(h.ringingAt ?? '') || this.o.clock.now());
    return h;
  }

  /** Every live handoff ringing now (to ring a console that links while it rings, or after a ring was lost). */
  async ringingNow(): Promise<Handoff[]> {
    if (this.stopped) return [];
    const rows = await this.o.storage.transaction((tx) => tx.findEntities('handoff', { state: 'ringing' }), { readOnly: true });
    return rows.map((r) => ({ id: r.id, ...r.state.data }) as Handoff);
  }

  private arm(id: string, ringingAt: number): void {
    this.disarm(id);
    if (this.stopped) return;
    const delay = Math.max(0, ringingAt + this.o.handoffTimeoutMs - this.o.clock.now());
    const cancel = this.o.clock.after(delay, () => {
      this.timers.delete(id);
      this.timeOut(id).catch((err) => this.o.logger.error({ err, handoff: id }, 'handoff timeout failed'));
    });
    this.timers.set(id, cancel);
  }

  private disarm(id: string): void {
    this.timers.get(id)?.();
    this.timers.delete(id);
  }

  /** Runs a decision in one transaction; tells the hub when the cursor moved. */
  private async decide<T>(fn: (tx: StorageTx, writes: { cursor: number }) => Promise<T>): Promise<T> {
    const writes = { cursor: 0 };
    const result = await this.o.storage.transaction((tx) => fn(tx, writes));
    if (writes.cursor) this.o.committed(writes.cursor);
    return result;
  }

  private async write(tx: StorageTx, writes: { cursor: number }, entity: 'handoff' | 'presence', id: string, fields: Record<string, unknown>) {
    const { cursor, row } = await this.o.sync.writeServerOp(tx, entity, id, fields);
    writes.cursor = cursor;
    return row;
  }

  private async load(tx: StorageTx, id: string): Promise<Handoff> {
    const state = await tx.getEntity('handoff', id);
    if (!state) throw new ServerError('not_found', `No handoff ${id}`);
    return { id, ...state.data } as Handoff;
  }

  private async setPresence(tx: StorageTx, writes: { cursor: number }, user: User, status: PresenceStatus): Promise<Presence> {
    const fields: Omit<Presence, 'id'> = { name: user.name, status, directLine: user.directLine, updatedAt: this.iso() };
    return (await this.write(tx, writes, 'presence', user.id, fields)) as Presence;
  }

  async request(user: User, p: unknown): Promise<Handoff> {
    const params = parse(HandoffRequestParams, p, 'handoff request');
    if (params.mode === 'live' && this.o.answerers().size === 0) {
      throw new ServerError('unavailable', 'No clinician console is connected', { directLine: this.o.clinicianDirectLine });
    }
    const row = await this.decide(async (tx, writes) => {
      const existing = await tx.getEntity('handoff', params.id);
      if (existing) {
        const h = { id: params.id, ...existing.data } as Handoff;
        // The same request sent again (a retry after a lost answer) gets the same answer.
        if (h.requestedBy === user.id && h.incidentId === params.incidentId && h.mode === params.mode) return h;
        throw new ServerError('conflict', `A handoff with id ${params.id} already exists`);
      }
      const now = this.iso();
      const state = transition('requested', params.mode === 'live' ? 'ring' : 'queue');
      const fields: Omit<Handoff, 'id'> = {
        incidentId: params.incidentId,
        mode: params.mode,
        state,
        requestedBy: user.id,
        requestedByName: user.name,
        requestedAt: now,
        ringingAt: state === 'ringing' ? now : null,
        acceptedBy: null,
        acceptedByName: null,
        acceptedAt: null,
        endedAt: null,
        declines: [],
        outcome: null,
        caseId: null,
        note: params.note,
      };
      return (await this.write(tx, writes, 'handoff', params.id, fields)) as Handoff;
    });
    if (row.state === 'ringing') this.arm(row.id, Date.parse(row.ringingAt ?? '') || this.o.clock.now());
    this.o.logger.info({ handoff: row.id, incident: row.incidentId, mode: row.mode, state: row.state, by: user.id }, 'handoff requested');
    return row;
  }

  async accept(user: User, p: unknown): Promise<Handoff> {
    const { id } = parse(HandoffIdParams, p, 'handoff accept');
    const row = await this.decide(async (tx, writes) => {
      const h = await this.load(tx, id);
      if (h.state === 'accepted') {
        if (h.acceptedBy === user.id) return h;
        throw new ServerError('conflict', `Already accepted by ${h.acceptedByName}`, { acceptedByName: h.acceptedByName });
      }
      const state = transition(h.state, 'accept');
      const updated = (await this.write(tx, writes, 'handoff', id, {
        state,
        acceptedBy: user.id,
        acceptedByName: user.name,
        acceptedAt: this.iso(),
      })) as Handoff;
      await this.setPresence(tx, writes, user, 'on_call');
      return updated;
    });
    this.disarm(id);
    this.o.logger.info({ handoff: id, by: user.id }, 'handoff accepted');
    return row;
  }

  async decline(user: User, p: unknown): Promise<Handoff> {
    const { id, reason } = parse(HandoffDeclineParams, p, 'handoff decline');
    const answerers = this.o.answerers();
    const row = await this.decide(async (tx, writes) => {
      const h = await this.load(tx, id);
      transition(h.state, 'decline'); // only a ringing handoff can be declined
      const decline: z.infer<typeof HandoffDecline> = { by: user.id, name: user.name, reason, at: this.iso() };
      const declines = [...(h.declines ?? []).filter((d) => d.by !== user.id), decline];
      const fields: Partial<Handoff> = { declines };
      if (this.everyoneDeclined(declines, answerers)) {
        fields.state = transition(h.state, 'decline');
        fields.endedAt = decline.at;
      }
      return (await this.write(tx, writes, 'handoff', id, fields)) as Handoff;
    });
    if (row.state !== 'ringing') this.disarm(id);
    this.o.logger.info({ handoff: id, by: user.id, state: row.state }, 'handoff declined');
    return row;
  }

  private everyoneDeclined(declines: readonly { by: string }[], answerers: Set<string>): boolean {
    if (declines.length === 0) return false;
    const by = new Set(declines.map((d) => d.by));
    for (const a of answerers) if (!by.has(a)) return false;
    return true;
  }

  /** A clinician console went away: a ringing handoff every remaining clinician declined is now declined. */
  async answererLeft(): Promise<void> {
    if (this.stopped) return;
    const answerers = this.o.answerers();
    const ended: string[] = [];
    await this.decide(async (tx, writes) => {
      const ringing = await tx.findEntities('handoff', { state: 'ringing' });
      for (const r of ringing) {
        const h = { id: r.id, ...r.state.data } as Handoff;
        if (!this.everyoneDeclined(h.declines ?? [], answerers)) continue;
        await this.write(tx, writes, 'handoff', h.id, { state: transition(h.state, 'decline'), endedAt: this.iso() });
        ended.push(h.id);
      }
    });
    for (const id of ended) this.disarm(id);
  }

  async cancel(user: User, p: unknown): Promise<Handoff> {
    const { id } = parse(HandoffIdParams, p, 'handoff cancel');
    const row = await this.decide(async (tx, writes) => {
      const h = await this.load(tx, id);
      const state = transition(h.state, 'cancel');
      return (await this.write(tx, writes, 'handoff', id, { state, endedAt: this.iso() })) as Handoff;
    });
    this.disarm(id);
    this.o.logger.info({ handoff: id, by: user.id }, 'handoff cancelled');
    return row;
  }

  async complete(user: User, p: unknown): Promise<Handoff> {
    const { id, outcome, caseId } = parse(HandoffCompleteParams, p, 'handoff complete');
    const row = await this.decide(async (tx, writes) => {
      const h = await this.load(tx, id);
      if (h.state === 'accepted' && h.acceptedBy !== user.id) {
        throw new ServerError('forbidden', `Only ${h.acceptedByName}, who accepted this handoff, can complete it`);
      }
      const state = transition(h.state, 'complete');
      const updated = (await this.write(tx, writes, 'handoff', id, { state, outcome, caseId, endedAt: this.iso() })) as Handoff;
      await this.setPresence(tx, writes, user, 'available');
      return updated;
    });
    this.o.logger.info({ handoff: id, by: user.id, outcome }, 'handoff completed');
    return row;
  }

  async timeOut(id: string): Promise<Handoff | null> {
    if (this.stopped) return null;
    const row = await this.decide(async (tx, writes) => {
      const state = await tx.getEntity('handoff', id);
      if (!state || state.data.state !== 'ringing') return null;
      const next = transition('ringing', 'time_out');
      return (await this.write(tx, writes, 'handoff', id, { state: next, endedAt: this.iso() })) as Handoff;
    });
    if (row) this.o.logger.warn({ handoff: id }, 'handoff timed out: nobody accepted');
    return row;
  }

  async setPresenceStatus(user: User, p: unknown): Promise<Presence> {
    const { status } = parse(PresenceSetParams, p, 'presence');
    return this.decide((tx, writes) => this.setPresence(tx, writes, user, status));
  }
}
