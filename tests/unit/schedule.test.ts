import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHsdsPackage } from '../../src/shared/directory/hsds';
import { isOpenAt, parseClockTime, parseTimezone } from '../../src/shared/directory/schedule';
import { describeOpen, matchesQuery, rankServices } from '../../src/shared/directory/search';
import type { ResourceService, ScheduleRule } from '../../src/shared/directory/types';
import { requireReference } from '../../src/launch/reference-data';

function rule(partial: Partial<ScheduleRule>): ScheduleRule {
  return { id: partial.id ?? 'r1', freq: 'WEEKLY', byday: [], byweekno: [], bymonthday: [], byyearday: [], ...partial };
}

const at = (iso: string) => new Date(iso);
const NY = 'America/New_York';

describe('isOpenAt', () => {
  const weekdays = rule({ byday: ['MO', 'TU', 'WE', 'TH', 'FR'], opensAt: '09:00', closesAt: '17:00' });

  it('is open inside the hours and closed outside, in the given zone', () => {
    // Monday 2 June 2025; New York is UTC-4 (EDT).
    expect(isOpenAt([weekdays], at('2025-06-02T13:00:00Z'), NY)).toBe(true); // 09:00 opening minute
    expect(isOpenAt([weekdays], at('2025-06-02T12:59:59Z'), NY)).toBe(false); // 08:59:59
    expect(isOpenAt([weekdays], at('2025-06-02T20:59:00Z'), NY)).toBe(true); // 16:59
    expect(isOpenAt([weekdays], at('2025-06-02T21:00:00Z'), NY)).toBe(false); // 17:00, closing is exclusive
    expect(isOpenAt([weekdays], at('2025-06-07T15:00:00Z'), NY)).toBe(false); // Saturday 11:00
  });

  it('uses UTC when neither the rule nor the caller names a zone (HSDS default)', () => {
    expect(isOpenAt([weekdays], at('2025-06-02T09:30:00Z'))).toBe(true);
    expect(isOpenAt([weekdays], at('2025-06-02T17:30:00Z'))).toBe(false);
  });

  it("prefers the rule's own zone over the caller's", () => {
    const moscow = rule({ ...weekdays, timezone: 'UTC+03:00' });
    expect(isOpenAt([moscow], at('2025-06-02T06:30:00Z'), NY)).toBe(true); // 09:30 at UTC+3
    expect(isOpenAt([moscow], at('2025-06-02T14:30:00Z'), NY)).toBe(false); // 17:30 at UTC+3
  });

  it('follows daylight saving time in an IANA zone', () => {
    // Friday 7 March 2025 is EST (UTC-5); Monday 10 March is EDT (UTC-4).
    expect(isOpenAt([weekdays], at('2025-03-07T14:00:00Z'), NY)).toBe(true); // 09:00 EST
    expect(isOpenAt([weekdays], at('2025-03-07T13:30:00Z'), NY)).toBe(false); // 08:30 EST
    expect(isOpenAt([weekdays], at('2025-03-10T13:00:00Z'), NY)).toBe(true); // 09:00 EDT
    expect(isOpenAt([weekdays], at('2025-03-10T21:30:00Z'), NY)).toBe(false); // 17:30 EDT
  });

  describe('closing past midnight', () => {
    const lateNight = rule({ byday: ['FR', 'SA'], opensAt: '22:00', closesAt: '02:00' });
    it.each([
      ['Friday 21:59', '2025-06-06T21:59:00Z', false],
      ['Friday 22:00', '2025-06-06T22:00:00Z', true],
      ['Saturday 01:30 (Friday night)', '2025-06-07T01:30:00Z', true],
      ['Saturday 02:00', '2025-06-07T02:00:00Z', false],
      ['Saturday 12:00', '2025-06-07T12:00:00Z', false],
      ['Sunday 01:00 (Saturday night)', '2025-06-08T01:00:00Z', true],
      ['Monday 01:00 (no Sunday night)', '2025-06-09T01:00:00Z', false],
      ['Thursday 23:00', '2025-06-05T23:00:00Z', false],
    ])('%s → %s', (_label, iso, expected) => {
      expect(isOpenAt([lateNight], at(iso), 'UTC')).toBe(expected);
    });

    it('treats equal opening and closing times, or 00:00–24:00, as 24 hours', () => {
      const allDay = rule({ opensAt: '00:00', closesAt: '00:00' });
      const midnightToMidnight = rule({ byday: ['SU'], opensAt: '00:00', closesAt: '24:00' });
      for (const iso of ['2025-06-01T00:00:00Z', '2025-06-01T12:00:00Z', '2025-06-01T23:59:59Z']) {
        expect(isOpenAt([allDay], at(iso))).toBe(true);
        expect(isOpenAt([midnightToMidnight], at(iso))).toBe(true);
      }
      expect(isOpenAt([midnightToMidnight], at('2025-06-02T00:00:00Z'))).toBe(false);
    });
  });

  it('returns null, not false, when there is no schedule', () => {
    expect(isOpenAt([], at('2025-06-02T13:00:00Z'), NY)).toBeNull();
    expect(isOpenAt(undefined, at('2025-06-02T13:00:00Z'), NY)).toBeNull();
    expect(isOpenAt(null, at('2025-06-02T13:00:00Z'))).toBeNull();
  });

  it('returns null when the schedules only describe the hours in words', () => {
    const wordsOnly = rule({ byday: ['MO'], description: 'Mornings, call ahead' });
    expect(isOpenAt([wordsOnly], at('2025-06-02T13:00:00Z'), NY)).toBeNull();
  });

  describe('valid_from / valid_to', () => {
    const spring = rule({ ...weekdays, validFrom: '2025-03-01', validTo: '2025-05-31' });
    it('applies within the dates, both inclusive', () => {
      expect(isOpenAt([spring], at('2025-03-03T10:00:00Z'))).toBe(true); // Monday 3 March
      expect(isOpenAt([spring], at('2025-05-30T10:00:00Z'))).toBe(true); // Friday 30 May
      expect(isOpenAt([spring], at('2025-05-31T10:00:00Z'))).toBe(false); // Saturday, still in force
    });
    it('is unknown outside the dates when nothing else is in force', () => {
      expect(isOpenAt([spring], at('2025-02-28T10:00:00Z'))).toBeNull();
      expect(isOpenAt([spring], at('2025-06-02T10:00:00Z'))).toBeNull();
    });
    it('lets another rule in force decide', () => {
      const summerHours = rule({ id: 'r2', byday: ['MO'], opensAt: '12:00', closesAt: '14:00', validFrom: '2025-06-01' });
      expect(isOpenAt([spring, summerHours], at('2025-06-02T10:00:00Z'))).toBe(false);
      expect(isOpenAt([spring, summerHours], at('2025-06-02T13:00:00Z'))).toBe(true);
    });
    it('keeps a late opening that started on the last valid day', () => {
      const last = rule({ opensAt: '22:00', closesAt: '03:00', validTo: '2025-05-31' });
      expect(isOpenAt([last], at('2025-06-01T01:00:00Z'))).toBe(true);
      expect(isOpenAt([last], at('2025-06-01T04:00:00Z'))).toBeNull();
    });
  });

  it('handles MONTHLY rules with ordinal weekdays and month days', () => {
    const secondMonday = rule({ freq: 'MONTHLY', byday: ['2MO'], opensAt: '18:00', closesAt: '20:00' });
    expect(isOpenAt([secondMonday], at('2025-06-09T19:00:00Z'))).toBe(true); // 9 June is the 2nd Monday
    expect(isOpenAt([secondMonday], at('2025-06-02T19:00:00Z'))).toBe(false);
    const lastFriday = rule({ freq: 'MONTHLY', byday: ['-1FR'], opensAt: '10:00', closesAt: '12:00' });
    expect(isOpenAt([lastFriday], at('2025-06-27T11:00:00Z'))).toBe(true);
    expect(isOpenAt([lastFriday], at('2025-06-20T11:00:00Z'))).toBe(false);
    const firstOfMonth = rule({ freq: 'MONTHLY', bymonthday: [1], opensAt: '08:00', closesAt: '12:00' });
    expect(isOpenAt([firstOfMonth], at('2025-07-01T09:00:00Z'))).toBe(true);
    expect(isOpenAt([firstOfMonth], at('2025-07-02T09:00:00Z'))).toBe(false);
  });

  it('handles a fortnightly interval counted from dtstart', () => {
    const fortnightly = rule({ byday: ['TU'], interval: 2, dtstart: '2025-06-03', opensAt: '10:00', closesAt: '11:00' });
    expect(isOpenAt([fortnightly], at('2025-06-03T10:30:00Z'))).toBe(true);
    expect(isOpenAt([fortnightly], at('2025-06-10T10:30:00Z'))).toBe(false);
    expect(isOpenAt([fortnightly], at('2025-06-17T10:30:00Z'))).toBe(true);
    // Without an anchor the interval cannot be placed: unknown.
    expect(isOpenAt([rule({ ...fortnightly, dtstart: undefined })], at('2025-06-17T10:30:00Z'))).toBeNull();
  });

  it('rejects an invalid instant or zone', () => {
    expect(() => isOpenAt([weekdays], new Date('nope'))).toThrow(RangeError);
    expect(() => isOpenAt([weekdays], at('2025-06-02T13:00:00Z'), 'Mars/Olympus_Mons')).toThrow(/time zone/);
  });
});

