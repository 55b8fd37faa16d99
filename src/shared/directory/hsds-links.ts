/**
 * The tables that hang off services, locations and organizations: addresses, services at
 * locations, phones, languages, taxonomy, schedules, eligibility and metadata, in their HSDS
 * 3 form and, where the meaning is clear, their 1.x/2.x form. Each reader indexes what it
 * keeps by the id it belongs to; rows that describe something the directory does not hold
 * are counted as ignored, with the reason.
 */
import type { HsdsReport } from './hsds-report';
import { Verdict, eachRow, ignore, push, reject, unresolved, withoutValues, type Index, type RowContext } from './hsds-rows';
import type { Table, TableKey } from './hsds-tables';
import { addressText, languageOf, parseIsoDateTime, parseRegularScheduleRow, parseScheduleRow, phoneNumber, type Cell } from './hsds-values';
import type { ScheduleRule, ServicePhone, ServiceStatus, ServiceTaxonomyTerm } from './types';

export interface ServiceDraft {
  line: number;
  id: string;
  name: string;
  alternateName?: string;
  description: string;
  organizationId: string;
  organizationUnknown: boolean;
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

export interface LocationDraft {
  id: string;
  name: string;
  lat?: number;
  lon?: number;
}

export interface SalDraft {
  id: string;
  serviceId: string;
  locationId: string;
}

/** What the link readers join against. */
export interface Bases {
  tables: ReadonlyMap<TableKey, Table>;
  report: HsdsReport;
  organizations: Index<{ name: string }>;
  services: Index<ServiceDraft>;
  locations: Index<LocationDraft>;
}

type Each = <T>(key: TableKey, name: string, fn: (ctx: RowContext) => T | Verdict | undefined) => Index<T>;

function each(b: Bases): Each {
  return (key, name, fn) => eachRow(b.tables, key, name, b.report, fn);
}

// ---------------------------------------------------------------------------------------
// Addresses

/** The best address of each location: physical, then unspecified, then postal. */
export function readAddresses(b: Bases): Map<string, string> {
  const best = new Map<string, { rank: number; text: string }>();
  const keep = (locationId: string, rank: number, text: string) => {
    const current = best.get(locationId);
    if (!current || rank < current.rank) best.set(locationId, { rank, text });
  };
  const read = (key: TableKey, name: string, rankOf: (get: Cell) => number) =>
    each(b)(key, name, ({ get }) => {
      const locationId = get('location_id');
      if (locationId === undefined) return reject('missing location_id');
      if (!b.locations.accepted.has(locationId)) return unresolved('location_id', locationId, b.locations);
      const text = addressText(get);
      if (text === '') return reject('address has no street, city, region, postal code or country');
      keep(locationId, rankOf(get), text);
      return undefined;
    });
  read('addresses', 'addresses', (get) => {
    const type = get('address_type')?.toLowerCase();
    return type === 'physical' ? 0 : type === undefined ? 1 : type === 'postal' ? 2 : 3;
  });
  read('physicalAddresses', 'physical_addresses', () => 0);
  read('postalAddresses', 'postal_addresses', () => 2);
  return new Map([...best].map(([id, a]) => [id, a.text]));
}

// ---------------------------------------------------------------------------------------
// Services at locations

export interface Sals {
  index: Index<SalDraft>;
  byService: Map<string, SalDraft[]>;
}

export function readServiceAtLocation(b: Bases): Sals {
  const byService = new Map<string, SalDraft[]>();
  const index = each(b)<SalDraft>('serviceAtLocation', 'service_at_location', ({ row, get }) => {
    const serviceId = get('service_id');
    const locationId = get('location_id');
    if (serviceId === undefined) return reject('missing service_id');
    if (locationId === undefined) return reject('missing location_id');
    if (!b.services.accepted.has(serviceId)) return unresolved('service_id', serviceId, b.services);
    if (!b.locations.accepted.has(locationId)) return unresolved('location_id', locationId, b.locations);
    const sal = { id: row.id, serviceId, locationId };
    push(byService, serviceId, sal);
    return sal;
  });
  return { index, byService };
}

/**
 * The service a child row belongs to, through service_id and/or service_at_location_id:
 * the service (and the service-at-location), nothing when the row names neither, or why
 * the link does not resolve.
 */
function serviceOf(get: Cell, b: Bases, sals: Sals): { serviceId?: string; sal?: SalDraft } | Verdict {
  const serviceId = get('service_id');
  const salId = get('service_at_location_id');
  let sal: SalDraft | undefined;
  if (salId !== undefined) {
    sal = sals.index.accepted.get(salId);
    if (!sal) return unresolved('service_at_location_id', salId, sals.index);
  }
  if (serviceId !== undefined) {
    if (!b.services.accepted.has(serviceId)) return unresolved('service_id', serviceId, b.services);
    if (sal && sal.serviceId !== serviceId) {
      return reject('service_id contradicts service_at_location_id', `service_id '${serviceId}' contradicts service_at_location_id '${sal.id}', which is for service '${sal.serviceId}'`);
    }
  }
  return { serviceId: serviceId ?? sal?.serviceId, sal };
}

// ---------------------------------------------------------------------------------------
// Phones

export interface Phones {
  byService: Map<string, ServicePhone[]>;
  byLocation: Map<string, ServicePhone[]>;
  byOrganization: Map<string, ServicePhone[]>;
}

/** Phones of services, and of locations and organizations (which stand in for a service's own). */
export function readPhones(b: Bases, sals: Sals): Phones {
  const out: Phones = { byService: new Map(), byLocation: new Map(), byOrganization: new Map() };
  each(b)('phones', 'phones', ({ get }) => {
    const number = phoneNumber(get('number') ?? '');
    if (number === '') return reject('missing number');
    const phone: ServicePhone = { number };
    const extension = get('extension');
    if (extension !== undefined) phone.extension = extension;
    const type = get('type');
    if (type !== undefined) phone.type = type.toLowerCase();
    const description = get('description');
    if (description !== undefined) phone.description = description;
    const link = serviceOf(get, b, sals);
    if (link instanceof Verdict) return link;
    if (link.serviceId !== undefined) {
      push(out.byService, link.serviceId, phone);
      return undefined;
    }
    const locationId = get('location_id');
    if (locationId !== undefined) {
      if (!b.locations.accepted.has(locationId)) return unresolved('location_id', locationId, b.locations);
      push(out.byLocation, locationId, phone);
      return undefined;
    }
    const organizationId = get('organization_id');
    if (organizationId !== undefined) {
      if (!b.organizations.accepted.has(organizationId)) return unresolved('organization_id', organizationId, b.organizations);
      push(out.byOrganization, organizationId, phone);
      return undefined;
    }
    if (get('contact_id') !== undefined) return ignore("a contact's phone: contacts are not part of the directory");
    return reject('linked to no service, location or organization');
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Languages

export function readLanguages(b: Bases): Map<string, { name?: string; code?: string }[]> {
  const byService = new Map<string, { name?: string; code?: string }[]>();
  each(b)('languages', 'languages', ({ get }) => {
    // HSDS 3 has name and code; 1.x/2.x one `language` column holding either.
    const single = get('language');
    const lang = get('name') !== undefined || get('code') !== undefined ? { name: get('name'), code: get('code')?.toLowerCase() } : single !== undefined ? languageOf(single) : {};
    if (lang.name === undefined && lang.code === undefined) return reject('missing name and code');
    const serviceId = get('service_id');
    if (serviceId === undefined) return ignore("a location's or phone's language: only services' languages are searched");
    if (!b.services.accepted.has(serviceId)) return unresolved('service_id', serviceId, b.services);
    push(byService, serviceId, lang);
    return undefined;
  });
  return byService;
}

// ---------------------------------------------------------------------------------------
// Taxonomy

/**
 * Taxonomy terms of services. HSDS 3: taxonomy_terms (+ taxonomies) linked by attributes
 * with link_entity "service"; 2.x: taxonomy_terms linked by service_attributes; 1.x:
 * taxonomy.csv linked by services_taxonomy.csv.
 */
export function readTaxonomy(b: Bases): Map<string, ServiceTaxonomyTerm[]> {
  const e = each(b);
  const taxonomies = e<{ name: string }>('taxonomies', 'taxonomies', ({ get }) => {
    const name = get('name');
    return name === undefined ? reject('missing name') : { name };
  });
  const terms = e<ServiceTaxonomyTerm>('taxonomyTerms', 'taxonomy_terms', ({ row, get }) => {
    const name = get('name');
    if (name === undefined) return reject('missing name');
    const term: ServiceTaxonomyTerm = { id: row.id, name };
    const code = get('code');
    if (code !== undefined) term.code = code;
    const taxonomyId = get('taxonomy_id');
    const taxonomy = get('taxonomy') ?? (taxonomyId !== undefined ? taxonomies.accepted.get(taxonomyId)?.name : undefined);
    if (taxonomy !== undefined) term.taxonomy = taxonomy;
    return term;
  });
  const legacyTerms = e<ServiceTaxonomyTerm>('legacyTaxonomy', 'taxonomy', ({ row, get }) => {
    const name = get('name');
    if (name === undefined) return reject('missing name');
    const vocabulary = get('vocabulary') ?? get('taxonomy');
    return { id: row.id, name, ...(vocabulary !== undefined ? { taxonomy: vocabulary } : {}) };
  });
  const byService = new Map<string, ServiceTaxonomyTerm[]>();
  const link = (serviceColumn: string, serviceId: string, termColumn: string, termId: string, index: Index<ServiceTaxonomyTerm>) => {
    if (!b.services.accepted.has(serviceId)) return unresolved(serviceColumn, serviceId, b.services);
    const term = index.accepted.get(termId);
    if (!term) return unresolved(termColumn, termId, index);
    push(byService, serviceId, term);
    return undefined;
  };
  e('attributes', 'attributes', ({ get }) => {
    const [linkId, termId, entity] = [get('link_id'), get('taxonomy_term_id'), get('link_entity')?.toLowerCase()];
    if (linkId === undefined) return reject('missing link_id');
    if (termId === undefined) return reject('missing taxonomy_term_id');
    if (entity === undefined) return reject('missing link_entity');
    if (entity !== 'service') return ignore(`an attribute of a ${entity}: only services' terms are searched`);
    return link('link_id', linkId, 'taxonomy_term_id', termId, terms);
  });
  e('serviceAttributes', 'service_attributes', ({ get }) => link('service_id', get('service_id') ?? '', 'taxonomy_term_id', get('taxonomy_term_id') ?? '', terms));
  e('servicesTaxonomy', 'services_taxonomy', ({ get }) => {
    const termId = get('taxonomy_id') ?? '';
    // 1.x links to taxonomy.csv; a package that also has taxonomy_terms.csv may link there.
    const index = legacyTerms.accepted.has(termId) || !terms.accepted.has(termId) ? legacyTerms : terms;
    return link('service_id', get('service_id') ?? '', 'taxonomy_id', termId, index);
  });
  return byService;
}

// ---------------------------------------------------------------------------------------
// Schedules

/** Opening hours of services: HSDS 3 / 2.x schedules, and HSDS 1.x regular_schedules. */
export function readSchedules(b: Bases, sals: Sals): Map<string, ScheduleRule[]> {
  const byService = new Map<string, ScheduleRule[]>();
  const read = (key: TableKey, name: string, parse: (id: string, get: Cell, warn: (reason: string) => void) => ScheduleRule | string) =>
    each(b)(key, name, ({ row, get, repair }) => {
      const link = serviceOf(get, b, sals);
      if (link instanceof Verdict) return link;
      if (link.serviceId === undefined) {
        const locationId = get('location_id');
        if (locationId === undefined) return reject('linked to no service or location');
        return ignore("a location's opening hours: not applied to the services there");
      }
      const rule = parse(row.id, get, (reason) => repair(withoutValues(reason), reason));
      if (typeof rule === 'string') return reject(withoutValues(rule), rule);
      if (link.sal) {
        rule.serviceAtLocationId = link.sal.id;
        rule.locationId = link.sal.locationId;
      } else {
        const locationId = get('location_id');
        if (locationId !== undefined && b.locations.accepted.has(locationId)) rule.locationId = locationId;
      }
      push(byService, link.serviceId, rule);
      return undefined;
    });
  read('schedules', 'schedules', parseScheduleRow);
  const regular = read('regularSchedules', 'regular_schedules', parseRegularScheduleRow);
  if (regular.file && b.tables.get('regularSchedules')?.rows.some((r) => /^\s*[0-7]\s*$/.test(r.cells.get('weekday') ?? ''))) {
    b.report.note(`${regular.file} numbers its weekdays: read as ISO 8601 (1 = Monday … 7 = Sunday; 0 = Sunday)`);
  }
  return byService;
}

// ---------------------------------------------------------------------------------------
// Eligibility (1.x) and metadata

/** HSDS 1.x eligibility.csv: one criterion per row, for services without eligibility_description. */
export function readEligibility(b: Bases): Map<string, string[]> {
  const byService = new Map<string, string[]>();
  each(b)('eligibility', 'eligibility', ({ get }) => {
    const serviceId = get('service_id');
    const text = get('eligibility');
    if (serviceId === undefined) return reject('missing service_id');
    if (text === undefined) return reject('missing eligibility');
    if (!b.services.accepted.has(serviceId)) return unresolved('service_id', serviceId, b.services);
    push(byService, serviceId, text);
    return undefined;
  });
  return byService;
}

/** The last change of each service, from metadata.csv. */
export function readMetadata(b: Bases): Map<string, string> {
  const latest = new Map<string, string>();
  each(b)('metadata', 'metadata', ({ get, repair }) => {
    const type = get('resource_type')?.toLowerCase();
    const resourceId = get('resource_id');
    if (type !== 'service') return ignore(`metadata of a ${type ?? 'resource without a type'}: only services' changes are used`);
    if (resourceId === undefined || !b.services.accepted.has(resourceId)) return unresolved('resource_id', resourceId ?? '', b.services);
    const dateText = get('last_action_date') ?? '';
    const when = parseIsoDateTime(dateText);
    if (when === undefined) {
      repair('last_action_date is not a date: ignored', `last_action_date '${dateText}' is not a date; ignored`);
      return undefined;
    }
    const current = latest.get(resourceId);
    if (current === undefined || when > current) latest.set(resourceId, when);
    return undefined;
  });
  return latest;
}
