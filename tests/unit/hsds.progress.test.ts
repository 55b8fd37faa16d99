import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHsdsPackage, type HsdsProgress } from '../../src/shared/directory';
import { hsdsFiles, type SyntheticService } from '../helpers/hsds-package';

/** parseHsdsPackage tells how far it has got, for the console's progress bar; the result is the same either way. */
const FIXTURE = path.resolve(__dirname, '../fixtures/hsds-1x');
const legacyFiles = () => Object.fromEntries(readdirSync(FIXTURE).map((f) => [f, readFileSync(path.join(FIXTURE, f), 'utf8')]));

describe('parseHsdsPackage progress', () => {
  it('tells each table read, in order, then the joins; the result does not depend on listening', () => {
    const seen: HsdsProgress[] = [];
    const withProgress = parseHsdsPackage(legacyFiles(), { onProgress: (p) => seen.push(p) });
    const tables = seen.filter((p) => p.stage === 'tables');
    expect(tables.length).toBeGreaterThan(5);
    expect(tables.map((p) => p.done)).toEqual(tables.map((_, i) => i + 1));
    expect(tables.every((p) => p.total === tables.length)).toBe(true);
    expect(tables.map((p) => p.step)).toContain('read regular_schedules.csv');
    expect(seen.at(-1)).toMatchObject({ stage: 'joins' });
    expect(JSON.stringify(withProgress)).toBe(JSON.stringify(parseHsdsPackage(legacyFiles())));
  });

  it('counts the services checked on a large package, up to all of them', () => {
    const many: SyntheticService[] = Array.from({ length: 4100 }, (_, i) => ({ id: `s${i}`, name: `Service ${i}` }));
    const seen: HsdsProgress[] = [];
    parseHsdsPackage(hsdsFiles(many), { onProgress: (p) => seen.push(p) });
    expect(seen.filter((p) => p.stage === 'services').map((p) => [p.done, p.total])).toEqual([
      [2000, 4100],
      [4000, 4100],
    ]);
  });
});
