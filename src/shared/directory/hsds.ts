/**
 * Import of an Open Referral HSDS tabular data package (one CSV per table) into
 * denormalized `ResourceService` records, one per service.
 *
 * Reads HSDS 3 and, where the meaning is clear, the older 1.x/2.x layouts (physical and
 * postal addresses, regular schedules, taxonomy + services_taxonomy, service_attributes,
 * eligibility; see hsds-tables.ts for the file names). Only organizations.csv and
 * services.csv are required. Nothing usable is dropped for want of something else:
 *   - a row without an id gets one derived from its content (stable across imports);
 *   - a service whose organization is missing from the package is imported with the
 *     organization unknown;
 *   - a service without a phone of its own gets the phones of the locations it is offered
 *     at, else of its organization.
 * Each row that cannot be used is rejected with its file, its line (the header is line 1)
 * and a reason; the other rows still come through. The result carries a summary: per table,
 * rows read, imported, repaired, rejected and ignored, with the reasons counted, and the
 * files that were not read, with why. Every join is a map lookup, so parsing is linear in
 * the size of the package.
 */
import { contentHashOf } from './hash';
import {
  readAddresses,
  readEligibility,
  readLanguages,
  readMetadata,
  readPhones,
  readSchedules,
  readServiceAtLocation,
  readTaxonomy,
  type Bases,
  type LocationDraft,
  type Phones,
  type Sals,
  type ServiceDraft,
} from './hsds-links';
import { HsdsReport, type HsdsProblem, type HsdsRejectedRow, type HsdsSummary, type HsdsWarning } from './hsds-report';
import { eachRow, reject, type Index } from './hsds-rows';
import { HsdsImportError, TABLES, locateTables, readTable, type Table, type TableKey } from './hsds-tables';
import { parseIsoDate, parseIsoDateTime, parseNumber, parseStatus, phoneRank } from './hsds-values';
import { ResourceService, type ScheduleRule, type ServiceLocation, type ServicePhone, type ServiceTaxonomyTerm } from './types';

export { ResourceService, ScheduleRule, ServiceLocation, ServicePhone, ServiceStatus, ServiceTaxonomyTerm, Weekday } from './types';
export { HsdsImportError, type HsdsImportErrorCode } from './hsds-tables';
export type { HsdsProblem, HsdsRejectedRow, HsdsSummary, HsdsTableSummary, HsdsReasonCount, HsdsIgnoredFile, HsdsWarning } from './hsds-report';
export { problemsCsv } from './hsds-report';

export interface HsdsParseResult {
  services: ResourceService[];
  /** Every rejected row, by file and line. */
  rejected: HsdsRejectedRow[];
  /** Every repair, and every row ignored for a reason, by file and line. */
  warnings: HsdsWarning[];
  /** Per table: rows read, imported, repaired, rejected, ignored, and why. */
  summary: HsdsSummary;
  /** Every problem with its table and outcome (the full list behind the summary). */
  problems: HsdsProblem[];
}

/** How far a parse has got, for a progress display: `done` of `total` steps of the named stage. */
export interface HsdsProgress {
  stage: 'tables' | 'joins' | 'services';
  /** What is being done ("reading phones.csv", "joining", "checking services"). */
  step: string;
  done: number;
  total: number;
}

export interface HsdsParseOptions {
  /** Told after each table is read, once the joins are made, and every few thousand services checked. */
  onProgress?: (p: HsdsProgress) => void;
}

/** The name shown for a service whose organization the package does not describe. */
export const UNKNOWN_ORGANIZATION = 'Organization unknown';

/**
 * Parses an HSDS tabular data package given as texts keyed by file name ('services.csv',
 * optionally 'datapackage.json' to map resource names to paths). Throws `HsdsImportError`
 * when organizations.csv or services.csv (or their name column) is missing; any other
 * problem only affects the rows concerned.
 */
