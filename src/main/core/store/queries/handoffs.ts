import type { Handoff, Presence } from '../../../../shared/entities';
import type { ReadHandle } from '../handles';
import { fromStored, type Stored } from '../stored';

/** Handoffs under way, and those that ended at or after `endedSince`: newest first. */
export function liveHandoffs(r: ReadHandle, endedSince: string): Handoff[] {
  return r
    .statement<[string], Stored>("SELECT * FROM handoff WHERE state IN ('requested','ringing','accepted') OR endedAt >= ? ORDER BY requestedAt DESC")
    .all(endedSince)
    .map((row) => fromStored('handoff', row) as Handoff);
}

/** The latest 200 handoffs, newest first. */
export function recentHandoffs(r: ReadHandle): Handoff[] {
  return r
    .statement<[], Stored>('SELECT * FROM handoff ORDER BY requestedAt DESC LIMIT 200')
    .all()
    .map((row) => fromStored('handoff', row) as Handoff);
}

/** Every clinician's availability, by name. */
export function presenceByName(r: ReadHandle): Presence[] {
  return r
    .statement<[], Stored>('SELECT * FROM presence ORDER BY name')
    .all()
    .map((row) => fromStored('presence', row) as Presence);
}
