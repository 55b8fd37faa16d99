import type { ReplicaStore } from './store/replica';
import type { SyncClient } from './sync/client';
import type { EventName, EventPayload, User } from '../../shared/contract';
import type { EligibilityRules } from '../../shared/eido';

/** What every service of the core shares: the store, the sync link, the clock, the signed-in user. */
export interface CoreContext {
  store: ReplicaStore;
  sync: SyncClient | null;
  workstation: string;
  now: () => Date;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  user(): User | null;
  audit(action: string, entity: string | null, entityId: string | null, detail?: unknown): void;
  config: { clinicianDirectLine: string | null; demo: boolean; eligibilityRules: EligibilityRules };
}

export function requireUser(ctx: CoreContext): User {
  const u = ctx.user();
  if (!u) throw new Error('No user is signed in');
  return u;
}