export function parseHsdsPackage(files: Record<string, string>, opts: HsdsParseOptions = {}): HsdsParseResult {
  const progress = opts.onProgress ?? (() => {});
  if (typeof files !== 'object' || files === null) {
    throw new HsdsImportError('invalid_input', '', 'parseHsdsPackage expects an object of file name → CSV text');
  }
  const report = new HsdsReport();
  const tables = new Map<TableKey, Table>();
  const located = locateTables(files, report);
  // In TABLES order, so the summary lists tables the same way for every package.
  const keys = (Object.keys(TABLES) as TableKey[]).filter((k) => located.has(k));
  keys.forEach((key, i) => {
    const found = located.get(key);
    const table = found && readTable(key, found.file, found.text, report);
    if (table) tables.set(key, table);
    progress({ stage: 'tables', step: `read ${found?.file ?? key}`, done: i + 1, total: keys.length });
  });
  const organizations = eachRow<{ name: string }>(tables, 'organizations', 'organizations', report, ({ get }) => {
    const name = get('name');
    return name === undefined ? reject('missing name') : { name };
  });
  const services = readServices(tables, report, organizations);
  const locations = readLocations(tables, report);
  const bases: Bases = { tables, report, organizations, services, locations };
  const sals = readServiceAtLocation(bases);
  const joined: Joined = {
    organizations,
    locations,
    sals,
    addresses: readAddresses(bases),
    phones: readPhones(bases, sals),
    languages: readLanguages(bases),
    terms: readTaxonomy(bases),
    schedules: readSchedules(bases, sals),
    eligibility: readEligibility(bases),
    modified: readMetadata(bases),
  };
  const out: ResourceService[] = [];
  const drafts = services.accepted.size;
  progress({ stage: 'joins', step: 'joined the tables', done: 1, total: 1 });
  let seen = 0;
  for (const draft of services.accepted.values()) {
    if (++seen % 2000 === 0) progress({ stage: 'services', step: 'checking services', done: seen, total: drafts });
    const record = denormalize(draft, joined);
    const checked = ResourceService.safeParse(record);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue?.path.join('.') || 'record';
      report.reject('services', services.file ?? 'services.csv', draft.line, `invalid service record: ${where}`, `invalid service record: ${where}: ${issue?.message ?? 'invalid'}`);
      continue;
    }
    out.push(record);
  }
  return {
    services: out,
    rejected: report.rejected,
    warnings: report.warnings,
    summary: summarize(report, tables, out),
    problems: report.problems,
  };
}

// ---------------------------------------------------------------------------------------
// Services and locations

function readServices(tables: ReadonlyMap<TableKey, Table>, report: HsdsReport, organizations: Index<{ name: string }>): Index<ServiceDraft> {
  return eachRow<ServiceDraft>(tables, 'services', 'services', report, ({ row, get, repair }) => {
    const name = get('name');
    if (name === undefined) return reject('missing name');
    let status: ServiceDraft['status'] = 'active';
    const rawStatus = get('status');
    if (rawStatus === undefined) repair("status is empty: taken as 'active'", "status is empty; taken as 'active'");
    else {
      const s = parseStatus(rawStatus);
      if (!s) return reject('status is not one of active, inactive, defunct, temporarily closed', `status '${rawStatus}' is not one of active, inactive, defunct, temporarily closed`);
      status = s;
    }
    const organizationId = get('organization_id');
    const known = organizationId !== undefined && organizations.accepted.has(organizationId);
    if (!known) {
      const why =
        organizationId === undefined
          ? 'no organization_id'
          : organizations.rejected.has(organizationId)
            ? `organization_id '${organizationId}' refers to a rejected organization (line ${organizations.rejected.get(organizationId)})`
            : `organization_id '${organizationId}' matches no organization`;
      repair('organization not in the package: imported with the organization unknown', `${why}; imported with the organization unknown`);
    }
    const draft: ServiceDraft = {
      line: row.line,
      id: row.id,
      name,
      organizationId: organizationId ?? `unknown-organization:${row.id}`,
      organizationUnknown: !known,
      status,
      description: get('description') ?? '',
    };
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
      if (n === undefined || n < 0) repair(`${column} is not an age: ignored`, `${column} '${v}' is not an age; ignored`);
      else draft[field] = n;
    }
    if (draft.minimumAge !== undefined && draft.maximumAge !== undefined && draft.minimumAge > draft.maximumAge) {
      repair('minimum_age is above maximum_age: both ignored', `minimum_age ${draft.minimumAge} is above maximum_age ${draft.maximumAge}; both ignored`);
      delete draft.minimumAge;
      delete draft.maximumAge;
    }
    const assured = get('assured_date');
    if (assured !== undefined) {
      const d = parseIsoDate(assured);
      if (d === undefined) repair('assured_date is not a YYYY-MM-DD date: ignored', `assured_date '${assured}' is not a YYYY-MM-DD date; ignored`);
      else draft.assuredDate = d;
    }
    const modified = get('last_modified');
    if (modified !== undefined) {
      const d = parseIsoDateTime(modified);
      if (d === undefined) repair('last_modified is not an ISO date-time: ignored', `last_modified '${modified}' is not an ISO date-time; ignored`);
      else draft.lastModified = d;
    }
    return draft;
  });
}

