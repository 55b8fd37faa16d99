import type { Migration } from '../../../../node/migrate';

/**
 * Issue 13: changes not yet pushed when another person signs in on the workstation are parked
 * under the person who made them (never pushed under another's session, never lost) and pushed
 * when she signs in again. The workstation then writes under a new replica id (the parked ops
 * keep their own id and sequence numbers, so the server sees no gap), which is why a refused op
 * is now kept with the replica it came from.
 */
export const parkedOps: Migration = {
  version: 5,
  name: 'parked ops of another signed-in person',
  sql: `
    CREATE TABLE parked_op (
      replica TEXT NOT NULL, seq INTEGER NOT NULL, hlc TEXT NOT NULL, entity TEXT NOT NULL,
      id TEXT NOT NULL, fields TEXT NOT NULL, author TEXT NOT NULL, parkedAt TEXT NOT NULL,
      PRIMARY KEY (replica, seq)) STRICT;
    CREATE INDEX parked_op_author ON parked_op(author, replica, seq);

    CREATE TABLE outbox_refused_new (
      replica TEXT NOT NULL, seq INTEGER NOT NULL, hlc TEXT NOT NULL, entity TEXT NOT NULL,
      id TEXT NOT NULL, fields TEXT NOT NULL, reason TEXT NOT NULL, refusedAt TEXT NOT NULL,
      PRIMARY KEY (replica, seq)) STRICT;
    INSERT INTO outbox_refused_new(replica, seq, hlc, entity, id, fields, reason, refusedAt)
      SELECT coalesce((SELECT value FROM meta WHERE key = 'replicaId'), ''), seq, hlc, entity, id, fields, reason, refusedAt
      FROM outbox_refused;
    DROP TABLE outbox_refused;
    ALTER TABLE outbox_refused_new RENAME TO outbox_refused;
  `,
};
