import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DRIFT_MS } from '../../src/server/app';
import { EidoIntake } from '../../src/server/eido';
import { openSqliteStorage } from '../../src/server/storage/sqlite';
import { SyncEngine } from '../../src/server/sync';
import { DEFAULT_ELIGIBILITY_RULES } from '../../src/shared/eido/default-rules';
import { tempDir } from '../helpers/tmp';
import { sample } from '../unit/eido.fixtures';
import { startCluster } from '../helpers/cluster';

/** The server's strict mode (a site's policy): a document Tandem would repair is refused instead, with the same problems. */
const t = tempDir('tandem-eido-strict-');
const storage = openSqliteStorage(path.join(t.dir, 'server.db'));
afterAll(async () => {
  await storage.close();
  t.cleanup();
});

async function intake(strict: boolean): Promise<EidoIntake> {
  const sync = new SyncEngine(storage, { maxDriftMs: DEFAULT_MAX_DRIFT_MS, now: Date.now, logger: pino({ level: 'silent' }) });
  await sync.init();
  return new EidoIntake({ storage, sync, rules: DEFAULT_ELIGIBILITY_RULES, logger: pino({ level: 'silent' }), now: Date.now, committed: () => undefined, strict });
}

function misnamed(suffix: string): Buffer {
  const doc = sample();
  doc.$id = `urn:emergency:uid:incidentid:${suffix}:bcf.state.pa.us`;
  doc.EIDOVersion = doc.eidoVersion;
  delete doc.eidoVersion;
  return Buffer.from(JSON.stringify(doc));
}

describe('EIDO intake strict mode', () => {
  it('refuses a repairable document (422) naming each problem, and keeps it for review', async () => {
    const raw = misnamed('strict');
    const res = await (await intake(true)).ingest({ raw, bytes: raw.length }, { source: 'http', cadKey: 'cad-test' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'misnamed_key', path: 'EIDOVersion', problemCount: 1, reviewId: expect.any(Number) });
    expect(res.body).toMatchObject({ message: expect.stringMatching(/refused in strict mode/) });
    const [kept] = await storage.transaction((tx) => tx.listEidoRejections(1), { readOnly: true });
    expect(Buffer.from(kept!.raw).equals(raw)).toBe(true);
  });

  it('accepts the same document, repaired, when strict mode is off; and a clean one in either mode', async () => {
    const raw = misnamed('tolerant');
    const res = await (await intake(false)).ingest({ raw, bytes: raw.length }, { source: 'http', cadKey: 'cad-test' });
    expect(res).toMatchObject({ status: 201, body: { repaired: true, warningCount: 1 } });
    const clean = Buffer.from(JSON.stringify(sample()));
    expect((await (await intake(true)).ingest({ raw: clean, bytes: clean.length }, { source: 'http', cadKey: 'cad-test' })).status).toBe(201);
  });

  it('is the server\'s eidoStrict setting (serve --eido-strict): POST /eido then refuses a repairable document', async () => {
    for (const strict of [true, false]) {
      const cluster = await startCluster({ server: { eidoStrict: strict } });
      try {
        const key = await cluster.server.admin.addCadKey('cad-north');
        const res = await fetch(`${cluster.server.url}/eido`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: new Uint8Array(misnamed(`server-${strict}`)) });
        const body = (await res.json()) as { code?: string; repaired?: boolean };
        if (strict) expect([res.status, body.code]).toEqual([422, 'misnamed_key']);
        else expect([res.status, body.repaired]).toEqual([201, true]);
      } finally {
        await cluster.close();
      }
    }
  });
});
