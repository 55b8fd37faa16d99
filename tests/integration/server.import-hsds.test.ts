import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import { importHsds } from '../../src/server/import-hsds';
import { openSqliteStorage } from '../../src/server/storage/sqlite';
import { tempDir } from '../helpers/tmp';
import { requireReference } from '../../src/launch/reference-data';

/** `npm run server -- import-hsds <dir>`: the directory reaches clinician consoles by sync. */
const SAMPLE = requireReference(path.resolve(__dirname, '../..'), 'hsdsCsv');
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await cluster?.close();
  cleanups.splice(0).forEach((c) => c());
});

describe('server import-hsds', () => {
  it('imports the shipped example once; a clinician console finds it offline after sync', async () => {
    cluster = await startCluster();
    await cluster.addUser('chris', 'clinician');
    const dbFile = path.join(cluster.dir, 'server', 'tandem-server.db');
    await cluster.stopServer();
    const storage = openSqliteStorage(dbFile);
    const first = await importHsds(storage, SAMPLE);
    const second = await importHsds(storage, SAMPLE);
    const cursor = await storage.transaction((tx) => tx.getCursor(), { readOnly: true });
    await storage.close();
    expect(first).toMatchObject({ services: 1, added: 1, updated: 0, unchanged: 0 });
    // The same package again changes nothing and writes nothing to the change log.
    expect(second).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect(cursor).toBe(1);

    await cluster.restartServer();
    const chris = await cluster.console('clin', 'chris');
    const search = async () => ((await chris.call('directory.search', { text: 'counsel' })) as { rows: { name: string }[] }).rows.map((r) => r.name);
    await until(async () => (await search()).length > 0, 5000, 'the directory reaches the console');
    expect((await search()).join(' ')).toMatch(/Counsel/);
  });

  it('reports every rejected row with file and line, and imports the valid rows', async () => {
    const t = tempDir('tandem-hsds-');
    cleanups.push(t.cleanup);
    fs.writeFileSync(path.join(t.dir, 'organizations.csv'), 'id,name,description\norg-1,Harbor Clinic,Walk-in counselling\n');
    fs.writeFileSync(
      path.join(t.dir, 'services.csv'),
      'id,organization_id,name,status\nsvc-1,org-1,Crisis counselling,active\n,org-1,No id here,active\nsvc-3,org-missing,Orphan service,active\n',
    );
    const storage = openSqliteStorage(path.join(t.dir, 'server.db'));
    const report = await importHsds(storage, t.dir);
    await storage.close();
    expect(report.added).toBe(1);
    expect(report.rejected.map((r) => `${r.file}:${r.line}`)).toEqual(['services.csv:3', 'services.csv:4']);
    expect(report.rejected[1].reason).toMatch(/org-missing/);
  });

  it('refuses a folder without the required tables, naming it', async () => {
    const t = tempDir('tandem-hsds-');
    cleanups.push(t.cleanup);
    fs.writeFileSync(path.join(t.dir, 'services.csv'), 'id,organization_id,name\n');
    const storage = openSqliteStorage(path.join(t.dir, 'server.db'));
    await expect(importHsds(storage, t.dir)).rejects.toThrow(/organizations\.csv/);
    await storage.close();
  });
});
