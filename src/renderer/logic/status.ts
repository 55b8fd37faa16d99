import type { LivePresence, SyncStatus } from '../../shared/contract';
import type { Presence, PresenceStatus } from '../../shared/entities';
import type { Role } from '../../shared/roles';
import { formatClock, plural } from './format';
import type { Tone } from './tone';

/** Whether the renderer can reach its workstation core at all (whatever carries the calls). */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface Chip {
  text: string;
  tone: Tone;
}

/**
 * The status bar's sync chips: the main state first, then pending / refused / last synced.
 * `null` status means the core has not reported one yet.
 */
export function syncChips(status: SyncStatus | null, connection: ConnectionState): Chip[] {
  if (connection === 'reconnecting') return [{ text: 'Console core unreachable — reconnecting', tone: 'danger' }];
  if (connection === 'connecting' && !status) return [{ text: 'Connecting…', tone: 'info' }];
  if (!status) return [{ text: 'Sync: not reported yet', tone: 'muted' }];
  const chips: Chip[] = [];
  switch (status.state) {
    case 'disabled':
      chips.push({ text: 'Standalone (no sync server)', tone: 'neutral' });
      break;
    case 'connecting':
      chips.push({ text: 'Connecting to sync server…', tone: 'info' });
      break;
    case 'online':
      chips.push({ text: 'Online', tone: 'ok' });
      break;
    case 'offline': {
      const since = formatClock(status.offlineSince);
      chips.push({ text: since ? `Offline since ${since}` : 'Offline', tone: 'warn' });
      break;
    }
    case 'error':
      chips.push({ text: `Sync error${status.error ? `: ${status.error}` : ''}`, tone: 'danger' });
      break;
    case 'failing':
      chips.push({ text: `Sync failing${status.error ? `: ${status.error}` : ''}`, tone: 'danger' });
      break;
  }
  if (status.pending > 0) chips.push({ text: `Pending ${plural(status.pending, 'change')}`, tone: status.state === 'online' ? 'info' : 'warn' });
  if (status.refused > 0) chips.push({ text: `Refused ${status.refused}`, tone: 'danger' });
  if (status.quarantined) chips.push({ text: `Set aside ${plural(status.quarantined, 'bad change')} from the server`, tone: 'warn' });
  if (status.state !== 'disabled') {
    const last = formatClock(status.lastSyncedAt);
    chips.push({ text: last ? `Last synced ${last}` : 'Never synced', tone: 'muted' });
  }
  return chips;
}

export const PRESENCE_LABELS: Record<PresenceStatus, string> = {
  available: 'available',
  on_call: 'on call',
  away: 'away',
  off_shift: 'off shift',
};

export const PRESENCE_ORDER: readonly PresenceStatus[] = ['available', 'on_call', 'away', 'off_shift'];

const PRESENCE_TONE: Record<PresenceStatus, Tone> = { available: 'ok', on_call: 'warn', away: 'warn', off_shift: 'muted' };

/**
 * One line for the status bar that says what F9 would do now. Who a live handoff rings is the
 * sync server's decision (clinician consoles connected, answering its heartbeat, with a window
 * open), so the chip follows that set (`live`), not the last availability someone set: a
 * clinician who signed out, whose console died or whose window is closed is not shown as
 * available. Among those F9 would ring, the most useful status first ("available — Chris
 * Okafor +1"). Without a sync server (a standalone console) the stored presence is all there is.
 */
export function clinicianChip(list: readonly Presence[], live: LivePresence | null, syncState?: SyncStatus['state'] | null): Chip {
  if (syncState === 'disabled') return standaloneChip(list);
  if (syncState !== 'online' || !live?.known) {
    return { text: 'Clinician: unknown while offline', tone: 'warn' };
  }
  if (!live.answerers.length) return { text: 'Clinician: none connected — F9 gives direct line', tone: 'danger' };
  const byId = new Map(list.map((p) => [p.id, p]));
  const ringing = live.answerers.map((a) => ({ name: a.name, status: byId.get(a.id)?.status ?? ('available' as PresenceStatus) }));
  for (const status of PRESENCE_ORDER) {
    const names = ringing.filter((r) => r.status === status).map((r) => r.name);
    if (!names.length) continue;
    const who = names.length > 1 ? `${names[0]} +${names.length - 1}` : names[0];
    const rest = ringing.length - names.length;
    const also = rest > 0 ? ` (+${rest} not available)` : '';
    if (status === 'available') return { text: `Clinician: available — ${who}${also}`, tone: 'ok' };
    return { text: `Clinician: ${PRESENCE_LABELS[status]} — ${who}${also}; F9 still rings`, tone: PRESENCE_TONE[status] };
  }
  return { text: 'Clinician: unknown', tone: 'muted' };
}

function standaloneChip(list: readonly Presence[]): Chip {
  if (!list.length) return { text: 'Clinician: none available', tone: 'danger' };
  for (const status of PRESENCE_ORDER) {
    const names = list.filter((p) => p.status === status).map((p) => p.name);
    if (names.length) {
      const who = names.length > 1 ? `${names[0]} +${names.length - 1}` : names[0];
      return { text: `Clinician: ${PRESENCE_LABELS[status]} — ${who}`, tone: PRESENCE_TONE[status] };
    }
  }
  return { text: 'Clinician: unknown', tone: 'muted' };
}

/** The clinician's direct line to offer when the handoff cannot go through: an available one first. */
export function fallbackDirectLine(list: readonly Presence[]): string | null {
  for (const status of PRESENCE_ORDER) {
    const p = list.find((x) => x.status === status && x.directLine);
    if (p?.directLine) return p.directLine;
  }
  return null;
}

export const ROLE_LABELS: Record<Role, string> = {
  dispatcher: 'Dispatcher',
  clinician: 'Clinician',
  supervisor: 'Supervisor',
  admin: 'Admin',
  program_manager: 'Program manager',
};

/** The role a demo role switch goes to. */
export function otherDemoRole(role: Role): Role {
  return role === 'dispatcher' ? 'clinician' : 'dispatcher';
}
