// The browser build: it carries its own Buffer, so the same code runs in the renderer and in Node.
import { stringify } from 'csv-stringify/browser/esm/sync';
import { MEASURES, SUPPRESSION_NOTE, type Report, type ReportTable } from './measures';

/**
 * One chart's table as CSV (RFC 4180, CRLF, a header row), with the report's range and, when
 * suppressed, the rule as comment lines a spreadsheet shows above the table.
 */
export function tableCsv(r: Report, table: ReportTable): string {
  const head = [
    [`# ${table.title}`],
    [`# ${r.scope === 'ecc' ? 'Whole ECC' : 'Own figures'}, ${r.query.from} to ${r.query.to} by ${r.query.grain} (${r.query.zone}); made ${r.generatedAt}`],
  ];
  if (r.suppressed) head.push([`# ${SUPPRESSION_NOTE}`]);
  return stringify([...head, table.columns, ...table.rows], { record_delimiter: 'windows' });
}

/** Every measure's definition, for the end of an export. */
export function definitionsCsv(): string {
  return stringify([['Measure', 'Definition'], ...Object.values(MEASURES).map((m) => [m.label, m.definition])], { record_delimiter: 'windows' });
}
