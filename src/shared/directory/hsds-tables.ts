/**
 * The tables of an HSDS tabular package: which file holds which table (by datapackage.json
 * when there is one, else by the names HSDS 3, 2.x and 1.x use), and each file read into
 * rows of cells keyed by normalized column name.
 *
 * Reading is tolerant of real-world files: header names are matched case-insensitively,
 * older column names are read as the current ones (`term` for `name`, `fees` for
 * `fees_description`), empty cells (and NULL / \N) are absent values, a BOM and any line
 * ending are accepted, quoted fields may span lines. A row without an id gets one derived
 * from its table and content, so the same row gets the same id on every import.
 */
import { parse } from 'csv-parse/sync';
import { canonicalJson, sha256Hex } from './hash';
import type { HsdsReport } from './hsds-report';

export interface TableDef {
  /** The table's name in reports: its HSDS file name without ".csv". */
  name: string;
  /** Resource names in datapackage.json. */
  resources: readonly string[];
  /** File names it is found under, best first. */
  files: readonly string[];
  required: boolean;
  /** Columns without which no row of the table is usable (id excepted: it is derived). */
  columns: readonly string[];
  /** Older column names → the name read here. */
  renames?: Readonly<Record<string, string>>;
  /** Prefix of derived ids, so they say where they came from. */
  idPrefix: string;
}

const t = (def: Omit<TableDef, 'required' | 'columns'> & Partial<Pick<TableDef, 'required' | 'columns'>>): TableDef => ({
  required: false,
  columns: [],
  ...def,
});

/** The tables Tandem reads, HSDS 3 first, then the 1.x/2.x tables with a clear meaning. */
export const TABLES = {
  organizations: t({ name: 'organizations', resources: ['organization', 'organizations'], files: ['organizations.csv', 'organization.csv'], required: true, columns: ['name'], idPrefix: 'org' }),
  services: t({
    name: 'services',
    resources: ['service', 'services'],
    files: ['services.csv', 'service.csv'],
    required: true,
    columns: ['name'],
    renames: { fees: 'fees_description', website: 'url' },
    idPrefix: 'svc',
  }),
  locations: t({ name: 'locations', resources: ['location', 'locations'], files: ['locations.csv', 'location.csv'], idPrefix: 'loc' }),
  addresses: t({ name: 'addresses', resources: ['address', 'addresses'], files: ['addresses.csv', 'address.csv'], columns: ['location_id'], idPrefix: 'addr' }),
  physicalAddresses: t({
    name: 'physical_addresses',
    resources: ['physical_address', 'physical_addresses'],
    files: ['physical_addresses.csv', 'physical_address.csv'],
    columns: ['location_id'],
    idPrefix: 'addr',
  }),
  postalAddresses: t({
    name: 'postal_addresses',
    resources: ['postal_address', 'postal_addresses', 'mail_address'],
    files: ['postal_addresses.csv', 'postal_address.csv', 'mail_addresses.csv'],
    columns: ['location_id'],
    idPrefix: 'addr',
  }),
  serviceAtLocation: t({
    name: 'service_at_location',
    resources: ['service_at_location', 'services_at_location'],
    files: ['service_at_location.csv', 'services_at_location.csv', 'service_at_locations.csv', 'services_at_locations.csv'],
    columns: ['service_id', 'location_id'],
    idPrefix: 'sal',
  }),
  phones: t({ name: 'phones', resources: ['phone', 'phones'], files: ['phones.csv', 'phone.csv'], columns: ['number'], idPrefix: 'phone' }),
  languages: t({ name: 'languages', resources: ['language', 'languages'], files: ['languages.csv', 'language.csv'], idPrefix: 'lang' }),
  attributes: t({ name: 'attributes', resources: ['attribute', 'attributes'], files: ['attributes.csv', 'attribute.csv'], columns: ['link_id', 'taxonomy_term_id', 'link_entity'], idPrefix: 'attr' }),
  serviceAttributes: t({
    name: 'service_attributes',
    resources: ['service_attribute', 'service_attributes'],
    files: ['service_attributes.csv', 'service_attribute.csv'],
    columns: ['service_id', 'taxonomy_term_id'],
    idPrefix: 'attr',
  }),
  taxonomyTerms: t({
    name: 'taxonomy_terms',
    resources: ['taxonomy_term', 'taxonomy_terms'],
    files: ['taxonomy_terms.csv', 'taxonomy_term.csv'],
    columns: ['name'],
    renames: { term: 'name' },
    idPrefix: 'term',
  }),
  taxonomies: t({ name: 'taxonomies', resources: ['taxonomies'], files: ['taxonomies.csv'], columns: ['name'], idPrefix: 'taxonomy' }),
  legacyTaxonomy: t({ name: 'taxonomy', resources: [], files: ['taxonomy.csv'], columns: ['name'], idPrefix: 'term' }),
  servicesTaxonomy: t({
    name: 'services_taxonomy',
    resources: ['services_taxonomy', 'service_taxonomy'],
    files: ['services_taxonomy.csv', 'service_taxonomy.csv'],
    columns: ['service_id', 'taxonomy_id'],
    idPrefix: 'st',
  }),
  schedules: t({ name: 'schedules', resources: ['schedule', 'schedules'], files: ['schedules.csv', 'schedule.csv'], idPrefix: 'sched' }),
  regularSchedules: t({
    name: 'regular_schedules',
    resources: ['regular_schedule', 'regular_schedules'],
    files: ['regular_schedules.csv', 'regular_schedule.csv'],
    columns: ['weekday'],
    idPrefix: 'sched',
  }),
  eligibility: t({ name: 'eligibility', resources: ['eligibility'], files: ['eligibility.csv', 'eligibilities.csv'], columns: ['service_id', 'eligibility'], idPrefix: 'elig' }),
  metadata: t({ name: 'metadata', resources: ['metadata'], files: ['metadata.csv'], columns: ['resource_id', 'resource_type', 'last_action_date'], idPrefix: 'meta' }),
} as const satisfies Record<string, TableDef>;

