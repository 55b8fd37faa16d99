import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLES } from '../helpers/cli-bundles';
import { Handoff } from '../../src/shared/entities';
import type { PullResponse, PushResponse } from '../../src/shared/sync/protocol';
import pino from 'pino';
import { PostgresStorage } from '../../src/server/storage/postgres';
import { SyncEngine } from '../../src/server/sync';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { HEADER_MACHINE, HEADER_SECRET, HEADER_WORKSTATION } from '../../src/shared/sync/wire';
import { Client, http, incidentFields, newReplica, op, PASSWORD, signedIn, startServer, type Res, type Session, type TestServer } from './server-helpers';

/**
 * The sync server on PostgreSQL, and two instances of it on one database: what a console can
 * rely on whichever instance it reaches.
 */
let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
});
afterAll(() => cluster?.stop());
const open: TestServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const t of open.splice(0)) await t.cleanup();
});

async function instances(n: number, config: Parameters<typeof startServer>[0] = {}): Promise<TestServer[]> {
  const url = await cluster.createDatabase();
  const out: TestServer[] = [];
  for (let i = 0; i < n; i++) out.push(await startServer({ databaseUrl: url, ...config }));
  open.push(...out);
  return out;
}
const push = (t: TestServer, s: Session, ops: unknown[]) => http<PushResponse>(t.server.url, 'POST', '/v1/push', { headers: s.headers, body: { ops } });
const pull = async (t: TestServer, s: Session, cursor = 0) => (await http<PullResponse>(t.server.url, 'GET', `/v1/pull?cursor=${cursor}&limit=5000`, { headers: s.headers })).body;
const incidents = (replica: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => op(replica, from + i, 'incident', `inc-${replica}-${from + i}`, incidentFields(from + i)));

