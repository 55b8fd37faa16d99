import type { Migration } from '../../../../node/migrate';
import { baseline } from './0001-baseline';

/**
 * The case store's migrations, in order: one file each (NNNN-what.ts), added to this list.
 * Never edit one that has shipped: add the next.
 */
export const MIGRATIONS: readonly Migration[] = [baseline];

export const SCHEMA_VERSION = MIGRATIONS.length;
