import { z } from 'zod';

/**
 * The supervisor's audit screen (issue 14): what a console asks the sync server for (the
 * socket method `audit.search`, capability `audit.read`) and what the screen's "Export CSV"
 * returns. Kept apart from sync/wire.ts so that the contract (contract.ts) can name them
 * without importing the wire (which imports the contract).
 */

/** Most entries in one page of `audit.search`. */
export const AUDIT_PAGE_MAX = 200;
/** Most entries one CSV export holds: it pages through the server, at most this many rows. */
export const AUDIT_EXPORT_MAX = 10_000;

const FilterText = z.string().trim().min(1).max(300).refine((t) => !t.includes('\u0000'), 'no NUL characters');
const IsoTime = z.string().datetime({ offset: true });

/** What the entries are narrowed by (every one optional; together they all hold). */
export const AuditFilter = z.object({
  from: IsoTime.optional(),
  to: IsoTime.optional(),
  /** The username (server entries and console entries both name the user). */
  actor: FilterText.optional(),
  action: FilterText.optional(),
  workstationId: FilterText.optional(),
  /** `entity:id` as the console writes it (e.g. `person:p-123`), or a username for admin actions. */
  subject: FilterText.optional(),
});
export type AuditFilter = z.input<typeof AuditFilter>;

export const AuditSearchParams = AuditFilter.extend({
  /** The `next` of the page before. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(AUDIT_PAGE_MAX).default(100),
});
export type AuditSearchParams = z.input<typeof AuditSearchParams>;
export const AuditSearchEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  source: z.string(),
  seq: z.number().int(),
  actor: z.string().nullable(),
  workstationId: z.string().nullable(),
  workstationName: z.string().nullable(),
  action: z.string(),
  subject: z.string().nullable(),
  detail: z.string().nullable(),
  ip: z.string().nullable(),
});
export type AuditSearchEntry = z.infer<typeof AuditSearchEntry>;
/** Newest first; `next` (when more match) is the `before` of the next page. */
export const AuditSearchResponse = z.object({ entries: z.array(AuditSearchEntry), next: z.number().int().nullable() });
export type AuditSearchResponse = z.infer<typeof AuditSearchResponse>;

/** "Export CSV": every entry the filter matches, newest first, up to `max` (default AUDIT_EXPORT_MAX). */
export const AuditExportParams = AuditFilter.extend({
  max: z.number().int().min(1).max(AUDIT_EXPORT_MAX).default(AUDIT_EXPORT_MAX),
});
export const AuditExport = z.object({
  /** RFC 4180 CSV, CRLF, a header row (AUDIT_EXPORT_COLUMNS) and one row per entry. */
  csv: z.string(),
  rows: z.number().int().nonnegative(),
  /** More entries match than the file holds (it has the newest `rows`). */
  capped: z.boolean(),
});
export type AuditExport = z.infer<typeof AuditExport>;

/** The export's columns, in order. */
export const AUDIT_EXPORT_COLUMNS = ['at', 'actor', 'workstation', 'workstation_id', 'action', 'subject', 'detail', 'source', 'seq', 'ip'] as const;
