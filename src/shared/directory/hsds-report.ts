/**
 * What an HSDS import did with every row: imported (perhaps repaired), rejected, or ignored
 * (read but not used: a contact's phone, an attribute of an organization). Rows are counted
 * per table, and problems are grouped by their reason (the reason without the row's own
 * values), each group with its count and the first few line numbers, so a person reading
 * the summary of a 40,000-row import sees "982 phones: service_id matches no service (lines
 * 2, 3, 7, …)" rather than 982 lines. The full list stays available (`rejected`,
 * `warnings`, and `problems` for a CSV file).
 */

/** A row left out of the import. `line` is where the record starts in `file` (header = 1). */
export interface HsdsRejectedRow {
  file: string;
  line: number;
  reason: string;
}

/** A value dropped, defaulted or derived while the row itself was kept. */
export interface HsdsWarning {
  file: string;
  line: number;
  reason: string;
}

export type HsdsRowOutcome = 'rejected' | 'repaired' | 'ignored';

/** One problem with one row, for the full list (`--problems FILE`). */
export interface HsdsProblem {
  table: string;
  file: string;
  line: number;
  outcome: HsdsRowOutcome;
  /** The reason without the row's values: what problems are grouped and counted by. */
  group: string;
  /** The reason for this row, with its values. */
  reason: string;
}

export interface HsdsReasonCount {
  reason: string;
  count: number;
  /** The first few lines (header = 1), in file order. */
  lines: number[];
}

export interface HsdsTableSummary {
  /** The HSDS table ("services", "phones", "regular_schedules"). */
  table: string;
  file: string;
  read: number;
  /** Rows that went into the directory, repaired ones included. */
  imported: number;
  /** Imported rows Tandem had to repair (an id derived, a value dropped, an organization unknown...). */
  repaired: number;
  rejected: number;
  /** Rows read but not used (they describe something the directory does not hold). */
  ignored: number;
  rejections: HsdsReasonCount[];
  repairs: HsdsReasonCount[];
  ignoredBecause: HsdsReasonCount[];
}

export interface HsdsIgnoredFile {
  file: string;
  reason: string;
}

export interface HsdsSummary {
  /** Which HSDS layout the package follows, as far as its file names tell. */
  layout: 'HSDS 3' | 'HSDS 1.x/2.x' | 'HSDS 3 with 1.x/2.x tables';
  tables: HsdsTableSummary[];
  /** Files of the package that were not read, and why. */
  ignoredFiles: HsdsIgnoredFile[];
  /** Assumptions made for the package as a whole ("weekdays read as ISO 8601: 1 = Monday"). */
  notes: string[];
  /** How much of what a clinician needs the imported services have. */
  services: { imported: number; withPhone: number; withAddress: number; withHours: number; organizationUnknown: number };
}

/** The first lines kept per reason in the summary. */
export const SAMPLE_LINES = 5;

interface TableCount {
  table: string;
  file: string;
  read: number;
  /** line → outcome; a repaired row that is later rejected counts as rejected. */
  outcome: Map<number, HsdsRowOutcome>;
}

export class HsdsReport {
  private readonly tables = new Map<string, TableCount>();
  private readonly list: HsdsProblem[] = [];
  readonly ignoredFiles: HsdsIgnoredFile[] = [];
  readonly notes: string[] = [];

  /** Declares a table as read, with its number of data rows. */
  tableRead(table: string, file: string, rows: number): void {
    this.tables.set(table, { table, file, read: rows, outcome: new Map() });
  }

  reject(table: string, file: string, line: number, group: string, reason = group): void {
    this.record(table, file, line, 'rejected', group, reason);
  }

  repair(table: string, file: string, line: number, group: string, reason = group): void {
    this.record(table, file, line, 'repaired', group, reason);
  }

  ignore(table: string, file: string, line: number, group: string, reason = group): void {
    this.record(table, file, line, 'ignored', group, reason);
  }

  ignoreFile(file: string, reason: string): void {
    this.ignoredFiles.push({ file, reason });
  }

  /** An assumption made for the whole package, told once rather than on every row. */
  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  private record(table: string, file: string, line: number, outcome: HsdsRowOutcome, group: string, reason: string): void {
    this.list.push({ table, file, line, outcome, group, reason });
    const t = this.tables.get(table);
    if (!t || line <= 1) return; // a problem with the file itself, not a row
    const prior = t.outcome.get(line);
    // Rejected wins over ignored, which wins over repaired: a row is counted once.
    if (prior === 'rejected' || (prior === 'ignored' && outcome === 'repaired')) return;
    t.outcome.set(line, outcome);
  }

  /** Every problem, by file and line. */
  get problems(): HsdsProblem[] {
    return [...this.list].sort(byFileLine);
  }

  get rejected(): HsdsRejectedRow[] {
    return this.rows('rejected');
  }

  /** Repairs: values dropped, defaulted or derived in rows that were kept. (Ignored rows are in the summary.) */
  get warnings(): HsdsWarning[] {
    return this.rows('repaired');
  }

  private rows(outcome: HsdsRowOutcome): HsdsRejectedRow[] {
    return this.list.filter((p) => p.outcome === outcome).sort(byFileLine).map(({ file, line, reason }) => ({ file, line, reason }));
  }

  summaries(): HsdsTableSummary[] {
    return [...this.tables.values()].map((t) => {
      const counts = { rejected: 0, repaired: 0, ignored: 0 };
      for (const o of t.outcome.values()) counts[o]++;
      const mine = this.list.filter((p) => p.table === t.table);
      return {
        table: t.table,
        file: t.file,
        read: t.read,
        imported: t.read - counts.rejected - counts.ignored,
        repaired: counts.repaired,
        rejected: counts.rejected,
        ignored: counts.ignored,
        rejections: group(mine.filter((p) => p.outcome === 'rejected')),
        repairs: group(mine.filter((p) => p.outcome === 'repaired')),
        ignoredBecause: group(mine.filter((p) => p.outcome === 'ignored')),
      };
    });
  }
}

/** Problems grouped by reason, most frequent first, each with its first lines. */
function group(problems: readonly HsdsProblem[]): HsdsReasonCount[] {
  const groups = new Map<string, HsdsReasonCount>();
  for (const p of [...problems].sort(byFileLine)) {
    const g = groups.get(p.group);
    if (!g) groups.set(p.group, { reason: p.group, count: 1, lines: p.line > 1 ? [p.line] : [] });
    else {
      g.count++;
      if (g.lines.length < SAMPLE_LINES && p.line > 1 && !g.lines.includes(p.line)) g.lines.push(p.line);
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}

function byFileLine(a: { file: string; line: number }, b: { file: string; line: number }): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line;
}

/** The full problem list as CSV (table, file, line, outcome, reason), for `import-hsds --problems FILE`. */
export function problemsCsv(problems: readonly HsdsProblem[]): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = problems.map((p) => [p.table, p.file, p.line, p.outcome, p.reason].map(cell).join(','));
  return ['table,file,line,outcome,reason', ...rows].join('\n') + '\n';
}
