/**
 * Opening hours from normalized HSDS schedules.
 *
 * Rules: a rule occurs on a day when the day is inside its validity (valid_from/valid_to,
 * dtstart/until), matches every by* part present (byday, byweekno, bymonthday, byyearday)
 * and the interval. On a day it occurs it is open from opensAt to closesAt in its zone;
 * closesAt at or before opensAt means it closes the next day (past midnight), equal times
 * mean 24 hours. A rule without both times, or with an interval and nothing to count from,
 * says nothing.
 *
 * isOpenAt answers true when a rule is open at the instant; false when none is open but at
 * least one usable rule is in force on that day; null (unknown) otherwise: no schedule,
 * only descriptive schedules, or every schedule expired or not yet valid.
 */
import { DateTime, IANAZone } from 'luxon';
import type { ScheduleRule, Weekday } from './types';
import { WEEKDAYS } from './types';

/** Parsed clock time: minutes after midnight and, when the text carried one, a zone. */
export interface ParsedClock {
  /** HH:MM, 24-hour; '24:00' for end of day. */
  hhmm: string;
  minutes: number;
  /** 'UTC', 'UTC+3', 'UTC-05:30' when the text had Z or an offset. */
  zone?: string;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function offsetZone(sign: string, hours: number, minutes: number): string | undefined {
  if (hours > 14 || minutes > 59) return undefined;
  if (hours === 0 && minutes === 0) return 'UTC';
  return `UTC${sign}${pad2(hours)}:${pad2(minutes)}`;
}

/**
 * Parses an HSDS time: '09:00', '9:00:00', '0900', '09:00Z', '09:00-05:00', '9am', '5:30 pm'.
 * Returns undefined when the text is not a time.
 */
export function parseClockTime(text: string): ParsedClock | undefined {
  const t = text.trim();
  let h: number;
  let m: number;
  let zone: string | undefined;
  let match = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(t);
  if (match) {
    h = Number(match[1]);
    m = Number(match[2]);
    if (match[3] !== undefined && Number(match[3]) > 59) return undefined;
    if (match[4]) {
      const z = match[4].toUpperCase();
      if (z === 'Z') zone = 'UTC';
      else {
        const digits = z.slice(1).replace(':', '');
        zone = offsetZone(z[0], Number(digits.slice(0, 2)), Number(digits.slice(2) || '0'));
        if (!zone) return undefined;
      }
    }
  } else if ((match = /^(\d{2})(\d{2})$/.exec(t))) {
    h = Number(match[1]);
    m = Number(match[2]);
  } else if ((match = /^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?$/i.exec(t))) {
    h = Number(match[1]);
    m = Number(match[2] ?? '0');
    if (h < 1 || h > 12) return undefined;
    const pm = match[3].toLowerCase() === 'p';
    if (h === 12) h = pm ? 12 : 0;
    else if (pm) h += 12;
  } else {
    return undefined;
  }
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return undefined;
  const parsed: ParsedClock = { hhmm: `${pad2(h)}:${pad2(m)}`, minutes: h * 60 + m };
  if (zone) parsed.zone = zone;
  return parsed;
}

/**
 * Parses the HSDS schedule `timezone` column: a UTC offset in hours ('3', '-5', '5.5',
 * '+05:30', 'UTC-4') or, tolerated, an IANA zone name ('America/Chicago').
 * Returns a luxon zone name, or undefined when the text is not a zone.
 */
export function parseTimezone(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  let match = /^(?:UTC|GMT)?\s*([+-]?)(\d{1,2})(?:\.(\d+))?$/i.exec(t);
  if (match) {
    const hours = Number(match[2]);
    const fraction = match[3] ? Number(`0.${match[3]}`) : 0;
    const minutes = Math.round(fraction * 60);
    return offsetZone(match[1] === '-' ? '-' : '+', hours, minutes);
  }
  if ((match = /^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})$/i.exec(t))) {
    return offsetZone(match[1], Number(match[2]), Number(match[3]));
  }
  if (/^(UTC|GMT|Z)$/i.test(t)) return 'UTC';
  return ianaZone(t);
}