export type TableKey = keyof typeof TABLES;

/** HSDS tables the directory does not hold, and why; a package's other CSV files are named as unknown. */
const NOT_READ: Record<string, string> = {
  'holiday_schedules.csv': 'holiday closures and special hours are not modelled yet; regular hours are read',
  'contacts.csv': 'named contacts are not part of the directory',
  'cost_options.csv': 'cost options are not part of the directory (services.fees_description is)',
  'funding.csv': 'funding sources are not part of the directory',
  'programs.csv': 'programs are not part of the directory',
  'service_areas.csv': 'service areas are not part of the directory yet',
  'required_documents.csv': 'required documents are not part of the directory yet',
  'accessibility.csv': 'accessibility details are not part of the directory yet',
  'accessibility_for_disabilities.csv': 'accessibility details are not part of the directory yet',
  'payments_accepted.csv': 'payment methods are not part of the directory',
  'other_attributes.csv': 'attributes of entities other than services are not part of the directory',
  'location_attributes.csv': 'attributes of locations are not part of the directory',
  'meta_table_descriptions.csv': 'table descriptions carry no directory data',
  'meta_table_description.csv': 'table descriptions carry no directory data',
  'organization_identifiers.csv': 'organization identifiers are not part of the directory',
  'urls.csv': 'additional URLs are not part of the directory',
  'service_capacity.csv': 'capacity is not part of the directory',
  'units.csv': 'units are not part of the directory',
};

export interface Row {
  line: number;
  /** The row's id, or one derived from its content when it has none. */
  id: string;
  derivedId: boolean;
  cells: Map<string, string>;
}

export interface Table {
  key: TableKey;
  def: TableDef;
  file: string;
  rows: Row[];
}

/** A whole package cannot be imported (a required table or column is missing). */
export type HsdsImportErrorCode = 'missing_table' | 'missing_column' | 'empty_table' | 'invalid_input';