describe('time and zone parsing', () => {
  it.each([
    ['09:00', '09:00', undefined],
    ['9:00:00', '09:00', undefined],
    ['0930', '09:30', undefined],
    ['09:00Z', '09:00', 'UTC'],
    ['09:00-05:00', '09:00', 'UTC-05:00'],
    ['17:30+0530', '17:30', 'UTC+05:30'],
    ['9am', '09:00', undefined],
    ['5:30 pm', '17:30', undefined],
    ['12am', '00:00', undefined],
    ['24:00', '24:00', undefined],
  ])('parseClockTime(%s)', (text, hhmm, zone) => {
    const parsed = parseClockTime(text);
    expect(parsed?.hhmm).toBe(hhmm);
    expect(parsed?.zone).toBe(zone);
  });

  it.each(['25:00', '9', 'noon', '12:60', '24:30', ''])('parseClockTime rejects %j', (text) => {
    expect(parseClockTime(text)).toBeUndefined();
  });

  it.each([
    ['3', 'UTC+03:00'],
    ['-5', 'UTC-05:00'],
    ['5.5', 'UTC+05:30'],
    ['0', 'UTC'],
    ['+05:30', 'UTC+05:30'],
    ['UTC-4', 'UTC-04:00'],
    ['America/Chicago', 'America/Chicago'],
    ['nowhere', undefined],
    ['99', undefined],
  ])('parseTimezone(%j) → %s', (text, zone) => {
    expect(parseTimezone(text)).toBe(zone);
  });
});