const ianaZones = new Map<string, string | undefined>();

/** An IANA zone name, or undefined; answers are kept (see validZone). */
function ianaZone(name: string): string | undefined {
  if (!ianaZones.has(name)) {
    if (ianaZones.size > 1000) ianaZones.clear();
    ianaZones.set(name, IANAZone.isValidZone(name) ? name : undefined);
  }
  return ianaZones.get(name);
}

/**
 * Whether luxon knows the zone. Asking builds an Intl formatter (tens of microseconds);
 * a directory names a handful of zones on tens of thousands of rows, so answers are kept.
 */
const knownZones = new Map<string, boolean>();

function validZone(zone: string): boolean {
  let valid = knownZones.get(zone);
  if (valid === undefined) {
    valid = DateTime.fromMillis(0, { zone }).isValid;
    if (knownZones.size > 1000) knownZones.clear(); // bounded: zone names come from files
    knownZones.set(zone, valid);
  }
  return valid;
}

function clockMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

interface CivilDay {
  year: number;
  month: number;
  day: number;
}

/** Calendar-day arithmetic, independent of any zone. */
function dayPlus(d: CivilDay, days: number): CivilDay {
  const dt = DateTime.utc(d.year, d.month, d.day).plus({ days });
  return { year: dt.year, month: dt.month, day: dt.day };
}

function isoOf(d: CivilDay): string {
  return `${d.year}-${pad2(d.month)}-${pad2(d.day)}`;
}

