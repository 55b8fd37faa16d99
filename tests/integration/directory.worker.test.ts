import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOnWorker, workerModule } from '../../src/main/core/services/directory';
import { PackageError } from '../../src/main/core/services/hsds-package';
import { tempDir } from '../helpers/tmp';

/** The directory import's worker thread: the parse happens there, and a worker that cannot load falls back to the main thread. */
const FIXTURE = path.resolve(__dirname, '../fixtures/hsds-1x');
let t: ReturnType<typeof tempDir> | null = null;
afterEach(() => {
  t?.cleanup();
  t = null;
});

describe('parseOnWorker', () => {
  it('parses on the worker, telling its progress, with the same result as the reader on this thread', async () => {
    const mod = workerModule();
    expect(mod?.kind).toBe('ts');
    const stages: string[] = [];
    const fellBack: string[] = [];
    const result = await parseOnWorker(FIXTURE, (p) => stages.push(p.stage), (why) => fellBack.push(why), mod)!;
    expect(fellBack).toEqual([]);
    expect(result.summary.layout).toBe('HSDS 1.x/2.x');
    expect(result.services.map((s) => s.id).sort()).toHaveLength(5);
    expect(stages).toEqual(expect.arrayContaining(['reading', 'tables', 'joins']));
  });

  it('falls back to this thread when the worker code cannot load, saying why', async () => {
    t = tempDir('tandem-worker-');
    const broken = path.join(t.dir, 'hsds-worker.cjs');
    fs.writeFileSync(broken, "throw new Error('cannot load this here');\n");
    const fellBack: string[] = [];
    const result = await parseOnWorker(FIXTURE, () => undefined, (why) => fellBack.push(why), { file: broken, kind: 'cjs', from: broken })!;
    expect(fellBack).toEqual([expect.stringMatching(/cannot load this here/)]);
    expect(result.services).toHaveLength(5);
  });

  it('a package that cannot be imported is refused as such, not as a failure of the thread', async () => {
    t = tempDir('tandem-worker-');
    fs.writeFileSync(path.join(t.dir, 'services.csv'), 'id,organization_id,name\ns1,o1,Thing\n');
    const err = await parseOnWorker(t.dir, () => undefined, () => undefined)!.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackageError);
    expect((err as Error).message).toMatch(/cannot be imported: .*organizations/);
  });
});