function readLocations(tables: ReadonlyMap<TableKey, Table>, report: HsdsReport): Index<LocationDraft> {
  return eachRow<LocationDraft>(tables, 'locations', 'locations', report, ({ row, get, repair }) => {
    const loc: LocationDraft = { id: row.id, name: get('name') ?? get('alternate_name') ?? '' };
    const latText = get('latitude');
    const lonText = get('longitude');
    if (latText !== undefined || lonText !== undefined) {
      const lat = latText === undefined ? undefined : parseNumber(latText);
      const lon = lonText === undefined ? undefined : parseNumber(lonText);
      if (lat === undefined || lon === undefined || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
        repair('latitude/longitude is not a valid position: ignored', `latitude/longitude '${latText ?? ''}', '${lonText ?? ''}' is not a valid position; ignored`);
      } else {
        loc.lat = lat;
        loc.lon = lon;
      }
    }
    return loc;
  });
}

// ---------------------------------------------------------------------------------------
// One service, denormalized

interface Joined {
  organizations: Index<{ name: string }>;
  locations: Index<LocationDraft>;
  sals: Sals;
  addresses: Map<string, string>;
  phones: Phones;
  languages: Map<string, { name?: string; code?: string }[]>;
  terms: Map<string, ServiceTaxonomyTerm[]>;
  schedules: Map<string, ScheduleRule[]>;
  eligibility: Map<string, string[]>;
  modified: Map<string, string>;
}