describe('the sync server on PostgreSQL', () => {
  it('enrolls, signs in, takes a push and hands it out, idempotently', async () => {
    const [a] = await instances(1);
    const dispatcher = await signedIn(a.server, 'dispatcher');
    const clinician = await signedIn(a.server, 'clinician');
    const r = newReplica();
    const batch = incidents(r, 1, 3);
    expect((await push(a, dispatcher, batch)).body).toMatchObject({ lastSeq: 3, applied: 3, skipped: 0, refused: [], cursor: 3 });
    expect((await push(a, dispatcher, batch)).body).toMatchObject({ lastSeq: 3, applied: 0, skipped: 3, cursor: 3 });
    const page = await pull(a, clinician);
    expect(page.ops.map((o) => [o.replica, o.seq, o.cursor])).toEqual([
      [r, 1, 1],
      [r, 2, 2],
      [r, 3, 3],
    ]);
    // as pushed, but for the author, which the server sets from the signed-in user, and CAD's
    // document, which a clinician's pulls leave out (she fetches it on demand: issue 13)
    const { eidoRaw: _withheld, ...forClinician } = batch[0].fields as Record<string, unknown>;
    expect(page.ops[0].fields).toEqual({ ...forClinician, createdBy: dispatcher.name });
  });

  it('two instances: the same batch pushed to both at once is applied once; each pulls the same log', async () => {
    const [a, b] = await instances(2);
    const dispatcher = await signedIn(a.server, 'dispatcher');
    const clinician = await signedIn(b.server, 'clinician');
    const r = newReplica();
    for (let round = 0; round < 5; round++) {
      const batch = incidents(r, round * 20 + 1, 20);
      const [x, y] = await Promise.all([push(a, dispatcher, batch), push(b, dispatcher, batch)]);
      expect([x.status, y.status]).toEqual([200, 200]);
      expect(x.body.applied + y.body.applied).toBe(20);
      expect(x.body.skipped + y.body.skipped).toBe(20);
    }
    const fromA = await pull(a, clinician);
    const fromB = await pull(b, clinician);
    expect(fromB).toEqual(fromA);
    expect(fromA.ops.map((o) => o.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('two instances: concurrent pushes from many consoles get one strictly increasing log, with no gaps a pull could skip', async () => {
    const [a, b] = await instances(2);
    const reader = await signedIn(a.server, 'supervisor');
    const consoles = await Promise.all(Array.from({ length: 6 }, (_, i) => signedIn((i % 2 ? b : a).server, 'dispatcher')));
    const replicas = consoles.map(() => newReplica());
    // A reader keeps pulling from its cursor while the pushes land: it must end with every op.
    let cursor = 0;
    const seen: string[] = [];
    let done = false;
    const reading = (async () => {
      for (;;) {
        const last = done;
        const page = await pull(a, reader, cursor);
        for (const o of page.ops) seen.push(`${o.replica}:${o.seq}`);
        cursor = page.cursor;
        if (last) return;
      }
    })();
    await Promise.all(
      consoles.map(async (s, i) => {
        for (let k = 0; k < 10; k++) {
          const res = await push(i % 2 ? b : a, s, incidents(replicas[i], k * 3 + 1, 3));
          expect(res.status).toBe(200);
        }
      }),
    );
    done = true;
    await reading;
    const expected = replicas.flatMap((r) => Array.from({ length: 30 }, (_, i) => `${r}:${i + 1}`));
    expect([...seen].sort()).toEqual([...expected].sort());
    const log = await pull(b, reader);
    const cursors = log.ops.map((o) => o.cursor);
    expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
    expect(new Set(cursors).size).toBe(180);
  });

  it('two instances: first accept wins when two clinicians on different instances accept at once', async () => {
    const [a, b] = await instances(2, { clinicianDirectLine: '555-0199' });
    const dispatcher = await signedIn(a.server, 'dispatcher', { name: 'Dana Dispatch' });
    const c1 = await signedIn(a.server, 'clinician', { name: 'Clinician A' });
    const c2 = await signedIn(b.server, 'clinician', { name: 'Clinician B' });
    const d = await Client.connect(a.server, dispatcher.headers);
    const onA = await Client.connect(a.server, c1.headers);
    const onB = await Client.connect(b.server, c2.headers);
    clients.push(d, onA, onB);
    const handoff = (res: Res) => {
      if (!res.ok) throw new Error(`${res.e.code}: ${res.e.message}`);
      return Handoff.parse(res.r);
    };
    for (let round = 0; round < 5; round++) {
      const id = `h-${round}`;
      handoff(await d.call('handoff.request', { id, incidentId: `inc-${id}`, mode: 'live', note: null }));
      const results = await Promise.all([onA.call('handoff.accept', { id }), onB.call('handoff.accept', { id })]);
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const won = handoff(winners[0]);
      const loser = results.find((r) => !r.ok)!;
      expect(loser).toMatchObject({ ok: false, e: { code: 'conflict', message: `Already accepted by ${won.acceptedByName}` } });
      const winner = won.acceptedBy === c1.userId ? onA : onB;
      handoff(await winner.call('handoff.complete', { id, outcome: 'resolved_by_phone', caseId: `case-${round}` }));
    }
  });

  it('keeps its data across a restart of every instance', async () => {
    const url = await cluster.createDatabase();
    const first = await startServer({ databaseUrl: url });
    const dispatcher = await signedIn(first.server, 'dispatcher');
    await push(first, dispatcher, incidents(newReplica(), 1, 4));
    await first.cleanup();
    const again = await startServer({ databaseUrl: url });
    open.push(again);
    const storage = await PostgresStorage.open(url);
    try {
      expect(await storage.transaction((tx) => tx.getCursor())).toBe(4);
    } finally {
      await storage.close();
    }
    expect((await pull(again, dispatcher)).ops).toHaveLength(4); // the session lives in the database too
  });
});

describe('a fleet enrolled through a site key, on PostgreSQL', () => {
  it('enrolls on one instance with a key made on the other, binds the machine, rotates and revokes across instances', async () => {
    const [a, b] = await instances(2);
    const { key } = await a.server.admin.addEnrollmentKey('dispatch-floor');
    const machineId = 'ab'.repeat(32);
    const enrolled = await http<{ workstationId: string; secret: string }>(b.server.url, 'POST', '/v1/enroll', { body: { key, name: 'desk 1', machineId } });
    expect(enrolled.status).toBe(200);
    const ws = { [HEADER_WORKSTATION]: enrolled.body.workstationId, [HEADER_SECRET]: enrolled.body.secret };
    await a.server.admin.addUser({ username: 'casey', password: PASSWORD, name: 'Casey', role: 'clinician' });
    const signIn = (t: TestServer, headers: Record<string, string>) => http(t.server.url, 'POST', '/v1/session', { headers, body: { username: 'casey', password: PASSWORD } });
    expect((await signIn(a, { ...ws, [HEADER_MACHINE]: machineId })).status).toBe(200);
    // The identity copied to another machine (a roaming profile) does not work there.
    const copied = await signIn(b, { ...ws, [HEADER_MACHINE]: 'cd'.repeat(32) });
    expect(copied.status).toBe(401);
    expect(JSON.stringify(copied.body)).toMatch(/belongs to another machine/);
    const [info] = await b.server.admin.listEnrollmentKeys();
    expect(info).toMatchObject({ name: 'dispatch-floor', uses: 1, revokedAt: null });

    // Rotated with no grace on one instance: the old key is refused on the other.
    const rotated = await b.server.admin.rotateEnrollmentKey('dispatch-floor', 0);
    expect(rotated.expiredOld).toBe(1);
    const stale = await http(a.server.url, 'POST', '/v1/enroll', { body: { key, name: 'desk 2' } });
    expect(stale.status).toBe(401);
    expect(JSON.stringify(stale.body)).toMatch(/rotated out/);
    expect((await http(a.server.url, 'POST', '/v1/enroll', { body: { key: rotated.key, name: 'desk 2' } })).status).toBe(200);

    // Revoked with its workstations: both keys of the name, and the machine enrolled with the first.
    const revoked = await a.server.admin.revokeEnrollmentKey('dispatch-floor', { workstations: true });
    expect(revoked.keys).toHaveLength(2);
    expect(revoked.workstations).toContain(enrolled.body.workstationId);
    expect((await signIn(b, { ...ws, [HEADER_MACHINE]: machineId })).status).toBe(401);
    expect((await http(b.server.url, 'POST', '/v1/enroll', { body: { key: rotated.key, name: 'desk 3' } })).status).toBe(401);
  });
});

describe('server-written ops across instances with skewed clocks', () => {
  it("a later decision by an instance whose clock is behind still wins over the other instance's earlier one", async () => {
    const url = await cluster.createDatabase();
    const [sa, sb] = [await PostgresStorage.open(url), await PostgresStorage.open(url)];
    try {
      const t0 = Date.now();
      const silent = pino({ level: 'silent' });
      const a = new SyncEngine(sa, { maxDriftMs: 300_000, now: () => t0, logger: silent });
      const b = new SyncEngine(sb, { maxDriftMs: 300_000, now: () => t0 - 1500, logger: silent }); // 1.5 s behind
      await a.init();
      await b.init();
      await sa.transaction((tx) => a.writeServerOp(tx, 'handoff', 'h1', { state: 'ringing' }));
      await sb.transaction((tx) => b.writeServerOp(tx, 'handoff', 'h1', { state: 'accepted' }));
      expect((await sa.transaction((tx) => tx.getEntity('handoff', 'h1')))?.data).toMatchObject({ state: 'accepted' });
    } finally {
      await sa.close();
      await sb.close();
    }
  });
});

describe('pokes across instances (LISTEN/NOTIFY)', () => {
  const pokedTo = (c: Client, cursor: number, timeoutMs = 3000) => c.next((m) => m.t === 'poke' && m.cursor >= cursor, timeoutMs);

  it('a push to one instance pokes the consoles connected to the other', async () => {
    const [a, b] = await instances(2);
    const dispatcher = await signedIn(a.server, 'dispatcher');
    const clinician = await signedIn(b.server, 'clinician');
    const onB = await Client.connect(b.server, clinician.headers);
    clients.push(onB);
    const r = newReplica();
    for (let k = 0; k < 3; k++) {
      const poked = pokedTo(onB, k * 2 + 2);
      const res = await push(a, dispatcher, incidents(r, k * 2 + 1, 2));
      expect(res.body.cursor).toBe(k * 2 + 2);
      await poked;
      // and what it then pulls from its own instance is there
      expect((await pull(b, clinician, k * 2)).ops.map((o) => o.seq)).toEqual([k * 2 + 1, k * 2 + 2]);
    }
  });

  it('keeps poking after its LISTEN connection is cut, catching up on what it missed', async () => {
    const [a, b] = await instances(2);
    const dispatcher = await signedIn(a.server, 'dispatcher');
    const clinician = await signedIn(b.server, 'clinician');
    const onB = await Client.connect(b.server, clinician.headers);
    clients.push(onB);
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    try {
      const cut = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tandem-server listen'");
      expect(cut.rowCount).toBeGreaterThanOrEqual(2);
      const r = newReplica();
      const poked = pokedTo(onB, 5, 8000);
      expect((await push(a, dispatcher, incidents(r, 1, 5))).status).toBe(200);
      await poked;
      const later = pokedTo(onB, 6, 8000);
      expect((await push(a, dispatcher, incidents(r, 6, 1))).status).toBe(200);
      await later;
    } finally {
      await admin.end();
    }
  });
});

describe('npm run server -- … --database', () => {
  it('runs the admin commands on PostgreSQL, from --database or TANDEM_DATABASE_URL, and says what is wrong', { timeout: 180_000 }, async () => {
    const { spawnSync } = await import('node:child_process');
    const url = await cluster.createDatabase();
    const cli = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [CLI_BUNDLES.server, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, TANDEM_LOG_LEVEL: 'silent', TANDEM_DATABASE_URL: '', ...env },
      });
    const add = cli(['user', 'add', 'maria', '--role', 'clinician', '--name', 'Maria Lopez', '--password', 'long enough pw', '--database', url]);
    expect(add.stderr).toBe('');
    expect(add.stdout).toContain('Added clinician maria (Maria Lopez)');
    const status = cli(['status'], { TANDEM_DATABASE_URL: url.replace('tandem@', 'tandem:pw@') });
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/users:\s+1/);
    expect(status.stdout).toContain(`data:          ${url.replace('tandem@', 'tandem:***@')}`);
    const backup = cli(['backup', '/tmp/x.db', '--database', url]);
    expect(backup.status).toBe(2);
    expect(backup.stderr).toMatch(/backup is for the SQLite database; on PostgreSQL use pg_dump/);
    const notPg = cli(['status', '--database', 'mysql://root@db/tandem']);
    expect(notPg.status).toBe(1);
    expect(notPg.stderr).toMatch(/--database takes a postgres:\/\/ or postgresql:\/\/ URL/);
    const both = cli(['status', '--database', url, '--data', '/tmp']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--data and --database are two different databases/);
  });
});
