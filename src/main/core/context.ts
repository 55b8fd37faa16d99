import type { ReplicaStore } from './store/replica';
import type { SyncClient } from './sync/client';
import { RpcError, type EventName, type EventPayload, type User } from '../../shared/contract';
import type { EligibilityRules } from '../../shared/eido';
import type { CoreLog } from './log';

/** What every service of the core shares: the store, the sync link, the clock, the signed-in user. */
export interface CoreContext {
  store: ReplicaStore;
  sync: SyncClient | null;
  workstation: string;
  /** The core's one clock (injected: tests and benchmarks set it). Every time the core records comes from here. */
  now: () => Date;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  user(): User | null;
  audit(action: string, entity: string | null, entityId: string | null, detail?: unknown): void;
  log: CoreLog;
  config: { clinicianDirectLine: string | null; demo: boolean; eligibilityRules: EligibilityRules; priorityCodes: readonly string[] };
}

/**
 * The signed-in user. Without one the request is refused as unauthenticated (the UI asks to
 * sign in again), not as an internal error: the router checks the caller before a handler
 * runs, but the session can end while a handler is under way (a sign-out from another window
 * of the same console).
 */
export function requireUser(ctx: CoreContext): User {
  const u = ctx.user();
  if (!u) throw new RpcError('unauthenticated', 'No one is signed in on this console: sign in again');
  return u;
}
