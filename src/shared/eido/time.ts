/**
 * RFC 3339 date-time handling for EIDO timestamps.
 *
 * `Date.parse` is not used directly: the ECMAScript date-time format requires exactly three
 * fractional digits, and engines differ on what else they accept. CAD systems send one
 * ("14:42:00.0-04:00", as in the NENA sample), three or six. A strict parser of our own
 * accepts exactly RFC 3339, on every engine, and rejects the rest with a clear error.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

export interface ParsedTimestamp {
  /** Milliseconds since the epoch (UTC), fractional digits past milliseconds dropped. */
  ms: number;
  /** Nanoseconds within the millisecond, so two stamps 0.1 ms apart still order. */
  subMsNanos: number;
  /** The instant as ISO 8601 in UTC (`2021-04-30T18:43:49.439Z`). */
  iso: string;
}

/** Parses an RFC 3339 date-time, or returns undefined when the text is not one. */
export function parseTimestamp(text: string): ParsedTimestamp | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  if (!validFields(year, month, day, hour, minute, second)) return undefined;
  const digits = (m[7] ?? '').padEnd(9, '0');
  const millis = Number(digits.slice(0, 3));
  const offsetMin = offsetMinutes(m[8] ?? 'Z');
  if (offsetMin === undefined) return undefined;
  // Date.UTC treats years 0..99 as 1900+; setUTCFullYear avoids that quirk.
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, Math.min(second, 59), millis));
  d.setUTCFullYear(year);
  const ms = d.getTime() - offsetMin * 60_000;
  if (!Number.isFinite(ms)) return undefined;
  return { ms, subMsNanos: Number(digits.slice(3)), iso: new Date(ms).toISOString() };
}

/** Orders two parsed timestamps: negative if a is earlier, positive if later. */
export function compareTimestamps(a: ParsedTimestamp, b: ParsedTimestamp): number {
  return a.ms - b.ms || a.subMsNanos - b.subMsNanos;
}

function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return false;
  return d <= daysInMonth(y, mo);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function offsetMinutes(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}