export class HsdsImportError extends Error {
  override readonly name = 'HsdsImportError';
  constructor(
    readonly code: HsdsImportErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return (parts[parts.length - 1] ?? path).toLowerCase();
}

/**
 * Which file holds which table. datapackage.json, when present, names each resource's path;
 * a resource's file name decides its table where it is one HSDS uses (so the 1.x resource
 * "taxonomy" in taxonomy.csv is not taken for the 3.x "taxonomies"), else its resource
 * name. Tables it does not list are looked for under their usual names. Every file no table
 * takes is reported as ignored, with the reason.
 */
export function locateTables(files: Record<string, string>, report: HsdsReport): Map<TableKey, { file: string; text: string }> {
  const byBase = new Map<string, string>();
  for (const key of Object.keys(files)) {
    const b = baseName(key);
    if (!byBase.has(b)) byBase.set(b, key);
    else report.ignoreFile(key, `another file named ${b} (${byBase.get(b)}) is read instead`);
  }
  const entries = Object.entries(TABLES) as [TableKey, TableDef][];
  const chosen = new Map<TableKey, string>();
  const dpKey = byBase.get('datapackage.json');
  if (dpKey !== undefined) {
    for (const r of datapackageResources(files[dpKey] as string, dpKey, report)) {
      const base = baseName(r.path);
      const byFile = entries.find(([, d]) => d.files.includes(base));
      const byResource = entries.find(([, d]) => d.resources.includes(r.name.toLowerCase()));
      const key = (byFile ?? byResource)?.[0];
      if (key === undefined || chosen.has(key)) continue;
      if (byBase.has(base)) chosen.set(key, base);
      else report.ignoreFile(r.path, `datapackage.json lists resource "${r.name}" here, but the package has no such file`);
    }
  }
  for (const [key, def] of entries) {
    if (chosen.has(key)) continue;
    const base = def.files.find((f) => byBase.has(f));
    if (base !== undefined) chosen.set(key, base);
  }
  const found = new Map<TableKey, { file: string; text: string }>();
  const taken = new Set<string>();
  for (const [key, base] of chosen) {
    const file = byBase.get(base) as string;
    const text = files[file];
    if (typeof text !== 'string') throw new HsdsImportError('invalid_input', file, `${file} must be text`);
    found.set(key, { file, text });
    taken.add(base);
  }
  for (const [key, def] of entries) {
    if (!def.required || found.has(key)) continue;
    throw new HsdsImportError('missing_table', def.files[0] as string, `The HSDS package has no ${def.files[0]}; organizations.csv and services.csv are required`);
  }
  for (const [base, file] of byBase) {
    if (taken.has(base) || base === 'datapackage.json') continue;
    const other = entries.find(([, d]) => d.files.includes(base));
    if (other) report.ignoreFile(file, `another file (${found.get(other[0])?.file}) already holds ${other[1].name}`);
    else report.ignoreFile(file, NOT_READ[base] ?? (base.endsWith('.csv') ? 'not an HSDS table Tandem reads' : 'not a CSV file'));
  }
  return found;
}

function datapackageResources(text: string, file: string, report: HsdsReport): { name: string; path: string }[] {
  let dp: unknown;
  try {
    dp = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    report.ignoreFile(file, `not valid JSON (${(e as Error).message}); files found by their usual names`);
    return [];
  }
  const resources = (dp as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources)) return [];
  const out: { name: string; path: string }[] = [];
  for (const r of resources as { name?: unknown; path?: unknown }[]) {
    const path = Array.isArray(r?.path) ? r.path[0] : r?.path;
    if (typeof r?.name === 'string' && typeof path === 'string') out.push({ name: r.name, path });
  }
  return out;
}

function normalizeHeader(h: string): string {
  return h.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[\s-]+/g, '_');
}

function cleanCell(value: string): string | undefined {
  const v = value.trim();
  if (v === '' || v === 'NULL' || v === '\\N') return undefined;
  return v;
}

interface CsvRecordInfo {
  record: string[];
  info: { lines: number; empty_lines: number };
}

/**
 * One CSV file as rows. Returns undefined (with the reason reported) when an optional
 * table cannot be used at all; throws HsdsImportError when a required one cannot.
 */
