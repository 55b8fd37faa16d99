import type { Migration } from '../../../../node/migrate';
import { baseline } from './0001-baseline';
import { reportIndexes } from './0002-report-indexes';

/**
 * The case store's migrations, in order: one file each (NNNN-what.ts), added to this list.
 * Never edit one that has shipped: add the next.
 */
export const MIGRATIONS: readonly Migration[] = [baseline, reportIndexes];

export const SCHEMA_VERSION = MIGRATIONS.length;
