import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

/**
 * SQL stays behind the stores: a service that reaches for the connection fails lint. Each case
 * lints a line as if it lived at that path, without writing it anywhere.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function sqlMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('SQL outside the stores', () => {
  it.each([
    ['src/main/core/services/x.ts', "export const f = (ctx: { store: { db: { prepare(s: string): unknown } } }) => ctx.store.db.prepare('SELECT 1');"],
    ['src/main/core/x.ts', "export const f = (db: { exec(s: string): unknown }) => db.exec('DELETE FROM audit');"],
    ['src/main/core/services/x.ts', "export const f = (db: { pragma(s: string): unknown }) => db.pragma('cache_size = -1000');"],
    ['src/server/x.ts', "export const f = (db: { prepare(s: string): unknown }) => db.prepare('SELECT 1');"],
  ])('%s: %s is refused', async (file, code) => {
    expect((await sqlMessages(file, code)).join('\n')).toContain('SQL belongs in the store');
  });

  it.each([
    ['src/main/core/store/queries/x.ts', "export const f = (db: { prepare(s: string): unknown }) => db.prepare('SELECT 1');"],
    ['src/main/core/store/open.ts', "export const f = (db: { pragma(s: string): unknown }) => db.pragma('journal_mode = WAL');"],
    ['src/server/storage/x.ts', "export const f = (db: { exec(s: string): unknown }) => db.exec('BEGIN');"],
    ['src/main/core/services/x.ts', "export const f = (s: string) => /^\\d+$/.exec(s);"],
  ])('%s may use %s', async (file, code) => {
    expect(await sqlMessages(file, code)).toEqual([]);
  });
});
