/**
 * Import of an Open Referral HSDS 3.x tabular data package (one CSV per table) into
 * denormalized `ResourceService` records, one per service.
 *
 * Tolerant of real-world packages: optional tables may be missing, extra columns are
 * ignored, header names are matched case-insensitively, empty cells (and NULL / \N) are
 * absent values, a BOM and any line ending are accepted, quoted fields may span lines.
 * Only organizations.csv and services.csv are required. Each row that cannot be used is
 * rejected with its file, its starting line in that file (the header is line 1) and a
 * reason; the other rows still come through. Values that are wrong but not essential (a
 * latitude of 100, an unreadable age) are dropped with a warning instead.
 *
 * Tables read: organizations, services, locations, addresses, service_at_location,
 * phones, languages, attributes, taxonomy_terms, taxonomies, schedules, metadata.
 * The others (contacts, cost_options, funding, programs, service_areas, …) are ignored.
 */
import { parse } from 'csv-parse/sync';
import { contentHashOf } from './hash';
import { parseClockTime, parseTimezone } from './schedule';
import {
  ResourceService,
  ServiceStatus,
  type ScheduleRule,
  type ServiceLocation,
  type ServicePhone,
  type ServiceTaxonomyTerm,
} from './types';

export {
  ResourceService,
  ScheduleRule,
  ServiceLocation,
  ServicePhone,
  ServiceStatus,
  ServiceTaxonomyTerm,
  Weekday,
} from './types';

/** A row left out of the import. `line` is where the record starts in `file` (header = 1). */
export interface HsdsRejectedRow {
  file: string;
  line: number;
  reason: string;
}

/** A value dropped or defaulted while the row itself was kept. */
export interface HsdsWarning {
  file: string;
  line: number;
  reason: string;
}

export interface HsdsParseResult {
  services: ResourceService[];
  rejected: HsdsRejectedRow[];
  warnings: HsdsWarning[];
}

export type HsdsImportErrorCode = 'missing_table' | 'missing_column' | 'empty_table' | 'invalid_input';

/** The package as a whole cannot be imported (a required table or column is missing). */
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

// ---------------------------------------------------------------------------------------
// Tables

interface TableDef {
  /** Resource name in datapackage.json. */
  resource: string;
  /** Default file name. */
  file: string;
  required: boolean;
  /** Columns without which no row of the table is usable. */
  columns: readonly string[];
}

const TABLES = {
  organizations: { resource: 'organization', file: 'organizations.csv', required: true, columns: ['id', 'name'] },
  services: { resource: 'service', file: 'services.csv', required: true, columns: ['id', 'organization_id', 'name'] },
  locations: { resource: 'location', file: 'locations.csv', required: false, columns: ['id'] },
  addresses: { resource: 'address', file: 'addresses.csv', required: false, columns: ['id', 'location_id'] },
  serviceAtLocation: {
    resource: 'service_at_location',
    file: 'service_at_location.csv',
    required: false,
    columns: ['id', 'service_id', 'location_id'],
  },
  phones: { resource: 'phone', file: 'phones.csv', required: false, columns: ['id', 'number'] },
  languages: { resource: 'language', file: 'languages.csv', required: false, columns: ['id'] },
  attributes: {
    resource: 'attribute',
    file: 'attributes.csv',
    required: false,
    columns: ['id', 'link_id', 'taxonomy_term_id', 'link_entity'],
  },
  taxonomyTerms: { resource: 'taxonomy_term', file: 'taxonomy_terms.csv', required: false, columns: ['id', 'name'] },
  taxonomies: { resource: 'taxonomy', file: 'taxonomies.csv', required: false, columns: ['id', 'name'] },
  schedules: { resource: 'schedule', file: 'schedules.csv', required: false, columns: ['id'] },
  metadata: {
    resource: 'metadata',
    file: 'metadata.csv',
    required: false,
    columns: ['id', 'resource_id', 'resource_type', 'last_action_date'],
  },
} as const satisfies Record<string, TableDef>;

type TableKey = keyof typeof TABLES;

interface Row {
  line: number;
  cells: Map<string, string>;
}

interface Table {
  file: string;
  rows: Row[];
}

