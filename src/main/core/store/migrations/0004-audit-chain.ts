import type { Migration } from '../../../../node/migrate';

/**
 * Issue 14: the console's audit entries are hash-chained (src/node/audit-chain.ts) and pushed
 * to the sync server, which verifies the chain per workstation. Entries written before this
 * migration have no place in the chain (seq NULL) and stay local.
 */
export const auditChain: Migration = {
  version: 4,
  name: 'audit chain',
  sql: `
    ALTER TABLE audit ADD COLUMN seq INTEGER;
    ALTER TABLE audit ADD COLUMN actor TEXT;
    ALTER TABLE audit ADD COLUMN prevHash TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    CREATE UNIQUE INDEX audit_seq ON audit(seq) WHERE seq IS NOT NULL;
  `,
};