/** Days between two civil days (b - a). */
function daysBetween(a: CivilDay, b: CivilDay): number {
  return Math.round(
    (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000,
  );
}

function parseIsoDay(text: string): CivilDay {
  return { year: Number(text.slice(0, 4)), month: Number(text.slice(5, 7)), day: Number(text.slice(8, 10)) };
}

/** The later of valid_from and dtstart, the earlier of valid_to and until. */
function bounds(rule: ScheduleRule): { from?: string; to?: string } {
  const from = [rule.validFrom, rule.dtstart].filter((x): x is string => !!x).sort().pop();
  const to = [rule.validTo, rule.until].filter((x): x is string => !!x).sort()[0];
  return { from, to };
}

function inForceOn(rule: ScheduleRule, day: CivilDay): boolean {
  const iso = isoOf(day);
  const { from, to } = bounds(rule);
  return (from === undefined || iso >= from) && (to === undefined || iso <= to);
}

const WEEKDAY_INDEX: Record<Weekday, number> = { MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6, SU: 7 };

function matchesPattern(rule: ScheduleRule, day: CivilDay): boolean {
  const dt = DateTime.utc(day.year, day.month, day.day);
  if (rule.byday.length > 0) {
    const ok = rule.byday.some((token) => {
      const m = /^([+-]?\d{0,2})(MO|TU|WE|TH|FR|SA|SU)$/.exec(token);
      if (!m) return false;
      if (dt.weekday !== WEEKDAY_INDEX[m[2] as Weekday]) return false;
      const n = m[1] === '' || m[1] === '+' || m[1] === '-' ? 0 : Number(m[1]);
      if (n === 0 || rule.freq !== 'MONTHLY') return true;
      const daysInMonth = dt.daysInMonth as number;
      const nth = n > 0 ? Math.ceil(day.day / 7) : -(Math.floor((daysInMonth - day.day) / 7) + 1);
      return nth === n;
    });
    if (!ok) return false;
  }
  if (rule.bymonthday.length > 0) {
    const dim = dt.daysInMonth as number;
    if (!rule.bymonthday.some((n) => (n > 0 ? n : dim + 1 + n) === day.day)) return false;
  }
  if (rule.byyearday.length > 0) {
    const diy = dt.daysInYear;
    if (!rule.byyearday.some((n) => (n > 0 ? n : diy + 1 + n) === dt.ordinal)) return false;
  }
  if (rule.byweekno.length > 0) {
    const wiy = dt.weeksInWeekYear;
    if (!rule.byweekno.some((n) => (n > 0 ? n : wiy + 1 + n) === dt.weekNumber)) return false;
  }
  return true;
}

function intervalAnchor(rule: ScheduleRule): string | undefined {
  return rule.dtstart ?? rule.validFrom;
}

function matchesInterval(rule: ScheduleRule, day: CivilDay): boolean {
  const interval = rule.interval ?? 1;
  if (interval <= 1) return true;
  const anchorText = intervalAnchor(rule);
  if (!anchorText) return false;
  const anchor = parseIsoDay(anchorText);
  switch (rule.freq) {
    case 'DAILY':
      return daysBetween(anchor, day) % interval === 0;
    case 'WEEKLY': {
      const wkst = WEEKDAY_INDEX[rule.wkst ?? 'MO'];
      const weekStart = (d: CivilDay) => {
        const wd = DateTime.utc(d.year, d.month, d.day).weekday;
        return dayPlus(d, -((wd - wkst + 7) % 7));
      };
      const weeks = Math.round(daysBetween(weekStart(anchor), weekStart(day)) / 7);
      return ((weeks % interval) + interval) % interval === 0;
    }
    case 'MONTHLY': {
      const months = (day.year - anchor.year) * 12 + (day.month - anchor.month);
      return ((months % interval) + interval) % interval === 0;
    }
    case 'YEARLY':
      return (((day.year - anchor.year) % interval) + interval) % interval === 0;
  }
}

const COUNT_SCAN_LIMIT_DAYS = 366 * 20;

function withinCount(rule: ScheduleRule, day: CivilDay): boolean {
  if (rule.count === undefined) return true;
  const anchorText = intervalAnchor(rule);
  if (!anchorText) return true;
  const anchor = parseIsoDay(anchorText);
  const span = Math.min(daysBetween(anchor, day), COUNT_SCAN_LIMIT_DAYS);
  let seen = 0;
  for (let i = 0; i < span; i++) {
    const d = dayPlus(anchor, i);
    if (matchesPattern(rule, d) && matchesInterval(rule, d)) {
      seen++;
      if (seen >= rule.count) return false;
    }
  }
  return true;
}

/** Does the rule occur (start an opening) on this calendar day? */
export function occursOn(rule: ScheduleRule, day: { year: number; month: number; day: number }): boolean {
  return inForceOn(rule, day) && matchesPattern(rule, day) && matchesInterval(rule, day) && withinCount(rule, day);
}

function usable(rule: ScheduleRule): boolean {
  if (!rule.opensAt || !rule.closesAt) return false;
  if ((rule.interval ?? 1) > 1 && !intervalAnchor(rule)) return false;
  if (rule.timezone && !validZone(rule.timezone)) return false;
  return true;
}

/**
 * Is the service open at `date`?
 * @param timezone zone for rules that name none (the directory's local zone, e.g.
 *   'America/Chicago'); HSDS says UTC when neither the rule nor the caller gives one.
 * @returns true open, false closed, null unknown (no usable schedule in force): unknown
 *   hours are never "open now".
 */
export function isOpenAt(
  schedules: readonly ScheduleRule[] | undefined | null,
  date: Date,
  timezone?: string,
): boolean | null {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new RangeError('isOpenAt: invalid date');
  }
  if (timezone !== undefined && !validZone(timezone)) {
    throw new RangeError(`isOpenAt: unknown time zone '${timezone}'`);
  }
  if (!schedules || schedules.length === 0) return null;
  const instant = date.getTime();
  let inForce = false;
  for (const rule of schedules) {
    if (!usable(rule)) continue;
    const zone = rule.timezone ?? timezone ?? 'UTC';
    const clock = localClock(zone, instant);
    if (!clock) continue;
    if (inForceOn(rule, clock.today)) inForce = true;
    const open = isWeeklyPlain(rule) ? openByWallClock(rule, clock) : openByInstants(rule, clock.today, zone, instant);
    if (open) return true;
  }
  return inForce ? false : null;
}