class Problems {
  readonly rejected: HsdsRejectedRow[] = [];
  readonly warnings: HsdsWarning[] = [];
  reject(file: string, line: number, reason: string): void {
    this.rejected.push({ file, line, reason });
  }
  warn(file: string, line: number, reason: string): void {
    this.warnings.push({ file, line, reason });
  }
}

function normalizeHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

function cleanCell(value: string): string | undefined {
  const v = value.trim();
  if (v === '' || v === 'NULL' || v === '\\N') return undefined;
  return v;
}

interface CsvRecordInfo {
  record: string[];
  info: { lines: number };
  raw: string;
}

/** First line of a record whose raw text ends on line `endLine`. */
function startLine(raw: string | undefined, endLine: number): number {
  if (!raw) return endLine;
  const body = raw.replace(/^\n+/, '').replace(/\n$/, '');
  let newlines = 0;
  for (const ch of body) if (ch === '\n') newlines++;
  return Math.max(1, endLine - newlines);
}

function readTable(file: string, text: string, def: TableDef, problems: Problems): Table | undefined {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const records = parse(normalized, {
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    record_delimiter: '\n',
    skip_records_with_error: true,
    on_skip: (err, raw) => {
      const lines = (err as unknown as { lines?: number } | undefined)?.lines ?? 1;
      const what = err?.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed' : (err?.message ?? 'unreadable CSV');
      problems.reject(file, startLine(raw, lines), `unreadable CSV record: ${what}`);
      return undefined;
    },
  }) as unknown as CsvRecordInfo[];

  const headerRecord = records[0];
  if (!headerRecord || headerRecord.record.every((c) => c.trim() === '')) {
    if (def.required) throw new HsdsImportError('empty_table', file, `${file} is empty: it needs a header row and data`);
    problems.warn(file, 1, `${file} is empty; table ignored`);
    return undefined;
  }
  const header = headerRecord.record.map(normalizeHeader);
  const present = new Set(header);
  const missing = def.columns.filter((c) => !present.has(c));
  if (missing.length > 0) {
    const message = `${file} has no ${missing.map((c) => `'${c}'`).join(', ')} column${missing.length > 1 ? 's' : ''}`;
    if (def.required) throw new HsdsImportError('missing_column', file, message);
    problems.reject(file, 1, `${message}; table ignored`);
    return undefined;
  }

  const rows: Row[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info, raw } = records[r];
    const line = startLine(raw, info.lines);
    if (record.every((c) => c.trim() === '')) continue;
    const cells = new Map<string, string>();
    header.forEach((name, i) => {
      const v = i < record.length ? cleanCell(record[i]) : undefined;
      if (v !== undefined && name !== '' && !cells.has(name)) cells.set(name, v);
    });
    const extra = record.slice(header.length).filter((c) => c.trim() !== '');
    if (extra.length > 0) {
      problems.warn(file, line, `row has ${record.length} cells but the header has ${header.length}; extra cells ignored`);
    }
    rows.push({ line, cells });
  }
  return { file, rows };
}

// ---------------------------------------------------------------------------------------
// Package files

interface DataPackage {
  resources?: { name?: unknown; path?: unknown }[];
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return (parts[parts.length - 1] ?? path).toLowerCase();
}

