import crypto from 'node:crypto';
import { RpcError } from '../../../shared/contract';
import { DirectorySuggestion, type SuggestionField } from '../../../shared/entities';
import type { CoreContext } from '../context';
import { requireUser } from '../context';
import { listSuggestions } from '../store/queries/suggestions';

/**
 * Directory corrections (issue 13): a clinician suggests one from the entry she is looking at;
 * a directory manager accepts or declines it. The sync server decides each (who suggested, who
 * decided, and the change to the entry itself, written as its own op), so each needs the server;
 * the rows come back to every console that may see them through the change log.
 */
export function suggestionService(ctx: CoreContext) {
  async function server(method: 'directory.suggest' | 'directory.suggestion.accept' | 'directory.suggestion.decline', params: unknown): Promise<DirectorySuggestion> {
    if (!ctx.sync) throw new RpcError('unavailable', 'Directory corrections need the sync server: this console works alone');
    const row = DirectorySuggestion.parse(await ctx.sync.rpc(method, params));
    // Shown at once; the change log brings the same row (and, on an accept, the entry).
    void ctx.sync.pull();
    return row;
  }

  return {
    async suggest(i: { serviceId: string; field: SuggestionField; proposed: string; reason: string }): Promise<DirectorySuggestion> {
      requireUser(ctx);
      const id = `sug_${crypto.randomUUID()}`;
      const row = await server('directory.suggest', { id, ...i });
      ctx.audit('directory.suggest', 'directory_suggestion', row.id, { serviceId: i.serviceId, field: i.field });
      return row;
    },

    list(status: 'open' | 'all'): DirectorySuggestion[] {
      return listSuggestions(ctx.store.reads, status);
    },

    async decide(method: 'directory.suggestion.accept' | 'directory.suggestion.decline', params: { id: string; reason?: string }): Promise<DirectorySuggestion> {
      requireUser(ctx);
      const row = await server(method, params);
      ctx.audit(method, 'directory_suggestion', row.id, { status: row.status });
      return row;
    },
  };
}
