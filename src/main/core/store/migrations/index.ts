import type { Migration } from '../../../../node/migrate';
import { baseline } from './0001-baseline';
import { syncQuarantine } from './0002-sync-quarantine';
import { reportIndexes } from './0003-report-indexes';
import { auditChain } from './0004-audit-chain';
import { parkedOps } from './0005-parked-ops';
import { directorySuggestions } from './0006-directory-suggestions';
import { dropDirectoryFts } from './0007-drop-directory-fts';
import { reportOwnIndexes } from './0008-report-own-indexes';

/**
 * The case store's migrations, in order: one file each (NNNN-what.ts), added to this list.
 * Never edit one that has shipped: add the next.
 */
export const MIGRATIONS: readonly Migration[] = [
  baseline,
  syncQuarantine,
  reportIndexes,
  auditChain,
  parkedOps,
  directorySuggestions,
  dropDirectoryFts,
  reportOwnIndexes,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
