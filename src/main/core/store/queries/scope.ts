import { ENTITIES, type EntityName } from '../../../../shared/entities';
import type { WriteHandle } from '../handles';

/**
 * Deletes every row of these replicated entities (a signed-in user's role may not receive them:
 * see ReplicaStore.adoptScope). Children before parents; the search index triggers follow.
 */
export function purgeEntities(w: WriteHandle, entities: readonly EntityName[]): number {
  const order: EntityName[] = ['case_event', 'referral', 'task', 'case', 'person', 'handoff', 'presence', 'incident', 'directory_suggestion', 'resource_service'];
  let n = 0;
  for (const e of order) {
    if (!entities.includes(e)) continue;
    n += Number(w.writer<[]>(`DELETE FROM ${ENTITIES[e].table}`).run().changes);
  }
  return n;
}

/**
 * Clears a withheld field (`entity.field`, see EntityDef.withheld) in every row that holds it;
 * the row stays. The field's clock goes back before every clock (''), so that a later pull of
 * the field (a role that receives it) sets it again instead of losing to the clock it had. Returns how many rows held it.
 */
export function clearField(w: WriteHandle, entity: EntityName, field: string): number {
  if (!(field in ENTITIES[entity].fields)) throw new Error(`${entity} has no field ${field}`);
  return Number(w.writer<[]>(`UPDATE ${ENTITIES[entity].table} SET ${field} = NULL, _clocks = json_set(_clocks, '$.${field}', '') WHERE ${field} IS NOT NULL`).run().changes);
}
