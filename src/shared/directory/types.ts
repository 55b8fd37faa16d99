import { z } from 'zod';

/** Two-letter iCalendar weekday codes, as used by HSDS `byday` and `wkst`. */
export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export const Weekday = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof Weekday>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
/** Local wall-clock time, HH:MM (24:00 allowed for closing at midnight). */
const clock = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM');

/**
 * One normalized HSDS schedule row: a recurrence (iCalendar-like, as HSDS 3 describes
 * it) with the opening hours on each day it occurs.
 */
export const ScheduleRule = z.object({
  /** HSDS schedule id. */
  id: z.string().min(1),
  /** Set when the schedule belongs to the service at one location (service_at_location). */
  serviceAtLocationId: z.string().optional(),
  locationId: z.string().optional(),
  /** Recurrence frequency; HSDS allows WEEKLY and MONTHLY, DAILY and YEARLY are tolerated. */
  freq: z.enum(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']),
  /** Every n-th week / month … counted from `dtstart` (or `validFrom`). */
  interval: z.number().int().positive().optional(),
  /** Weekdays, upper case: 'MO', or with an ordinal for MONTHLY: '2MO', '-1FR'. Empty: every day. */
  byday: z.array(z.string().regex(/^[+-]?\d{0,2}(MO|TU|WE|TH|FR|SA|SU)$/)),
  /** ISO week numbers (negative: from the end of the year). */
  byweekno: z.array(z.number().int()),
  /** Days of the month (negative: from the end of the month). */
  bymonthday: z.array(z.number().int()),
  /** Days of the year (negative: from the end of the year). */
  byyearday: z.array(z.number().int()),
  wkst: Weekday.optional(),
  opensAt: clock.optional(),
  closesAt: clock.optional(),
  /**
   * Time zone the times are in, as a luxon zone name: 'UTC', 'UTC+3', 'UTC-05:00' or an
   * IANA name. From an offset on opens_at/closes_at, else the schedule's `timezone` column.
   * Absent: the caller's zone (see isOpenAt).
   */
  timezone: z.string().optional(),
  validFrom: isoDate.optional(),
  validTo: isoDate.optional(),
  dtstart: isoDate.optional(),
  until: isoDate.optional(),
  count: z.number().int().positive().optional(),
  description: z.string().optional(),
  notes: z.string().optional(),
  attendingType: z.string().optional(),
  scheduleLink: z.string().optional(),
});
export type ScheduleRule = z.infer<typeof ScheduleRule>;

export const ServicePhone = z.object({
  number: z.string().min(1),
  extension: z.string().optional(),
  type: z.string().optional(),
  description: z.string().optional(),
  /**
   * Set when the service lists no phone of its own and this is the phone of a location it
   * is offered at, or of its organization (HSDS links phones to any of the three).
   */
  inheritedFrom: z.enum(['location', 'organization']).optional(),
});
export type ServicePhone = z.infer<typeof ServicePhone>;

export const ServiceLocation = z.object({
  id: z.string().min(1),
  /** Location name; falls back to the alternate name, then ''. */
  name: z.string(),
  /** One-line address (physical address preferred), '' when none is known. */
  address: z.string(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
});
export type ServiceLocation = z.infer<typeof ServiceLocation>;

export const ServiceTaxonomyTerm = z.object({
  id: z.string().min(1),
  code: z.string().optional(),
  name: z.string().min(1),
  /** Name of the taxonomy (taxonomy_terms.taxonomy, else taxonomies.name via taxonomy_id). */
  taxonomy: z.string().optional(),
});
export type ServiceTaxonomyTerm = z.infer<typeof ServiceTaxonomyTerm>;

export const ServiceStatus = z.enum(['active', 'inactive', 'defunct', 'temporarily closed']);
export type ServiceStatus = z.infer<typeof ServiceStatus>;

/**
 * One directory service, denormalized from an HSDS package: everything the clinician
 * needs to search and refer, without joins.
 */
export const ResourceService = z.object({
  /** HSDS service id. */
  id: z.string().min(1),
  name: z.string().min(1),
  alternateName: z.string().optional(),
  /** '' when the package has none. */
  description: z.string(),
  organizationId: z.string().min(1),
  /** "Organization unknown" when the package does not describe it (see organizationUnknown). */
  organizationName: z.string().min(1),
  /** True when the service's organization is missing from the package (or was unusable). */
  organizationUnknown: z.literal(true).optional(),
  status: ServiceStatus,
  email: z.string().optional(),
  url: z.string().optional(),
  /** Voice lines first, fax and pager last. */
  phones: z.array(ServicePhone),
  locations: z.array(ServiceLocation),
  /** Language names (the code when a row has no name), sorted, unique. */
  languages: z.array(z.string()),
  /** Language codes as given (lower case), sorted, unique. */
  languageCodes: z.array(z.string()),
  taxonomyTerms: z.array(ServiceTaxonomyTerm),
  minimumAge: z.number().nonnegative().optional(),
  maximumAge: z.number().nonnegative().optional(),
  eligibilityDescription: z.string().optional(),
  interpretationServices: z.string().optional(),
  applicationProcess: z.string().optional(),
  feesDescription: z.string().optional(),
  alert: z.string().optional(),
  schedules: z.array(ScheduleRule),
  /** The zone shared by every schedule that names one, if they agree. */
  timezone: z.string().optional(),
  /** services.assured_date, YYYY-MM-DD. */
  assuredDate: isoDate.optional(),
  /** Latest of services.last_modified and metadata.last_action_date for the service (ISO, UTC). */
  lastModified: z.string().optional(),
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ResourceService = z.infer<typeof ResourceService>;