function locateFiles(files: Record<string, string>, problems: Problems): Map<TableKey, { file: string; text: string }> {
  const byBase = new Map<string, string>();
  for (const key of Object.keys(files)) {
    const b = baseName(key);
    if (!byBase.has(b)) byBase.set(b, key);
  }
  const resourcePath = new Map<string, string>();
  const dpKey = byBase.get('datapackage.json');
  if (dpKey !== undefined) {
    try {
      const dp = JSON.parse(files[dpKey].replace(/^\uFEFF/, '')) as DataPackage;
      for (const r of Array.isArray(dp.resources) ? dp.resources : []) {
        if (typeof r?.name === 'string' && typeof r.path === 'string') resourcePath.set(r.name, baseName(r.path));
      }
    } catch (e) {
      problems.warn(dpKey, 1, `datapackage.json is not valid JSON (${(e as Error).message}); default file names used`);
    }
  }
  const found = new Map<TableKey, { file: string; text: string }>();
  for (const [key, def] of Object.entries(TABLES) as [TableKey, TableDef][]) {
    const candidates = [resourcePath.get(def.resource), def.file, `${def.resource}.csv`];
    for (const c of candidates) {
      const actual = c === undefined ? undefined : byBase.get(c);
      if (actual !== undefined) {
        const text = files[actual];
        if (typeof text !== 'string') throw new HsdsImportError('invalid_input', actual, `${actual} must be text`);
        found.set(key, { file: actual, text });
        break;
      }
    }
    if (!found.has(key) && def.required) {
      throw new HsdsImportError(
        'missing_table',
        def.file,
        `The HSDS package has no ${def.file}; organizations.csv and services.csv are required`,
      );
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// Value parsing

function parseIsoDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function parseIsoDateTime(text: string): string | undefined {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return parseIsoDate(t) ? `${t}T00:00:00.000Z` : undefined;
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(t)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(t);
  const ms = Date.parse(hasZone ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString();
}

function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function parseIntList(text: string | undefined): number[] | undefined {
  if (text === undefined) return [];
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[+-]?\d+$/.test(p) || Number(p) === 0) return undefined;
    out.push(Number(p));
  }
  return out;
}

const STATUS_ALIASES: Record<string, ServiceStatus> = {
  active: 'active',
  inactive: 'inactive',
  defunct: 'defunct',
  'temporarily closed': 'temporarily closed',
};

function phoneNumber(text: string): string {
  return text.replace(/^["'\s]+|["'\s]+$/g, '').trim();
}

function phoneRank(type: string | undefined): number {
  switch (type) {
    case 'voice':
    case undefined:
      return 0;
    case 'cell':
      return 1;
    case 'text':
    case 'textphone':
    case 'video':
      return 2;
    case 'fax':
    case 'pager':
      return 4;
    default:
      return 3;
  }
}

function byString<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

// ---------------------------------------------------------------------------------------
// Import

interface IdIndex<T> {
  accepted: Map<string, T>;
  /** Ids seen on rejected rows, with the line, for precise foreign-key reasons. */
  rejected: Map<string, number>;
}

function newIndex<T>(): IdIndex<T> {
  return { accepted: new Map(), rejected: new Map() };
}

function fkReason(column: string, value: string, target: IdIndex<unknown>, targetFile: string, present: boolean): string {
  const line = target.rejected.get(value);
  if (line !== undefined) return `${column} '${value}' refers to a row of ${targetFile} that was rejected (line ${line})`;
  if (!present) return `${column} '${value}' cannot be resolved: ${targetFile} is missing`;
  return `${column} '${value}' does not match any id in ${targetFile}`;
}

interface ServiceDraft {
  line: number;
  id: string;
  name: string;
  alternateName?: string;
  description: string;
  organizationId: string;
  status: ServiceStatus;
  email?: string;
  url?: string;
  minimumAge?: number;
  maximumAge?: number;
  eligibilityDescription?: string;
  interpretationServices?: string;
  applicationProcess?: string;
  feesDescription?: string;
  alert?: string;
  assuredDate?: string;
  lastModified?: string;
}

interface LocationDraft {
  id: string;
  name: string;
  lat?: number;
  lon?: number;
}

interface SalDraft {
  id: string;
  serviceId: string;
  locationId: string;
}

/**
 * Parses an HSDS tabular data package given as CSV texts keyed by file name
 * ('services.csv', optionally 'datapackage.json' to map resource names to paths).
 * Throws `HsdsImportError` when organizations.csv or services.csv (or one of their key
 * columns) is missing; any other problem rejects only the rows concerned.
 */
export function parseHsdsPackage(files: Record<string, string>): HsdsParseResult {
  if (typeof files !== 'object' || files === null) {
    throw new HsdsImportError('invalid_input', '', 'parseHsdsPackage expects an object of file name → CSV text');
  }
  const problems = new Problems();
  const located = locateFiles(files, problems);
  const tables = new Map<TableKey, Table>();
  for (const [key, { file, text }] of located) {
    const table = readTable(file, text, TABLES[key], problems);
    if (table) tables.set(key, table);
  }
  const fileOf = (key: TableKey) => located.get(key)?.file ?? TABLES[key].file;
  const has = (key: TableKey) => tables.has(key);

  /** Runs `fn` over rows with an id, rejecting rows without one and duplicate ids. */
  function eachRow<T>(key: TableKey, index: IdIndex<T> | undefined, fn: (row: Row, id: string, get: (c: string) => string | undefined) => T | string | undefined) {
    const table = tables.get(key);
    if (!table) return;
    const seen = new Map<string, number>();
    for (const row of table.rows) {
      const get = (c: string) => row.cells.get(c);
      const id = get('id');
      if (id === undefined) {
        problems.reject(table.file, row.line, 'missing id');
        continue;
      }
      const first = seen.get(id);
      if (first !== undefined) {
        problems.reject(table.file, row.line, `duplicate id '${id}' (first used on line ${first})`);
        continue;
      }
      seen.set(id, row.line);
      const result = fn(row, id, get);
      if (typeof result === 'string') {
        problems.reject(table.file, row.line, result);
        index?.rejected.set(id, row.line);
      } else if (result !== undefined) {
        index?.accepted.set(id, result);
      }
    }
  }

  // Organizations
  const organizations = newIndex<{ name: string }>();
  eachRow('organizations', organizations, (_row, _id, get) => {
    const name = get('name');
    if (name === undefined) return 'missing name';
    return { name };
  });

  // Taxonomies and terms
  const taxonomies = newIndex<{ name: string }>();
  eachRow('taxonomies', taxonomies, (_row, _id, get) => {
    const name = get('name');
    return name === undefined ? 'missing name' : { name };
  });
  const terms = newIndex<ServiceTaxonomyTerm>();
  eachRow('taxonomyTerms', terms, (_row, id, get) => {
    const name = get('name');
    if (name === undefined) return 'missing name';
    const term: ServiceTaxonomyTerm = { id, name };
    const code = get('code');
    if (code !== undefined) term.code = code;
    const taxonomyId = get('taxonomy_id');
    const taxonomy = get('taxonomy') ?? (taxonomyId !== undefined ? taxonomies.accepted.get(taxonomyId)?.name : undefined);
    if (taxonomy !== undefined) term.taxonomy = taxonomy;
    return term;
  });

  // Services
  const services = newIndex<ServiceDraft>();
  const servicesFile = fileOf('services');
  eachRow('services', services, (row, id, get) => {
    const name = get('name');
    if (name === undefined) return 'missing name';
    const organizationId = get('organization_id');
    if (organizationId === undefined) return 'missing organization_id';
    if (!organizations.accepted.has(organizationId)) {
      return fkReason('organization_id', organizationId, organizations, fileOf('organizations'), true);
    }
    let status: ServiceStatus = 'active';
    const rawStatus = get('status');
    if (rawStatus === undefined) {
      problems.warn(servicesFile, row.line, "status is empty; taken as 'active'");
    } else {
      const s = STATUS_ALIASES[rawStatus.toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ')];
      if (!s) return `status '${rawStatus}' is not one of active, inactive, defunct, temporarily closed`;
      status = s;
    }
    const draft: ServiceDraft = { line: row.line, id, name, organizationId, status, description: get('description') ?? '' };
    const optional: [keyof ServiceDraft, string][] = [
      ['alternateName', 'alternate_name'],
      ['email', 'email'],
      ['url', 'url'],
      ['eligibilityDescription', 'eligibility_description'],
      ['interpretationServices', 'interpretation_services'],
      ['applicationProcess', 'application_process'],
      ['feesDescription', 'fees_description'],
      ['alert', 'alert'],
    ];
    for (const [field, column] of optional) {
      const v = get(column);
      if (v !== undefined) (draft as unknown as Record<string, unknown>)[field] = v;
    }
    for (const [field, column] of [['minimumAge', 'minimum_age'], ['maximumAge', 'maximum_age']] as const) {
      const v = get(column);
      if (v === undefined) continue;
      const n = parseNumber(v);
      if (n === undefined || n < 0) problems.warn(servicesFile, row.line, `${column} '${v}' is not an age; ignored`);
      else draft[field] = n;
    }
    if (draft.minimumAge !== undefined && draft.maximumAge !== undefined && draft.minimumAge > draft.maximumAge) {
      problems.warn(servicesFile, row.line, `minimum_age ${draft.minimumAge} is above maximum_age ${draft.maximumAge}; both ignored`);
      delete draft.minimumAge;
      delete draft.maximumAge;
    }
    const assured = get('assured_date');
    if (assured !== undefined) {
      const d = parseIsoDate(assured);
      if (d === undefined) problems.warn(servicesFile, row.line, `assured_date '${assured}' is not a YYYY-MM-DD date; ignored`);
      else draft.assuredDate = d;
    }
    const modified = get('last_modified');
    if (modified !== undefined) {
      const d = parseIsoDateTime(modified);
      if (d === undefined) problems.warn(servicesFile, row.line, `last_modified '${modified}' is not an ISO date-time; ignored`);
      else draft.lastModified = d;
    }
    return draft;
  });

  // Locations and addresses
  const locations = newIndex<LocationDraft>();
  const locationsFile = fileOf('locations');
  eachRow('locations', locations, (row, id, get) => {
    const loc: LocationDraft = { id, name: get('name') ?? get('alternate_name') ?? '' };
    const latText = get('latitude');
    const lonText = get('longitude');
    if (latText !== undefined || lonText !== undefined) {
      const lat = latText === undefined ? undefined : parseNumber(latText);
      const lon = lonText === undefined ? undefined : parseNumber(lonText);
      if (lat === undefined || lon === undefined || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
        problems.warn(locationsFile, row.line, `latitude/longitude '${latText ?? ''}', '${lonText ?? ''}' is not a valid position; ignored`);
      } else {
        loc.lat = lat;
        loc.lon = lon;
      }
    }
    return loc;
  });

  const addressByLocation = new Map<string, { rank: number; line: number; text: string }>();
  eachRow('addresses', undefined, (row, _id, get) => {
    const locationId = get('location_id');
    if (locationId === undefined) return 'missing location_id';
    if (!locations.accepted.has(locationId)) return fkReason('location_id', locationId, locations, locationsFile, has('locations'));
    const region = [get('state_province'), get('postal_code')].filter(Boolean).join(' ');
    const text = [get('address_1'), get('address_2'), get('city'), region || undefined, get('country')]
      .filter((x): x is string => !!x)
      .join(', ');
    if (text === '') return 'address has no street, city, region, postal code or country';
    const type = get('address_type')?.toLowerCase();
    const rank = type === 'physical' ? 0 : type === undefined ? 1 : type === 'postal' ? 2 : 3;
    const current = addressByLocation.get(locationId);
    if (!current || rank < current.rank) addressByLocation.set(locationId, { rank, line: row.line, text });
    return undefined;
  });

  // Service at location
  const sals = newIndex<SalDraft>();
  eachRow('serviceAtLocation', sals, (_row, id, get) => {
    const serviceId = get('service_id');
    const locationId = get('location_id');
    if (serviceId === undefined) return 'missing service_id';
    if (locationId === undefined) return 'missing location_id';
    if (!services.accepted.has(serviceId)) return fkReason('service_id', serviceId, services, servicesFile, true);
    if (!locations.accepted.has(locationId)) return fkReason('location_id', locationId, locations, locationsFile, has('locations'));
    return { id, serviceId, locationId };
  });

  /**
   * Resolves the service a child row belongs to through service_id and/or
   * service_at_location_id. Returns the service id, undefined when the row is not linked
   * to a service, or a rejection reason.
   */
  function serviceOf(get: (c: string) => string | undefined): { serviceId?: string; sal?: SalDraft } | string {
    const serviceId = get('service_id');
    const salId = get('service_at_location_id');
    let sal: SalDraft | undefined;
    if (salId !== undefined) {
      sal = sals.accepted.get(salId);
      if (!sal) return fkReason('service_at_location_id', salId, sals, fileOf('serviceAtLocation'), has('serviceAtLocation'));
    }
    if (serviceId !== undefined) {
      if (!services.accepted.has(serviceId)) return fkReason('service_id', serviceId, services, servicesFile, true);
      if (sal && sal.serviceId !== serviceId) {
        return `service_id '${serviceId}' contradicts service_at_location_id '${sal.id}', which is for service '${sal.serviceId}'`;
      }
    }
    return { serviceId: serviceId ?? sal?.serviceId, sal };
  }

  const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };

  // Phones
  const phonesByService = new Map<string, ServicePhone[]>();
  eachRow('phones', undefined, (_row, _id, get) => {
    const raw = get('number');
    const number = raw === undefined ? '' : phoneNumber(raw);
    if (number === '') return 'missing number';
    const link = serviceOf(get);
    if (typeof link === 'string') return link;
    if (link.serviceId === undefined) return undefined; // an organization's, location's or contact's phone
    const phone: ServicePhone = { number };
    const extension = get('extension');
    if (extension !== undefined) phone.extension = extension;
    const type = get('type');
    if (type !== undefined) phone.type = type.toLowerCase();
    const description = get('description');
    if (description !== undefined) phone.description = description;
    push(phonesByService, link.serviceId, phone);
    return undefined;
  });

  // Languages
  const languagesByService = new Map<string, { name?: string; code?: string }[]>();
  eachRow('languages', undefined, (_row, _id, get) => {
    const name = get('name');
    const code = get('code')?.toLowerCase();
    if (name === undefined && code === undefined) return 'missing name and code';
    const serviceId = get('service_id');
    if (serviceId === undefined) return undefined; // a location's or phone's language
    if (!services.accepted.has(serviceId)) return fkReason('service_id', serviceId, services, servicesFile, true);
    push(languagesByService, serviceId, { name, code });
    return undefined;
  });

  // Attributes (taxonomy terms on services)
  const termsByService = new Map<string, ServiceTaxonomyTerm[]>();
  eachRow('attributes', undefined, (_row, _id, get) => {
    const linkId = get('link_id');
    const termId = get('taxonomy_term_id');
    const entity = get('link_entity')?.toLowerCase();
    if (linkId === undefined) return 'missing link_id';
    if (termId === undefined) return 'missing taxonomy_term_id';
    if (entity === undefined) return 'missing link_entity';
    if (entity !== 'service') return undefined; // attributes of other entities are not imported
    if (!services.accepted.has(linkId)) return fkReason('link_id', linkId, services, servicesFile, true);
    const term = terms.accepted.get(termId);
    if (!term) return fkReason('taxonomy_term_id', termId, terms, fileOf('taxonomyTerms'), has('taxonomyTerms'));
    push(termsByService, linkId, term);
    return undefined;
  });

  // Schedules
  const schedulesByService = new Map<string, ScheduleRule[]>();
  const schedulesFile = fileOf('schedules');
  eachRow('schedules', undefined, (row, id, get) => {
    const link = serviceOf(get);
    if (typeof link === 'string') return link;
    if (link.serviceId === undefined) return undefined; // a location's opening hours
    const rule = parseScheduleRow(id, get, (reason) => problems.warn(schedulesFile, row.line, reason));
    if (typeof rule === 'string') return rule;
    if (link.sal) {
      rule.serviceAtLocationId = link.sal.id;
      rule.locationId = link.sal.locationId;
    } else {
      const locationId = get('location_id');
      if (locationId !== undefined && locations.accepted.has(locationId)) rule.locationId = locationId;
    }
    push(schedulesByService, link.serviceId, rule);
    return undefined;
  });

  // Metadata: last change per service
  const metaModified = new Map<string, string>();
  eachRow('metadata', undefined, (row, _id, get) => {
    const type = get('resource_type')?.toLowerCase();
    const resourceId = get('resource_id');
    if (type !== 'service' || resourceId === undefined || !services.accepted.has(resourceId)) return undefined;
    const dateText = get('last_action_date') ?? '';
    const when = parseIsoDateTime(dateText);
    if (when === undefined) {
      problems.warn(fileOf('metadata'), row.line, `last_action_date '${dateText}' is not a date; ignored`);
      return undefined;
    }
    const current = metaModified.get(resourceId);
    if (current === undefined || when > current) metaModified.set(resourceId, when);
    return undefined;
  });

  // Denormalize
  const out: ResourceService[] = [];
  for (const draft of services.accepted.values()) {
    const { line } = draft;
    const org = organizations.accepted.get(draft.organizationId) as { name: string };

    const phones = dedupe(phonesByService.get(draft.id) ?? [], (p) => JSON.stringify([p.number, p.extension, p.type, p.description]))
      .sort((a, b) => phoneRank(a.type) - phoneRank(b.type) || byString<ServicePhone>((p) => `${p.number}\u0000${p.extension ?? ''}\u0000${p.type ?? ''}\u0000${p.description ?? ''}`)(a, b));

    const locationIds = new Set<string>();
    for (const sal of sals.accepted.values()) if (sal.serviceId === draft.id) locationIds.add(sal.locationId);
    const serviceLocations: ServiceLocation[] = [...locationIds].sort().map((lid) => {
      const loc = locations.accepted.get(lid) as LocationDraft;
      const l: ServiceLocation = { id: loc.id, name: loc.name, address: addressByLocation.get(lid)?.text ?? '' };
      if (l.name === '' && l.address !== '') l.name = l.address;
      if (loc.lat !== undefined && loc.lon !== undefined) {
        l.lat = loc.lat;
        l.lon = loc.lon;
      }
      return l;
    });

    const langs = languagesByService.get(draft.id) ?? [];
    const languages = [...new Set(langs.map((l) => (l.name ?? l.code) as string))].sort();
    const languageCodes = [...new Set(langs.flatMap((l) => (l.code ? [l.code] : [])))].sort();

    const taxonomyTerms = dedupe(termsByService.get(draft.id) ?? [], (t) => t.id).sort(byString((t) => t.id));
    const schedules = dedupe(schedulesByService.get(draft.id) ?? [], (s) => s.id).sort(byString((s) => s.id));
    const zones = new Set(schedules.flatMap((s) => (s.timezone ? [s.timezone] : [])));

    let lastModified = draft.lastModified;
    const meta = metaModified.get(draft.id);
    if (meta !== undefined && (lastModified === undefined || meta > lastModified)) lastModified = meta;

    const record: Omit<ResourceService, 'contentHash'> = {
      id: draft.id,
      name: draft.name,
      alternateName: draft.alternateName,
      description: draft.description,
      organizationId: draft.organizationId,
      organizationName: org.name,
      status: draft.status,
      email: draft.email,
      url: draft.url,
      phones,
      locations: serviceLocations,
      languages,
      languageCodes,
      taxonomyTerms,
      minimumAge: draft.minimumAge,
      maximumAge: draft.maximumAge,
      eligibilityDescription: draft.eligibilityDescription,
      interpretationServices: draft.interpretationServices,
      applicationProcess: draft.applicationProcess,
      feesDescription: draft.feesDescription,
      alert: draft.alert,
      schedules,
      timezone: zones.size === 1 ? [...zones][0] : undefined,
      assuredDate: draft.assuredDate,
      lastModified,
    };
    for (const k of Object.keys(record) as (keyof typeof record)[]) {
      if (record[k] === undefined) delete record[k];
    }

    const candidate = { ...record, contentHash: contentHashOf(record) };
    const checked = ResourceService.safeParse(candidate);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      problems.reject(servicesFile, line, `invalid service record: ${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
      continue;
    }
    out.push(candidate);
  }

  const order = (a: HsdsRejectedRow, b: HsdsRejectedRow) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);
  return {
    services: out,
    rejected: problems.rejected.sort(order),
    warnings: problems.warnings.sort(order),
  };
}

function dedupe<T>(items: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const WEEKDAY_SET = new Set<string>(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']);

/** Normalizes one schedules.csv row; returns a rejection reason when it cannot be used. */
function parseScheduleRow(
  id: string,
  get: (c: string) => string | undefined,
  warn: (reason: string) => void,
): ScheduleRule | string {
  const freqText = get('freq')?.toUpperCase();
  if (freqText !== undefined && !['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(freqText)) {
    return `freq '${get('freq')}' is not WEEKLY or MONTHLY`;
  }
  const byday: string[] = [];
  const bydayText = get('byday');
  if (bydayText !== undefined) {
    for (const part of bydayText.split(',').map((p) => p.trim().toUpperCase()).filter(Boolean)) {
      const m = /^([+-]?\d{1,2})?([A-Z]{2})$/.exec(part);
      if (!m || !WEEKDAY_SET.has(m[2]) || (m[1] !== undefined && (Number(m[1]) === 0 || Math.abs(Number(m[1])) > 5))) {
        return `byday '${bydayText}' has '${part}', which is not a weekday (MO, TU, WE, TH, FR, SA, SU)`;
      }
      byday.push(m[1] !== undefined ? `${Number(m[1])}${m[2]}` : m[2]);
    }
  }
  const lists: Record<'byweekno' | 'bymonthday' | 'byyearday', number[]> = { byweekno: [], bymonthday: [], byyearday: [] };
  for (const column of ['byweekno', 'bymonthday', 'byyearday'] as const) {
    const parsed = parseIntList(get(column));
    if (parsed === undefined) return `${column} '${get(column)}' is not a comma-separated list of non-zero whole numbers`;
    lists[column] = parsed;
  }

  const rule: ScheduleRule = {
    id,
    freq: (freqText as ScheduleRule['freq'] | undefined) ?? 'WEEKLY',
    byday: [...new Set(byday)],
    ...lists,
  };

  const intervalText = get('interval');
  if (intervalText !== undefined) {
    const n = parseNumber(intervalText);
    if (n === undefined || !Number.isInteger(n) || n < 1) return `interval '${intervalText}' is not a positive whole number`;
    if (n > 1) rule.interval = n;
  }
  const countText = get('count');
  if (countText !== undefined) {
    const n = parseNumber(countText);
    if (n === undefined || !Number.isInteger(n) || n < 1) return `count '${countText}' is not a positive whole number`;
    rule.count = n;
  }
  const wkst = get('wkst')?.toUpperCase();
  if (wkst !== undefined) {
    if (WEEKDAY_SET.has(wkst)) rule.wkst = wkst as ScheduleRule['wkst'];
    else warn(`wkst '${wkst}' is not a weekday; ignored`);
  }
  for (const [field, column] of [
    ['validFrom', 'valid_from'],
    ['validTo', 'valid_to'],
    ['dtstart', 'dtstart'],
    ['until', 'until'],
  ] as const) {
    const text = get(column);
    if (text === undefined) continue;
    const d = parseIsoDate(text);
    if (d === undefined) return `${column} '${text}' is not a YYYY-MM-DD date`;
    rule[field] = d;
  }
  if (rule.validFrom && rule.validTo && rule.validFrom > rule.validTo) {
    return `valid_from ${rule.validFrom} is after valid_to ${rule.validTo}`;
  }

  const opensText = get('opens_at');
  const closesText = get('closes_at');
  const opens = opensText === undefined ? undefined : parseClockTime(opensText);
  const closes = closesText === undefined ? undefined : parseClockTime(closesText);
  if (opensText !== undefined && !opens) return `opens_at '${opensText}' is not a time (HH:MM)`;
  if (closesText !== undefined && !closes) return `closes_at '${closesText}' is not a time (HH:MM)`;
  if (opens && opens.minutes === 1440) return `opens_at '${opensText}' cannot be 24:00`;
  if (opens && closes) {
    rule.opensAt = opens.hhmm;
    rule.closesAt = closes.hhmm;
    if (opens.zone && closes.zone && opens.zone !== closes.zone) {
      return `opens_at '${opensText}' and closes_at '${closesText}' are in different time zones`;
    }
  } else if (opens || closes) {
    warn(`${opens ? 'closes_at' : 'opens_at'} is empty; the hours of this schedule are not used`);
  }
  const timeZone = opens?.zone ?? closes?.zone;
  const tzText = get('timezone');
  if (timeZone) rule.timezone = timeZone;
  else if (tzText !== undefined) {
    const zone = parseTimezone(tzText);
    if (zone === undefined) warn(`timezone '${tzText}' is not a UTC offset or time zone name; ignored`);
    else rule.timezone = zone;
  }
  for (const [field, column] of [
    ['description', 'description'],
    ['notes', 'notes'],
    ['attendingType', 'attending_type'],
    ['scheduleLink', 'schedule_link'],
  ] as const) {
    const v = get(column);
    if (v !== undefined) rule[field] = v;
  }
  return rule;
}