describe('schedules imported from HSDS', () => {
  const CSV_DIR = requireReference(join(__dirname, '..', '..'), 'hsdsCsv');
  const shipped = () => Object.fromEntries(readdirSync(CSV_DIR).map((f) => [f, readFileSync(join(CSV_DIR, f), 'utf8')]));

  it('the shipped example schedule was in force on 2005-01-01 only, and never occurs on it', () => {
    const [service] = parseHsdsPackage(shipped()).services;
    expect(isOpenAt(service.schedules, at('2005-01-01T10:00:00Z'))).toBe(false);
    expect(isOpenAt(service.schedules, at('2025-06-05T10:00:00Z'))).toBeNull();
  });

  it('reads byday/opens_at/closes_at/timezone from schedules.csv and answers open-now', () => {
    const all = shipped();
    const header = all['schedules.csv'].split(/\r?\n/)[0];
    const cols = header.split(',');
    const line = (values: Record<string, string>) => cols.map((c) => (values[c]?.includes(',') ? `"${values[c]}"` : (values[c] ?? ''))).join(',');
    const sid = 'ac148810-d857-441c-9679-408f346de14b';
    const schedules = [
      header,
      line({ id: 's-week', service_id: sid, freq: 'WEEKLY', byday: 'MO,TU,WE,TH,FR', opens_at: '09:00', closes_at: '17:00' }),
      line({ id: 's-sat', service_id: sid, freq: 'WEEKLY', byday: 'SA', opens_at: '10:00-05:00', closes_at: '14:00-05:00' }),
    ].join('\n');
    const [service] = parseHsdsPackage({ ...all, 'schedules.csv': schedules }).services;
    expect(service.schedules.map((s) => [s.id, s.byday, s.opensAt, s.closesAt, s.timezone])).toEqual([
      ['s-sat', ['SA'], '10:00', '14:00', 'UTC-05:00'],
      ['s-week', ['MO', 'TU', 'WE', 'TH', 'FR'], '09:00', '17:00', undefined],
    ]);
    const chicago = 'America/Chicago'; // UTC-5 in June
    expect(isOpenAt(service.schedules, at('2025-06-02T14:30:00Z'), chicago)).toBe(true); // Mon 09:30
    expect(isOpenAt(service.schedules, at('2025-06-02T23:30:00Z'), chicago)).toBe(false); // Mon 18:30
    expect(isOpenAt(service.schedules, at('2025-06-07T15:30:00Z'), chicago)).toBe(true); // Sat 10:30 at UTC-5
    expect(isOpenAt(service.schedules, at('2025-06-08T15:30:00Z'), chicago)).toBe(false); // Sunday

    const mondayEvening = at('2025-06-02T23:30:00Z');
    expect(matchesQuery(service, { openNow: true, at: mondayEvening, timezone: chicago })).toBe(false);
    expect(matchesQuery(service, { openNow: true, at: at('2025-06-02T14:30:00Z'), timezone: chicago })).toBe(true);
  });

  it('ranks known-open services above unknown above closed', () => {
    const base: ResourceService = parseHsdsPackage(shipped()).services[0];
    const make = (id: string, name: string, schedules: ScheduleRule[]): ResourceService => ({ ...base, id, name, schedules, timezone: undefined, assuredDate: '2025-05-01' });
    const open = make('a', 'Zeta Counselling', [rule({ opensAt: '00:00', closesAt: '00:00' })]);
    const unknown = make('b', 'Alpha Counselling', []);
    const closed = make('c', 'Beta Counselling', [rule({ byday: ['SU'], opensAt: '09:00', closesAt: '10:00' })]);
    const ranked = rankServices([closed, unknown, open], { need: 'mental health', at: at('2025-06-02T12:00:00Z') });
    expect(ranked.map((r) => [r.service.name, r.open])).toEqual([
      ['Zeta Counselling', true],
      ['Alpha Counselling', null],
      ['Beta Counselling', false],
    ]);
    // Open now means known to be open: unknown hours are "hours unknown", not "open now".
    expect(rankServices([closed, unknown, open], { openNow: true, at: at('2025-06-02T12:00:00Z') }).map((r) => r.service.id)).toEqual(['a']);
    expect(matchesQuery(unknown, { openNow: true, at: at('2025-06-02T12:00:00Z') })).toBe(false);
    expect([true, false, null].map(describeOpen)).toEqual(['open now', 'closed now', 'hours unknown']);
  });
});
