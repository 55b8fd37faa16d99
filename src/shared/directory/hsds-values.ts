/**
 * Reading the values of HSDS cells: dates, numbers, statuses, phone numbers, addresses,
 * languages and schedules (HSDS 3 / 2.x `schedules` rows and 1.x `regular_schedules` rows).
 * Each reader returns the value, or a reason the value cannot be used.
 */
import { parseClockTime, parseTimezone } from './schedule';
import type { ScheduleRule, ServiceStatus, Weekday } from './types';

/** A cell of the row being read. */
export type Cell = (column: string) => string | undefined;

export function parseIsoDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

export function parseIsoDateTime(text: string): string | undefined {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return parseIsoDate(t) ? `${t}T00:00:00.000Z` : undefined;
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(t)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(t);
  const ms = Date.parse(hasZone ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString();
}

export function parseNumber(text: string): number | undefined {
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

export function phoneNumber(text: string): string {
  return text.replace(/^["'\s]+|["'\s]+$/g, '').trim();
}

export function phoneRank(type: string | undefined): number {
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

const WEEKDAY_SET = new Set<string>(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']);

/** Normalizes one schedules.csv row; returns a rejection reason when it cannot be used. */
export function parseScheduleRow(
  id: string,
  get: Cell,
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

  const hours = readHours(get, warn);
  if (typeof hours === 'string') return hours;
  Object.assign(rule, hours);
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

/** opens_at, closes_at and the zone (from the times' offsets, else the timezone column). */
function readHours(get: Cell, warn: (reason: string) => void): Pick<ScheduleRule, 'opensAt' | 'closesAt' | 'timezone'> | string {
  const out: Pick<ScheduleRule, 'opensAt' | 'closesAt' | 'timezone'> = {};
  const opensText = get('opens_at');
  const closesText = get('closes_at');
  const opens = opensText === undefined ? undefined : parseClockTime(opensText);
  const closes = closesText === undefined ? undefined : parseClockTime(closesText);
  if (opensText !== undefined && !opens) return `opens_at '${opensText}' is not a time (HH:MM)`;
  if (closesText !== undefined && !closes) return `closes_at '${closesText}' is not a time (HH:MM)`;
  if (opens && opens.minutes === 1440) return `opens_at '${opensText}' cannot be 24:00`;
  if (opens && closes) {
    out.opensAt = opens.hhmm;
    out.closesAt = closes.hhmm;
    if (opens.zone && closes.zone && opens.zone !== closes.zone) {
      return `opens_at '${opensText}' and closes_at '${closesText}' are in different time zones`;
    }
  } else if (opens || closes) {
    warn(`${opens ? 'closes_at' : 'opens_at'} is empty; the hours of this schedule are not used`);
  }
  const timeZone = opens?.zone ?? closes?.zone;
  const tzText = get('timezone');
  if (timeZone) out.timezone = timeZone;
  else if (tzText !== undefined) {
    const zone = parseTimezone(tzText);
    if (zone === undefined) warn(`timezone '${tzText}' is not a UTC offset or time zone name; ignored`);
    else out.timezone = zone;
  }
  return out;
}

const DAY_NAMES: Record<string, Weekday> = {
  mo: 'MO', mon: 'MO', monday: 'MO',
  tu: 'TU', tue: 'TU', tues: 'TU', tuesday: 'TU',
  we: 'WE', wed: 'WE', wednesday: 'WE',
  th: 'TH', thu: 'TH', thur: 'TH', thurs: 'TH', thursday: 'TH',
  fr: 'FR', fri: 'FR', friday: 'FR',
  sa: 'SA', sat: 'SA', saturday: 'SA',
  su: 'SU', sun: 'SU', sunday: 'SU',
};
/** ISO 8601 numbering (1 = Monday … 7 = Sunday); 0 is Sunday where a package counts from 0. */
const DAY_NUMBERS: Weekday[] = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/** An HSDS 1.x weekday: a name ("Monday", "Mon", "MO") or a number (ISO: 1 = Monday). */
export function parseWeekday(text: string): { day: Weekday; numbered: boolean } | undefined {
  const t = text.trim().toLowerCase().replace(/\.$/, '');
  const named = DAY_NAMES[t];
  if (named) return { day: named, numbered: false };
  if (/^[0-7]$/.test(t)) return { day: DAY_NUMBERS[Number(t)] as Weekday, numbered: true };
  return undefined;
}

/**
 * One HSDS 1.x regular_schedules row (weekday, opens_at, closes_at) as a weekly rule: the
 * meaning is the same as a 3.x schedule with freq WEEKLY and that one byday.
 */
export function parseRegularScheduleRow(id: string, get: Cell, warn: (reason: string) => void): ScheduleRule | string {
  const weekdayText = get('weekday') ?? '';
  const weekday = parseWeekday(weekdayText);
  if (!weekday) return `weekday '${weekdayText}' is not a day of the week (a name, or 1 = Monday … 7 = Sunday)`;
  const rule: ScheduleRule = { id, freq: 'WEEKLY', byday: [weekday.day], byweekno: [], bymonthday: [], byyearday: [] };
  const hours = readHours(get, warn);
  if (typeof hours === 'string') return hours;
  Object.assign(rule, hours);
  const description = get('description') ?? get('original_text');
  if (description !== undefined) rule.description = description;
  return rule;
}

/** A service status in any of the spellings packages use ("Active", "temporarily_closed"). */
export function parseStatus(text: string): ServiceStatus | undefined {
  return STATUS_ALIASES[text.toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim()];
}

/** One line a person reads: street lines, city, region, postal code, country. */
export function addressText(get: Cell): string {
  const region = [get('state_province') ?? get('region'), get('postal_code')].filter(Boolean).join(' ');
  return [get('address_1'), get('address_2'), get('address_3'), get('address_4'), get('city'), region || undefined, get('country')]
    .filter((x): x is string => !!x)
    .join(', ');
}

/**
 * A language cell of HSDS 1.x/2.x (one `language` column): a code ("es", "spa", "es-MX")
 * or a name ("Spanish").
 */
export function languageOf(text: string): { name?: string; code?: string } {
  const t = text.trim();
  return /^[a-z]{2,3}([-_][a-z0-9]{2,4})?$/i.test(t) ? { code: t.toLowerCase() } : { name: t };
}
