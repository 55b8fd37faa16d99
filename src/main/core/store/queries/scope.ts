import { ENTITIES, type EntityName } from '../../../../shared/entities';
import type { WriteHandle } from '../handles';

/**
 * Deletes every row of these replicated entities (a signed-in user's role may not receive them:
 * see ReplicaStore.adoptScope). Children before parents; the search index triggers follow.
 */
export function purgeEntities(w: WriteHandle, entities: readonly EntityName[]): number {
  const order: EntityName[] = ['case_event', 'referral', 'task', 'case', 'person', 'handoff', 'presence', 'incident', 'resource_service'];
  let n = 0;
  for (const e of order) {
    if (!entities.includes(e)) continue;
    n += Number(w.writer<[]>(`DELETE FROM ${ENTITIES[e].table}`).run().changes);
  }
  return n;
}