function denormalize(draft: ServiceDraft, j: Joined): ResourceService {
  const locationIds = [...new Set((j.sals.byService.get(draft.id) ?? []).map((s) => s.locationId))].sort();
  const locations = locationIds.map((lid): ServiceLocation => {
    const loc = j.locations.accepted.get(lid) as LocationDraft;
    const l: ServiceLocation = { id: loc.id, name: loc.name, address: j.addresses.get(lid) ?? '' };
    if (l.name === '' && l.address !== '') l.name = l.address;
    if (loc.lat !== undefined && loc.lon !== undefined) {
      l.lat = loc.lat;
      l.lon = loc.lon;
    }
    return l;
  });
  const langs = j.languages.get(draft.id) ?? [];
  const schedules = dedupe(j.schedules.get(draft.id) ?? [], (s) => s.id).sort(byString((s) => s.id));
  const zones = new Set(schedules.flatMap((s) => (s.timezone ? [s.timezone] : [])));
  const meta = j.modified.get(draft.id);
  const lastModified = meta !== undefined && (draft.lastModified === undefined || meta > draft.lastModified) ? meta : draft.lastModified;
  const eligibility = draft.eligibilityDescription ?? j.eligibility.get(draft.id)?.join('; ');
  // Absent fields are left out rather than set to undefined and deleted: deleting turns the
  // object into a slow dictionary for everything that reads it later.
  const record = {
    id: draft.id,
    name: draft.name,
    ...opt('alternateName', draft.alternateName),
    description: draft.description,
    organizationId: draft.organizationId,
    organizationName: draft.organizationUnknown ? UNKNOWN_ORGANIZATION : (j.organizations.accepted.get(draft.organizationId)?.name ?? UNKNOWN_ORGANIZATION),
    ...(draft.organizationUnknown ? { organizationUnknown: true as const } : {}),
    status: draft.status,
    ...opt('email', draft.email),
    ...opt('url', draft.url),
    phones: phonesOf(draft, locationIds, j.phones),
    locations,
    languages: [...new Set(langs.map((l) => (l.name ?? l.code) as string))].sort(),
    languageCodes: [...new Set(langs.flatMap((l) => (l.code ? [l.code] : [])))].sort(),
    taxonomyTerms: dedupe(j.terms.get(draft.id) ?? [], (t) => t.id).sort(byString((t) => t.id)),
    ...opt('minimumAge', draft.minimumAge),
    ...opt('maximumAge', draft.maximumAge),
    ...opt('eligibilityDescription', eligibility),
    ...opt('interpretationServices', draft.interpretationServices),
    ...opt('applicationProcess', draft.applicationProcess),
    ...opt('feesDescription', draft.feesDescription),
    ...opt('alert', draft.alert),
    schedules,
    ...opt('timezone', zones.size === 1 ? [...zones][0] : undefined),
    ...opt('assuredDate', draft.assuredDate),
    ...opt('lastModified', lastModified),
  } satisfies Omit<ResourceService, 'contentHash'>;
  return { ...record, contentHash: contentHashOf(record) };
}

/** `{ key: value }` when value is present, `{}` otherwise. */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

/**
 * The service's own phones; without any, those of the locations it is offered at, else its
 * organization's (marked with where they came from). Voice first, fax and pager last.
 */
function phonesOf(draft: ServiceDraft, locationIds: readonly string[], phones: Phones): ServicePhone[] {
  let list = phones.byService.get(draft.id) ?? [];
  if (list.length === 0) list = locationIds.flatMap((id) => phones.byLocation.get(id) ?? []).map((p) => ({ ...p, inheritedFrom: 'location' as const }));
  if (list.length === 0 && !draft.organizationUnknown) {
    list = (phones.byOrganization.get(draft.organizationId) ?? []).map((p) => ({ ...p, inheritedFrom: 'organization' as const }));
  }
  const key = (p: ServicePhone) => `${p.number}\u0000${p.extension ?? ''}\u0000${p.type ?? ''}\u0000${p.description ?? ''}`;
  return dedupe(list, key).sort((a, b) => phoneRank(a.type) - phoneRank(b.type) || byString(key)(a, b));
}

// ---------------------------------------------------------------------------------------
// Summary

const LEGACY_TABLES: readonly TableKey[] = ['physicalAddresses', 'postalAddresses', 'serviceAttributes', 'legacyTaxonomy', 'servicesTaxonomy', 'regularSchedules', 'eligibility'];
const HSDS3_TABLES: readonly TableKey[] = ['addresses', 'attributes', 'taxonomies'];

function summarize(report: HsdsReport, tables: ReadonlyMap<TableKey, Table>, services: readonly ResourceService[]): HsdsSummary {
  const legacy = LEGACY_TABLES.some((k) => tables.has(k));
  const modern = HSDS3_TABLES.some((k) => tables.has(k));
  return {
    layout: legacy ? (modern ? 'HSDS 3 with 1.x/2.x tables' : 'HSDS 1.x/2.x') : 'HSDS 3',
    tables: report.summaries(),
    ignoredFiles: report.ignoredFiles,
    notes: report.notes,
    services: {
      imported: services.length,
      withPhone: services.filter((s) => s.phones.length > 0).length,
      withAddress: services.filter((s) => s.locations.some((l) => l.address !== '')).length,
      withHours: services.filter((s) => s.schedules.some((r) => r.opensAt && r.closesAt)).length,
      organizationUnknown: services.filter((s) => s.organizationUnknown).length,
    },
  };
}

function byString<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
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
