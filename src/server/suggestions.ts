import type { Logger } from 'pino';
import type { User } from '../shared/contract';
import type { DirectorySuggestion } from '../shared/entities';
import { applySuggestion, currentValue } from '../shared/directory/suggestion';
import { contentHashOf } from '../shared/directory/hash';
import { DirectorySuggestParams, SuggestionDeclineParams, SuggestionIdParams } from '../shared/sync/wire';
import { ServerError, describeZodIssues } from './errors';
import type { SyncEngine } from './sync';
import type { ServerStorage, StorageTx } from './storage/types';
import type { z } from 'zod';

/**
 * Directory corrections (issue 13): someone who may not change the shared directory (a
 * clinician) suggests one; a directory manager accepts it (the server applies it to the entry,
 * as its own write) or declines it with a reason. The server writes every suggestion row and
 * sets who suggested and who decided from the session, never from the console.
 */
export class DirectorySuggestions {
  constructor(
    private readonly o: { storage: ServerStorage; sync: SyncEngine; committed: (cursor: number) => void; now: () => number; logger: Logger },
  ) {}

  async suggest(user: User, p: unknown): Promise<DirectorySuggestion> {
    const params = parse(DirectorySuggestParams, p, 'directory suggestion');
    return this.write(async (tx) => {
      const existing = await tx.getEntity('directory_suggestion', params.id);
      if (existing) {
        const s = { id: params.id, ...existing.data } as DirectorySuggestion;
        // The same suggestion sent again (a retry after a lost answer) gets the same answer.
        if (s.suggestedBy === user.id && s.serviceId === params.serviceId && s.field === params.field && s.proposed === params.proposed) return s;
        throw new ServerError('conflict', `A suggestion with id ${params.id} already exists`);
      }
      const service = await tx.getEntity('resource_service', params.serviceId);
      if (!service) throw new ServerError('not_found', `No directory entry ${params.serviceId} on the server`);
      const record = (service.data.record ?? {}) as Record<string, unknown>;
      const current = currentValue(record, params.field);
      if (current === params.proposed) throw new ServerError('bad_request', `The entry already says ${JSON.stringify(params.proposed)}`);
      const fields: Omit<DirectorySuggestion, 'id'> = {
        serviceId: params.serviceId,
        serviceName: String(service.data.name ?? '').slice(0, 500),
        field: params.field,
        current: current || null,
        proposed: params.proposed,
        reason: params.reason,
        suggestedBy: user.id,
        suggestedByName: user.name,
        suggestedAt: this.iso(),
        status: 'open',
        decidedBy: null,
        decidedByName: null,
        decidedAt: null,
        declineReason: null,
      };
      this.o.logger.info({ suggestion: params.id, service: params.serviceId, field: params.field, by: user.id }, 'directory correction suggested');
      return (await this.o.sync.writeServerOp(tx, 'directory_suggestion', params.id, fields)).row as DirectorySuggestion;
    });
  }

  async accept(user: User, p: unknown): Promise<DirectorySuggestion> {
    const { id } = parse(SuggestionIdParams, p, 'suggestion accept');
    return this.write(async (tx) => {
      const s = await this.open(tx, id);
      const service = await tx.getEntity('resource_service', s.serviceId);
      if (!service) throw new ServerError('not_found', `The directory entry ${s.serviceId} is no longer on the server`);
      const { contentHash: _old, ...record } = (service.data.record ?? {}) as Record<string, unknown>;
      void _old;
      const changed = applySuggestion(record, s.field, s.proposed);
      const contentHash = contentHashOf(changed);
      const entry: Record<string, unknown> = { record: { ...changed, contentHash }, contentHash };
      if (s.field === 'name') entry.name = s.proposed.slice(0, 500);
      await this.o.sync.writeServerOp(tx, 'resource_service', s.serviceId, entry);
      this.o.logger.info({ suggestion: id, service: s.serviceId, field: s.field, by: user.id }, 'directory correction accepted and applied');
      return this.decide(tx, id, user, { status: 'accepted', declineReason: null });
    });
  }

  async decline(user: User, p: unknown): Promise<DirectorySuggestion> {
    const { id, reason } = parse(SuggestionDeclineParams, p, 'suggestion decline');
    return this.write(async (tx) => {
      await this.open(tx, id);
      this.o.logger.info({ suggestion: id, by: user.id }, 'directory correction declined');
      return this.decide(tx, id, user, { status: 'declined', declineReason: reason });
    });
  }

  /** The suggestion, still waiting for a decision. */
  private async open(tx: StorageTx, id: string): Promise<DirectorySuggestion> {
    const row = await tx.getEntity('directory_suggestion', id);
    if (!row) throw new ServerError('not_found', `No directory suggestion ${id}`);
    const s = { id, ...row.data } as DirectorySuggestion;
    if (s.status !== 'open') throw new ServerError('conflict', `This suggestion was already ${s.status} by ${s.decidedByName ?? 'someone'}`);
    return s;
  }

  private async decide(tx: StorageTx, id: string, user: User, fields: Pick<DirectorySuggestion, 'status' | 'declineReason'>): Promise<DirectorySuggestion> {
    const out = await this.o.sync.writeServerOp(tx, 'directory_suggestion', id, { ...fields, decidedBy: user.id, decidedByName: user.name, decidedAt: this.iso() });
    return out.row as DirectorySuggestion;
  }

  private async write<T>(fn: (tx: StorageTx) => Promise<T>): Promise<T> {
    const { result, before, after } = await this.o.storage.transaction(async (tx) => {
      const start = await tx.getCursor();
      const r = await fn(tx);
      return { result: r, before: start, after: await tx.getCursor() };
    });
    if (after !== before) this.o.committed(after);
    return result;
  }

  private iso(): string {
    return new Date(this.o.now()).toISOString();
  }
}

function parse<T extends z.ZodTypeAny>(schema: T, p: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(p);
  if (!r.success) throw new ServerError('bad_request', `Invalid ${what}: ${describeZodIssues(r.error.issues)}`);
  return r.data;
}
