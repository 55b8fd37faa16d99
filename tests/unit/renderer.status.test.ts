import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/shared/contract';
import { clinicianChip, fallbackDirectLine, otherDemoRole, syncChips } from '../../src/renderer/logic/status';
import { eligibilityBadge, invalidFields, moveSelection, openIncidentsNewestFirst } from '../../src/renderer/logic/incidents';
import { incident, presence } from './renderer.fixtures';

const base: SyncStatus = { state: 'online', offlineSince: null, pending: 0, refused: 0, lastSyncedAt: null, error: null, serverUrl: 'https://ecc' };

describe('sync chips', () => {
  it('online with last sync time', () => {
    const last = new Date(2025, 0, 1, 9, 41).toISOString();
    expect(syncChips({ ...base, lastSyncedAt: last }, 'connected')).toEqual([
      { text: 'Online', tone: 'ok' },
      { text: 'Last synced 09:41', tone: 'muted' },
    ]);
  });
  it('offline since, pending and refused', () => {
    const since = new Date(2025, 0, 1, 13, 55).toISOString();
    const chips = syncChips({ ...base, state: 'offline', offlineSince: since, pending: 3, refused: 1 }, 'connected');
    expect(chips.map((c) => c.text)).toEqual(['Offline since 13:55', 'Pending 3 changes', 'Refused 1', 'Never synced']);
    expect(chips[0].tone).toBe('warn');
    expect(chips[2].tone).toBe('danger');
  });
  it('one pending change is singular', () => {
    expect(syncChips({ ...base, pending: 1 }, 'connected')[1].text).toBe('Pending 1 change');
  });
  it('standalone console, error, unknown', () => {
    expect(syncChips({ ...base, state: 'disabled' }, 'connected')).toEqual([{ text: 'Standalone (no sync server)', tone: 'neutral' }]);
    expect(syncChips({ ...base, state: 'error', error: 'certificate expired' }, 'connected')[0]).toEqual({ text: 'Sync error: certificate expired', tone: 'danger' });
    expect(syncChips(null, 'connected')[0].tone).toBe('muted');
    // Sync that cannot progress never reads "online" (issue 13), and set-aside ops are counted.
    const failing = syncChips({ ...base, state: 'failing', error: 'the connection closed (code 1009: a message was larger than the limit)', quarantined: 2 }, 'connected');
    expect(failing[0]).toEqual({ text: 'Sync failing: the connection closed (code 1009: a message was larger than the limit)', tone: 'danger' });
    expect(failing.map((c) => c.text)).not.toContain('Online');
    expect(failing).toContainEqual({ text: 'Set aside 2 bad changes from the server', tone: 'warn' });
  });
  it('losing the console core outranks everything', () => {
    expect(syncChips(base, 'reconnecting')).toEqual([{ text: 'Console core unreachable — reconnecting', tone: 'danger' }]);
    expect(syncChips(null, 'connecting')[0].text).toBe('Connecting…');
  });
});

