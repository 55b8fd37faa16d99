import { stringify } from 'csv-stringify/sync';
import { RpcError } from '../../../shared/contract';
import {
  AUDIT_EXPORT_COLUMNS,
  AUDIT_PAGE_MAX,
  AuditSearchResponse,
  type AuditExport,
  type AuditFilter,
  type AuditSearchEntry,
  type AuditSearchParams,
} from '../../../shared/audit-search';
import { requireUser, type CoreContext } from '../context';

/** How long one page may take the server (it pages its own log and records the search). */
const PAGE_TIMEOUT_MS = 30_000;

/** One row of the export per entry, in AUDIT_EXPORT_COLUMNS order. */
function exportRow(e: AuditSearchEntry): (string | number | null)[] {
  return [e.at, e.actor, e.workstationName, e.workstationId, e.action, e.subject, e.detail, e.source, e.seq, e.ip];
}

/**
 * The audit log as CSV (RFC 4180, CRLF, a header row). A cell that a spreadsheet would take for
 * a formula (a typed username such as `=HYPERLINK(…)` on a failed sign-in) is written as text.
 */
export function auditCsv(entries: readonly AuditSearchEntry[]): string {
  return stringify([[...AUDIT_EXPORT_COLUMNS], ...entries.map(exportRow)], { record_delimiter: 'windows', escape_formulas: true });
}

/**
 * The supervisor's audit screen (issue 14). The ECC's audit log is on the sync server (every
 * console's chain as pushed, and the server's own): a console reads it there, one bounded page
 * at a time, and never from its own store. The server checks `audit.read` again and records
 * every search; an export is recorded here too, with what it matched.
 */
export function auditSearchService(ctx: CoreContext) {
  async function page(params: AuditSearchParams): Promise<AuditSearchResponse> {
    requireUser(ctx);
    if (!ctx.sync) throw new RpcError('unavailable', 'The audit log is kept on the sync server, and this console has none: it works alone');
    let result: unknown;
    try {
      result = await ctx.sync.rpc('audit.search', params, PAGE_TIMEOUT_MS);
    } catch (err) {
      if (err instanceof RpcError && err.code !== 'unavailable') throw err;
      const why = (err as Error).message.replace(/\.$/, '');
      throw new RpcError('unavailable', `The audit log is kept on the sync server: ${why.charAt(0).toLowerCase()}${why.slice(1)}. Try again when this console is online.`);
    }
    const parsed = AuditSearchResponse.safeParse(result);
    if (!parsed.success) throw new RpcError('internal', 'The sync server sent an audit page this console cannot read');
    return parsed.data;
  }

  return {
    search: page,

    /** Every entry the filter matches, newest first, up to `max`: page by page, as CSV. */
    async export(q: AuditFilter & { max: number }): Promise<AuditExport> {
      const { max, ...filter } = q;
      const entries: AuditSearchEntry[] = [];
      let before: number | undefined;
      // More match than the file holds, until the server says the last page came.
      let capped = true;
      // Bounded: a page brings up to AUDIT_PAGE_MAX entries, no more than `max` are taken, and a
      // server that sends short pages still stops the loop (the file then says it was capped).
      for (let pages = 0; pages < Math.ceil(max / AUDIT_PAGE_MAX) + 1 && entries.length < max; pages++) {
        const r = await page({ ...filter, before, limit: Math.min(AUDIT_PAGE_MAX, max - entries.length) });
        entries.push(...r.entries);
        if (r.next === null || r.entries.length === 0) {
          capped = false;
          break;
        }
        before = r.next;
      }
      ctx.audit('audit.export', null, null, { ...filter, rows: entries.length, capped });
      return { csv: auditCsv(entries), rows: entries.length, capped };
    },
  };
}
