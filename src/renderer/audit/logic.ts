import type { AuditFilter } from '../../shared/audit-search';

/** The audit screen's filter form as typed: dates as the date inputs give them (YYYY-MM-DD, the console's own zone). */
export interface AuditForm {
  from: string;
  to: string;
  actor: string;
  action: string;
  workstationId: string;
  subject: string;
}

export const EMPTY_FORM: AuditForm = { from: '', to: '', actor: '', action: '', workstationId: '', subject: '' };

/** Actions worth offering in the action field (anything else may still be typed). */
export const COMMON_ACTIONS = [
  'signin',
  'signin.failed',
  'signin.refused',
  'signout',
  'session.lock',
  'session.unlock',
  'case.read',
  'case.queue',
  'case.create',
  'case.note',
  'case.update',
  'case.correct',
  'case.close',
  'incident.create',
  'incident.update',
  'report.program',
  'directory.import',
  'audit.search',
  'audit.export',
  'user.add',
  'session.revoke',
  'workstation.enroll',
] as const;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight starting a YYYY-MM-DD day (plus `addDays`), or null for anything else. */
function localDayStart(day: string, addDays = 0): Date | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays);
  // 2026-02-31 rolls over into March: not a day anyone meant.
  if (addDays === 0 && (d.getFullYear() !== Number(m[1]) || d.getMonth() !== Number(m[2]) - 1 || d.getDate() !== Number(m[3]))) return null;
  return d;
}

/**
 * The filter the server is asked for: the "to" day is included whole (the server's `to` is
 * exclusive, so it is the next local midnight); blank fields are left out. Bad input is said
 * in words, never sent.
 */
export function filterOf(form: AuditForm): { filter: AuditFilter } | { error: string } {
  const filter: AuditFilter = {};
  if (form.from) {
    const d = localDayStart(form.from);
    if (!d) return { error: 'The "From" date is not a date' };
    filter.from = d.toISOString();
  }
  if (form.to) {
    if (!localDayStart(form.to)) return { error: 'The "To" date is not a date' };
    filter.to = localDayStart(form.to, 1)!.toISOString();
  }
  if (filter.from && filter.to && filter.from >= filter.to) return { error: 'The "From" date is after the "To" date' };
  for (const key of ['actor', 'action', 'workstationId', 'subject'] as const) {
    const v = form[key].trim();
    if (v.length > 300) return { error: `${FIELD_LABELS[key]} is too long (at most 300 characters)` };
    if (v) filter[key] = v;
  }
  return { filter };
}

export const FIELD_LABELS: Record<keyof AuditForm, string> = {
  from: 'From',
  to: 'To',
  actor: 'User',
  action: 'Action',
  workstationId: 'Workstation ID',
  subject: 'Subject',
};

/** The filters in force, in words ("user morgan, action signin"), or null for none. */
export function describeFilter(form: AuditForm): string | null {
  const parts: string[] = [];
  if (form.from && form.to) parts.push(`${form.from} to ${form.to}`);
  else if (form.from) parts.push(`from ${form.from}`);
  else if (form.to) parts.push(`up to ${form.to}`);
  if (form.actor.trim()) parts.push(`user ${form.actor.trim()}`);
  if (form.action.trim()) parts.push(`action ${form.action.trim()}`);
  if (form.workstationId.trim()) parts.push(`workstation ${form.workstationId.trim()}`);
  if (form.subject.trim()) parts.push(`subject ${form.subject.trim()}`);
  return parts.length ? parts.join(', ') : null;
}

/** An entry's detail as a person reads it: a JSON object as "key: value · …", anything else as it is. */
export function detailText(detail: string | null): string {
  if (detail === null || detail === '') return '';
  let value: unknown;
  try {
    value = JSON.parse(detail);
  } catch {
    return detail;
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An entry's time in the console's zone, to the second: "2026-12-02 15:48:03". */
export function formatAt(at: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The export's file name: when it was made (console's zone), and "newest-N" when capped. */
export function exportFileName(now: Date, rows: number, capped: boolean): string {
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
  return `tandem-audit-${stamp}${capped ? `-newest-${rows}` : ''}.csv`;
}

/**
 * Where each page of a search starts: `before` of the page shown (undefined: the newest) and
 * those of the pages newer than it, nearest first. "Older" goes to the page's `next`, "Newer"
 * back one; both keep the filters the shown page answered.
 */
export interface PagePlace {
  before: number | undefined;
  newer: (number | undefined)[];
}
export const FIRST_PAGE: PagePlace = { before: undefined, newer: [] };
export function olderPlace(at: PagePlace, next: number): PagePlace {
  return { before: next, newer: [at.before, ...at.newer] };
}
export function newerPlace(at: PagePlace): PagePlace | null {
  return at.newer.length === 0 ? null : { before: at.newer[0], newer: at.newer.slice(1) };
}