describe('clinician presence chip', () => {
  const live = (...names: [string, string][]) => ({ known: true, answerers: names.map(([id, name]) => ({ id, name })) });
  it('names only the clinicians F9 would ring, the available one first', () => {
    const list = [presence({ id: 'a', name: 'Sam Patel', status: 'away' }), presence({ id: 'b', name: 'Chris Okafor', status: 'available' })];
    expect(clinicianChip(list, live(['a', 'Sam Patel'], ['b', 'Chris Okafor']), 'online')).toEqual({ text: 'Clinician: available — Chris Okafor (+1 not available)', tone: 'ok' });
    expect(clinicianChip(list, live(['b', 'Chris Okafor']), 'online')).toEqual({ text: 'Clinician: available — Chris Okafor', tone: 'ok' });
  });
  it('never says available for a clinician whose console is gone (signed out, killed, window closed)', () => {
    // The stored row still says "available"; the server rings nobody, and the chip says so.
    const list = [presence({ id: 'b', name: 'Chris Okafor', status: 'available' }), presence({ id: 'c', name: 'Alex Clinician', status: 'available' })];
    expect(clinicianChip(list, live(), 'online')).toEqual({ text: 'Clinician: none connected — F9 gives direct line', tone: 'danger' });
    expect(clinicianChip(list, live(['c', 'Alex Clinician']), 'online').text).toBe('Clinician: available — Alex Clinician');
  });
  it('a connected clinician with no presence row yet is what F9 rings (a fresh demo)', () => {
    expect(clinicianChip([], live(['c', 'Alex Clinician']), 'online')).toEqual({ text: 'Clinician: available — Alex Clinician', tone: 'ok' });
  });
  it('says F9 still rings a clinician who is on call or away', () => {
    const list = [presence({ id: 'a', name: 'A', status: 'on_call' }), presence({ id: 'b', name: 'B', status: 'on_call' })];
    expect(clinicianChip(list, live(['a', 'A'], ['b', 'B']), 'online')).toEqual({ text: 'Clinician: on call — A +1; F9 still rings', tone: 'warn' });
  });
  it('says it cannot know while this console is offline, whatever was last stored', () => {
    const chip = { text: 'Clinician: unknown while offline', tone: 'warn' };
    expect(clinicianChip([presence()], live(['p1', 'Chris Okafor']), 'offline')).toEqual(chip);
    expect(clinicianChip([presence()], live(['p1', 'Chris Okafor']), 'error')).toEqual(chip);
    expect(clinicianChip([presence()], { known: false, answerers: [] }, 'online')).toEqual(chip);
    expect(clinicianChip([presence()], null, 'online')).toEqual(chip);
  });
  it('a standalone console goes by its own stored presence', () => {
    expect(clinicianChip([presence({ status: 'off_shift' })], null, 'disabled').text).toBe('Clinician: off shift — Chris Okafor');
    expect(clinicianChip([], null, 'disabled')).toEqual({ text: 'Clinician: none available', tone: 'danger' });
  });
  it('fallback direct line prefers an available clinician', () => {
    const list = [presence({ id: 'a', status: 'away', directLine: '111' }), presence({ id: 'b', status: 'available', directLine: '222' })];
    expect(fallbackDirectLine(list)).toBe('222');
    expect(fallbackDirectLine([presence({ directLine: null })])).toBeNull();
  });
  it('role switch goes dispatcher ↔ clinician', () => {
    expect(otherDemoRole('dispatcher')).toBe('clinician');
    expect(otherDemoRole('clinician')).toBe('dispatcher');
    expect(otherDemoRole('supervisor')).toBe('dispatcher');
  });
});

describe('incident helpers', () => {
  it('open incidents, newest first', () => {
    const list = [
      incident({ id: 'a', createdAt: '2025-01-01T10:00:00.000Z' }),
      incident({ id: 'b', createdAt: '2025-01-01T12:00:00.000Z' }),
      incident({ id: 'c', createdAt: '2025-01-01T11:00:00.000Z', status: 'closed' }),
      incident({ id: 'd', createdAt: '2025-01-01T11:00:00.000Z' }),
    ];
    expect(openIncidentsNewestFirst(list).map((i) => i.id)).toEqual(['b', 'd', 'a']);
  });
  it('eligibility badge with reasons and exclusions', () => {
    expect(eligibilityBadge(incident())).toBeNull();
    expect(eligibilityBadge(incident({ eligibility: { eligible: true, reasons: ['Suicidal ideation, no weapon'], exclusions: [] } }))).toEqual({
      text: 'Clinician could take this',
      tone: 'ok',
      reasons: ['Suicidal ideation, no weapon'],
      exclusions: [],
      ignored: [],
    });
    const ignored = ['Not counted: "weapon*" in notes — negated by “no” in “no weapons known”'];
    expect(eligibilityBadge(incident({ eligibility: { eligible: true, reasons: ['Welfare check'], exclusions: [], ignored } }))?.ignored).toEqual(ignored);
    expect(eligibilityBadge(incident({ eligibility: { eligible: false, reasons: [], exclusions: ['Weapon reported'] } }))?.tone).toBe('warn');
    expect(eligibilityBadge(incident({ eligibility: { eligible: false, reasons: [], exclusions: [] } }))).toMatchObject({
      text: 'No clinician criteria matched',
      tone: 'muted',
    });
  });
  it('moves the selection, clamped', () => {
    const ids = ['a', 'b', 'c'];
    expect(moveSelection(ids, null, 1)).toBe('a');
    expect(moveSelection(ids, null, -1)).toBe('c');
    expect(moveSelection(ids, 'a', 1)).toBe('b');
    expect(moveSelection(ids, 'c', 1)).toBe('c');
    expect(moveSelection(ids, 'a', -1)).toBe('a');
    expect(moveSelection(ids, 'gone', 1)).toBe('a');
    expect(moveSelection([], 'a', 1)).toBeNull();
  });
  it('reads the fields a bad_request names', () => {
    expect(invalidFields([{ path: ['type'], message: 'Type is required' }, { path: ['location'] }, { path: ['type'] }])).toEqual(['type', 'location']);
    expect(invalidFields('nope')).toEqual([]);
    expect(invalidFields([{ path: [] }, null])).toEqual([]);
  });
});