/** The general case: the opening's start and end as instants in the rule's zone. */
function openByInstants(rule: ScheduleRule, today: CivilDay, zone: string, instant: number): boolean {
  const opens = clockMinutes(rule.opensAt as string);
  const closes = clockMinutes(rule.closesAt as string);
  for (const back of [1, 0]) {
    const start = dayPlus(today, -back);
    if (!occursOn(rule, start)) continue;
    // Past midnight (or 24 hours when equal): closes on the next day.
    const endDay = closes <= opens || closes === 1440 ? dayPlus(start, 1) : start;
    const endMinutes = closes === 1440 ? 0 : closes;
    const opensAt = DateTime.fromObject({ ...start, hour: Math.floor(opens / 60), minute: opens % 60 }, { zone });
    const closesAt = DateTime.fromObject({ ...endDay, hour: Math.floor(endMinutes / 60), minute: endMinutes % 60 }, { zone });
    if (opensAt.toMillis() <= instant && instant < closesAt.toMillis()) return true;
  }
  return false;
}

/**
 * Most schedules are plain weekly hours ("MO-FR 09:00-17:00"): no interval, count, week,
 * month or year-day parts, no ordinal weekdays. Those are decided on the local wall clock,
 * which needs no date arithmetic per rule: a directory of 40,000 services answers "open
 * now" in milliseconds. (Within the hour a daylight-saving change skips or repeats, wall
 * clock and instants can differ by that hour; the general path, used for every other rule,
 * works on instants.)
 */
function isWeeklyPlain(rule: ScheduleRule): boolean {
  return (
    (rule.freq === 'WEEKLY' || rule.freq === 'DAILY') &&
    (rule.interval ?? 1) <= 1 &&
    rule.count === undefined &&
    rule.byweekno.length === 0 &&
    rule.bymonthday.length === 0 &&
    rule.byyearday.length === 0 &&
    rule.byday.every((d) => d.length === 2)
  );
}

function openByWallClock(rule: ScheduleRule, clock: LocalClock): boolean {
  const opens = clockMinutes(rule.opensAt as string);
  const closes = clockMinutes(rule.closesAt as string);
  const overnight = closes <= opens; // past midnight, or 24 hours when equal
  const occurs = (day: CivilDay, weekday: Weekday) => inForceOn(rule, day) && (rule.byday.length === 0 || rule.byday.includes(weekday));
  if (occurs(clock.today, clock.weekday) && clock.minutes >= opens && (overnight || clock.minutes < closes)) return true;
  return overnight && clock.minutes < closes && occurs(clock.yesterday, clock.yesterdayWeekday);
}

/** The wall-clock facts of one instant in one zone. */
interface LocalClock {
  today: CivilDay;
  weekday: Weekday;
  yesterday: CivilDay;
  yesterdayWeekday: Weekday;
  /** Minutes after local midnight. */
  minutes: number;
}

/**
 * The last instant asked about, per zone: a search asks the same question of every
 * service, so the zone arithmetic (the costly part) is done once per zone, not per rule.
 */
const lastClock = new Map<string, { instant: number; clock: LocalClock | undefined }>();

function localClock(zone: string, instant: number): LocalClock | undefined {
  const cached = lastClock.get(zone);
  if (cached && cached.instant === instant) return cached.clock;
  const local = DateTime.fromMillis(instant, { zone });
  let clock: LocalClock | undefined;
  if (local.isValid) {
    const today = { year: local.year, month: local.month, day: local.day };
    clock = {
      today,
      weekday: WEEKDAYS[local.weekday - 1] as Weekday,
      yesterday: dayPlus(today, -1),
      yesterdayWeekday: WEEKDAYS[(local.weekday + 5) % 7] as Weekday,
      minutes: local.hour * 60 + local.minute,
    };
  }
  if (lastClock.size > 64) lastClock.clear(); // zones are few; this only bounds a pathological caller
  lastClock.set(zone, { instant, clock });
  return clock;
}

export { WEEKDAYS };