export function readTable(key: TableKey, file: string, text: string, report: HsdsReport): Table | undefined {
  const def: TableDef = TABLES[key];
  const records = parseCsv(text, (line, reason) => report.reject(def.name, file, line, 'unreadable CSV record', `unreadable CSV record: ${reason}`));
  const headerRecord = records[0];
  if (!headerRecord || headerRecord.record.every((c) => c.trim() === '')) {
    if (def.required) throw new HsdsImportError('empty_table', file, `${file} is empty: it needs a header row and data`);
    report.ignoreFile(file, 'empty: no header row');
    return undefined;
  }
  const header = withCurrentNames(headerRecord.record.map(normalizeHeader), def);
  const present = new Set(header);
  const missing = def.columns.filter((c) => !present.has(c));
  if (missing.length > 0) {
    const message = `${file} has no ${missing.map((c) => `'${c}'`).join(', ')} column${missing.length > 1 ? 's' : ''}`;
    if (def.required) throw new HsdsImportError('missing_column', file, message);
    report.tableRead(def.name, file, Math.max(0, records.length - 1));
    report.reject(def.name, file, 1, `table ignored: no ${missing.join(', ')} column`, `${message}; table ignored`);
    return undefined;
  }
  const rows: Row[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, line } = records[r] as CsvRecordInfo & { line: number };
    if (record.every((c) => c.trim() === '')) continue;
    const cells = new Map<string, string>();
    header.forEach((name, i) => {
      const v = i < record.length ? cleanCell(record[i] as string) : undefined;
      if (v !== undefined && name !== '' && !cells.has(name)) cells.set(name, v);
    });
    if (record.slice(header.length).some((c) => c.trim() !== '')) {
      report.repair(def.name, file, line, 'more cells than the header has columns: extra cells ignored', `row has ${record.length} cells but the header has ${header.length}; extra cells ignored`);
    }
    const given = cells.get('id');
    rows.push({ line, id: given ?? '', derivedId: given === undefined, cells });
  }
  report.tableRead(def.name, file, rows.length);
  for (const row of rows) if (row.derivedId) row.id = derivedId(def, row.cells);
  return { key, def, file, rows };
}

/** Older column names read as the current ones, unless the current one is there too. */
function withCurrentNames(header: string[], def: TableDef): string[] {
  if (!def.renames) return header;
  const present = new Set(header);
  return header.map((h) => {
    const current = def.renames?.[h];
    return current !== undefined && !present.has(current) ? current : h;
  });
}

function contentKey(cells: Map<string, string>): string {
  return canonicalJson(Object.fromEntries(cells));
}

/**
 * The id of a row that has none: its table and content, hashed. The same row gets the same
 * id on every import (so an update does not duplicate it); a row whose content changes gets
 * a new one, since nothing else says it is the same row.
 */
export function derivedId(def: TableDef, cells: Map<string, string>): string {
  return `${def.idPrefix}-${sha256Hex(`${def.name}\u0000${contentKey(cells)}`).slice(0, 20)}`;
}

/**
 * Records with the line each starts on (header = 1). csv-parse tells where a record ends
 * and how many empty lines it has skipped so far; a record starts on the line after the
 * previous one ended, past the empty lines in between. (Asking it for each record's raw
 * text instead costs a fifth of the parse.)
 */
function parseCsv(text: string, onBad: (line: number, reason: string) => void): (CsvRecordInfo & { line: number })[] {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const skipped: { end: number; empty: number | undefined; reason: string }[] = [];
  const records = parse(normalized, {
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    record_delimiter: '\n',
    skip_records_with_error: true,
    on_skip: (err) => {
      const e = err as unknown as { lines?: number; empty_lines?: number } | undefined;
      const reason = err?.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed' : (err?.message ?? 'unreadable CSV');
      skipped.push({ end: e?.lines ?? 0, empty: e?.empty_lines, reason });
      return undefined;
    },
  }) as unknown as (CsvRecordInfo & { line: number })[];
  let lastEnd = 0;
  let lastEmpty = 0;
  const startOf = (end: number, empty: number) => {
    const start = lastEnd + 1 + (empty - lastEmpty);
    lastEnd = Math.max(lastEnd, end);
    lastEmpty = empty;
    return Math.max(1, Math.min(start, end));
  };
  // Skipped records interleave with the others by where they end.
  let k = 0;
  const flushSkipped = (before: number) => {
    for (; k < skipped.length && (skipped[k] as { end: number }).end < before; k++) {
      const sk = skipped[k] as { end: number; empty: number | undefined; reason: string };
      onBad(startOf(sk.end, sk.empty ?? lastEmpty), sk.reason);
    }
  };
  for (const rec of records) {
    flushSkipped(rec.info.lines);
    rec.line = startOf(rec.info.lines, rec.info.empty_lines);
  }
  flushSkipped(Infinity);
  return records;
}
