import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import { importHsds, importHsdsText, writeProblemsCsv } from '../../src/server/import-hsds';
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

  it('imports what it can, reports every rejected and repaired row with file and line, and prints the per-table summary', async () => {
    const t = tempDir('tandem-hsds-');
    cleanups.push(t.cleanup);
    fs.writeFileSync(path.join(t.dir, 'organizations.csv'), 'id,name,description\norg-1,Harbor Clinic,Walk-in counselling\n');
    fs.writeFileSync(
      path.join(t.dir, 'services.csv'),
      'id,organization_id,name,status\nsvc-1,org-1,Crisis counselling,active\n,org-1,No id here,active\nsvc-3,org-missing,Orphan service,active\n',
    );
    fs.writeFileSync(path.join(t.dir, 'phones.csv'), 'id,service_id,number\nph-1,svc-1,555-0100\nph-2,svc-gone,555-0101\nph-3,svc-1,\n');
    const storage = openSqliteStorage(path.join(t.dir, 'server.db'));
    const report = await importHsds(storage, t.dir);
    await storage.close();
    // A row without an id gets one derived from its content; an unknown organization is repaired, not fatal.
    expect(report.added).toBe(3);
    expect(report.rejected.map((r) => `${r.file}:${r.line}`)).toEqual(['phones.csv:3', 'phones.csv:4']);
    expect(report.rejected[0].reason).toMatch(/svc-gone/);
    expect(report.warnings.map((w) => `${w.file}:${w.line}`)).toEqual(['services.csv:3', 'services.csv:4']);
    expect(report.summary.tables.find((x) => x.table === 'services')).toMatchObject({ read: 3, imported: 3, repaired: 2, rejected: 0 });
    const text = importHsdsText(t.dir, report);
    expect(text).toMatch(/^Imported 3 services from .* \(HSDS 3\): 3 added, 0 updated, 0 unchanged$/m);
    expect(text).toMatch(/^ {2}phones +3 +1 +0 +2 +0$/m);
    expect(text).toContain('rejected phones.csv: 1 × missing number (line 4)');
    expect(text).toContain("repaired services.csv: 1 × organization not in the package: imported with the organization unknown (line 4)");
    const problemsFile = path.join(t.dir, 'problems.csv');
    writeProblemsCsv(problemsFile, report.problems);
    expect(fs.readFileSync(problemsFile, 'utf8').trim().split('\n')).toEqual([
      'table,file,line,outcome,reason',
      "phones,phones.csv,3,rejected,service_id 'svc-gone' does not match any id in services.csv",
      'phones,phones.csv,4,rejected,missing number',
      expect.stringMatching(/^services,services\.csv,3,repaired,no id: 'svc-[0-9a-f]{20}' derived from the row's content$/),
      "services,services.csv,4,repaired,organization_id 'org-missing' matches no organization; imported with the organization unknown",
    ]);
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
