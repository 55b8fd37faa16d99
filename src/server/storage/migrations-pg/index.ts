import type { Migration } from '../../../node/migrate';
import { baseline } from './0001-baseline';
import { rowAuthors } from './0002-row-authors';
import { enrollmentKeys } from './0003-enrollment-keys';
import { accessControl } from './0004-access-control';
import { mfa } from './0005-mfa';
import { programManager } from './0006-program-manager';

/**
 * The PostgreSQL server database's migrations, in order: one file each (NNNN-what.ts), added
 * to this list, numbered on their own (a change to the server schema adds one here and one in
 * ../migrations for SQLite). Never edit one that has shipped: add the next.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [baseline, rowAuthors, enrollmentKeys, accessControl, mfa, programManager];
