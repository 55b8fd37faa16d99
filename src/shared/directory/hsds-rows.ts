/**
 * Going through the rows of one table: every row gets an id (its own, or one derived from
 * its content), a repeated id is settled once, and each row ends as accepted, rejected or
 * ignored, with the reason going to the report. Accepted rows are indexed by id, so every
 * join after this is a map lookup: parse time stays linear in the size of the package.
 */
import type { HsdsReport } from './hsds-report';
import type { Row, Table, TableKey } from './hsds-tables';
import type { Cell } from './hsds-values';

/** A row left out, with the reason without its values (`group`) and with them (`reason`). */
export class Verdict {
  constructor(
    readonly outcome: 'rejected' | 'ignored',
    readonly group: string,
    readonly reason: string,
  ) {}
}

export const reject = (group: string, reason = group) => new Verdict('rejected', group, reason);
export const ignore = (group: string, reason = group) => new Verdict('ignored', group, reason);

export interface Index<T> {
  /** Accepted rows by id. */
  accepted: Map<string, T>;
  /** Ids of rejected rows, with their line, for precise foreign-key reasons. */
  rejected: Map<string, number>;
  /** The table's file, or undefined when the package has no such table. */
  file: string | undefined;
  /** The table's name, for reasons ("services"). */
  name: string;
}

export interface RowContext {
  row: Row;
  get: Cell;
  /** Reports a repair of this row (the row is kept). */
  repair: (group: string, reason?: string) => void;
}

/**
 * Calls `fn` on each row of the table; `fn` returns the accepted value, a Verdict, or
 * undefined (accepted, nothing to index). Returns the index of accepted values.
 */
export function eachRow<T>(
  tables: ReadonlyMap<TableKey, Table>,
  key: TableKey,
  name: string,
  report: HsdsReport,
  fn: (ctx: RowContext) => T | Verdict | undefined,
): Index<T> {
  const table = tables.get(key);
  const index: Index<T> = { accepted: new Map(), rejected: new Map(), file: table?.file, name };
  if (!table) return index;
  const seen = new Map<string, number>();
  const tableName = table.def.name;
  // One context, pointed at each row in turn: no closures made per row (there can be
  // hundreds of thousands), and fn never keeps it past its call.
  let current = table.rows[0] as Row;
  const ctx: RowContext = {
    row: current,
    get: (c) => current.cells.get(c),
    repair: (group, reason = group) => report.repair(tableName, table.file, current.line, group, reason),
  };
  for (const row of table.rows) {
    current = row;
    ctx.row = row;
    const first = seen.get(row.id);
    if (first !== undefined) {
      if (row.derivedId) report.ignore(tableName, table.file, row.line, 'repeats an earlier row exactly', `repeats line ${first} exactly`);
      else report.reject(tableName, table.file, row.line, 'duplicate id', `duplicate id '${row.id}' (first used on line ${first})`);
      continue;
    }
    seen.set(row.id, row.line);
    if (row.derivedId) ctx.repair("no id: one was derived from the row's content", `no id: '${row.id}' derived from the row's content`);
    const result = fn(ctx);
    if (result instanceof Verdict) {
      if (result.outcome === 'rejected') {
        report.reject(tableName, table.file, row.line, result.group, result.reason);
        index.rejected.set(row.id, row.line);
      } else report.ignore(tableName, table.file, row.line, result.group, result.reason);
    } else if (result !== undefined) index.accepted.set(row.id, result);
  }
  return index;
}

/** Why a foreign key does not resolve: the target row was rejected, its table is missing, or no row has that id. */
export function unresolved(column: string, value: string, target: Index<unknown>): Verdict {
  const line = target.rejected.get(value);
  if (line !== undefined) {
    return reject(`${column} refers to a rejected row of ${target.name}`, `${column} '${value}' refers to a row of ${target.file} that was rejected (line ${line})`);
  }
  if (target.file === undefined) {
    return reject(`${column} cannot be resolved: the package has no ${target.name} table`, `${column} '${value}' cannot be resolved: the package has no ${target.name} table`);
  }
  return reject(`${column} matches no row of ${target.name}`, `${column} '${value}' does not match any id in ${target.file}`);
}

/** Appends to the list under `key`, creating it. */
export function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * A reason with the row's own values ('09:00x', 'FUNDAY') taken out, so reasons that differ
 * only in the value are counted as one: "opens_at '…' is not a time (HH:MM)".
 */
export function withoutValues(reason: string): string {
  return reason.replace(/'[^']*'/g, '…');
}
