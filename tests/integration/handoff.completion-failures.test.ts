import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core, type CoreConfig } from '../../src/main/core';
import type { CoreLog } from '../../src/main/core/log';
import { RpcError, type CaseRecord } from '../../src/shared/contract';
import type { Handoff } from '../../src/shared/entities';
import { randomKey, tempDir } from '../helpers/tmp';
import { startCluster, until } from '../helpers/cluster';
import { mentalHealthIncident } from '../unit/eido.fixtures';

/**
 * A handoff completion that fails, whatever the reason, is logged, audited and shown to the
 * clinician or kept for a retry: never dropped. (DESIGN.md: nothing typed is ever lost.)
 */
let t: ReturnType<typeof tempDir> | null = null;
let core: Core | null = null;
let cluster: Awaited<ReturnType<typeof startCluster>> | null = null;

afterEach(async () => {
  core?.close();
  core = null;
  t?.cleanup();
  t = null;
  await cluster?.close();
  cluster = null;
});

type Logged = { level: string; message: string; detail?: Record<string, unknown> };

/** A single demo console (no server) that logs into `logged`; `configure` adds to its config, given a temp folder. */
async function demoConsole(configure: (dir: string) => Partial<CoreConfig> = () => ({})): Promise<{ c: Core; logged: Logged[] }> {
  t = tempDir('tandem-completion-');
  const logged: Logged[] = [];
  const log: CoreLog = (level, message, detail) => logged.push({ level, message, detail });
  core = await createCore({ profileDir: path.join(t.dir, 'p'), key: randomKey(), demo: true, log, ...configure(t.dir) });
  return { c: core, logged };
}

/** A CAD incident, conferenced by the dispatcher and accepted by the clinician, who is signed in at the end. */
async function acceptedCadHandoff(c: Core): Promise<Handoff> {
  const ingested = c.cad.ingest(JSON.stringify(mentalHealthIncident()), 'test');
  if (!ingested.ok) throw new Error(ingested.message);
  await c.call('session.demoSignIn', { role: 'dispatcher' });
  const h = (await c.call('handoff.request', { incidentId: ingested.incidentId, mode: 'live' })) as Handoff;
  await c.call('session.signOut', {});
  await c.call('session.demoSignIn', { role: 'clinician' });
  await c.call('handoff.accept', { id: h.id });
  return h;
}

function audited(c: Core, action: string): { entityId: string; detail: Record<string, unknown> }[] {
  const rows = c.store.db.prepare('SELECT entityId, detail FROM audit WHERE action = ? ORDER BY id').all(action) as { entityId: string; detail: string }[];
  return rows.map((r) => ({ entityId: r.entityId, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

async function caseNotes(c: Core, caseId: string): Promise<string[]> {
  const record = (await c.call('case.get', { id: caseId })) as CaseRecord;
  // The note copying what the dispatcher knew (tests/integration/handoff.test.ts) is not what these tests count.
  return record.timeline.filter((e) => e.kind === 'note' && e.body.source !== 'dispatch').map((e) => String(e.body.text));
}

describe('a handoff completion that fails', () => {
  it('when its case cannot be saved: the clinician is told, nothing is half-written, and trying again works', async () => {
    const { c, logged } = await demoConsole();
    const h = await acceptedCadHandoff(c);
    // The store refuses new cases (a full disk, a damaged file) for as long as this trigger stands.
    c.store.db.exec("CREATE TRIGGER refuse_cases BEFORE INSERT ON case_file BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END;");
    const complete = () => c.call('handoff.complete', { id: h.id, outcome: 'resolved_by_phone', notes: 'Agreed a safety plan' });
    const err = await complete().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).message).toMatch(/could not be saved, so it is not completed yet: disk I\/O error \(test\)\. Your notes are still here/);
    expect(audited(c, 'handoff.complete.failed')).toEqual([{ entityId: h.id, detail: { stage: 'case', caseId: null, error: 'disk I/O error (test)' } }]);
    expect(logged.some((l) => l.level === 'error' && l.message === 'handoff completion: case failed')).toBe(true);
    // Nothing half-written: no person, no event, the handoff still the clinician's to complete.
    expect(c.store.db.prepare('SELECT (SELECT count(*) FROM person) + (SELECT count(*) FROM case_event) AS n').get()).toEqual({ n: 0 });
    expect(c.store.read<Handoff>('handoff', h.id)?.state).toBe('accepted');

    c.store.db.exec('DROP TRIGGER refuse_cases');
    const done = (await complete()) as { handoff: Handoff; caseId: string };
    expect(done.handoff.state).toBe('completed');
    expect(await caseNotes(c, done.caseId)).toEqual(['Agreed a safety plan']);
  });

  it('when the outcome cannot reach CAD: recorded, shown on the case, kept and sent once it can be', async () => {
    let outbox = '';
    const { c } = await demoConsole((dir) => {
      // A file where the outbox folder should be: nothing can be written into it.
      outbox = path.join(dir, 'cad-outbox');
      fs.writeFileSync(outbox, 'not a folder');
      return { cadOutcome: { outboxDir: outbox, retryMs: 0 } };
    });
    const h = await acceptedCadHandoff(c);
    const done = (await c.call('handoff.complete', { id: h.id, outcome: 'resolved_by_phone', notes: 'private', shareableSummary: 'Resolved by phone' })) as {
      handoff: Handoff;
      caseId: string;
    };
    // The clinician's completion itself went through.
    expect(done.handoff.state).toBe('completed');
    await c.cad.outcome.idle();
    const failures = audited(c, 'handoff.complete.failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ entityId: h.id, detail: { stage: 'cad', caseId: done.caseId } });
    expect(String(failures[0].detail.error)).toMatch(/EEXIST|ENOTDIR/);
    expect(await caseNotes(c, done.caseId)).toEqual([
      'private',
      expect.stringMatching(/^The outcome of this conference has not reached CAD yet; Tandem tries again\. \((EEXIST|ENOTDIR)/),
    ]);
    expect(c.cad.outcome.queuedCount()).toBe(1);

    // Still failing: stays queued, not recorded twice.
    expect(await c.cad.outcome.retryPending()).toBe(0);
    expect(c.cad.outcome.queuedCount()).toBe(1);
    expect(audited(c, 'handoff.complete.failed')).toHaveLength(1);

    fs.rmSync(outbox);
    expect(await c.cad.outcome.retryPending()).toBe(1);
    expect(c.cad.outcome.queuedCount()).toBe(0);
    expect(fs.readdirSync(outbox)).toEqual([expect.stringMatching(/\.eido\.json$/)]);
    expect(audited(c, 'incident.cad.outcome')).toHaveLength(1);
  });

  it('when the server refuses a completion queued while it was away: recorded, kept, and shown on the case', async () => {
    cluster = await startCluster({ server: { clinicianDirectLine: '+1 555 0100' } });
    await cluster.addUser('dana', 'dispatcher', 'Dana Reyes');
    await cluster.addUser('chris', 'clinician', 'Chris Okafor');
    await cluster.addUser('sam', 'clinician', 'Sam Patel');
    const online = (c: Core) => c.syncStatus().state === 'online';
    const dispatcher = await cluster.console('dispatch-1', 'dana');
    // Sam signs in on the shared workstation first, so that Sam can sign in there again offline.
    const shared = await cluster.console('clin-1', 'sam');
    await shared.call('session.signOut', {});
    await shared.call('session.signIn', { username: 'chris', password: 'pw-chris-123' });
    await until(() => online(dispatcher) && online(shared), 5000, 'online');
    const incident = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '1 Main St' })) as { id: string };
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    await until(() => shared.store.read<Handoff>('handoff', h.id)?.state === 'ringing', 3000, 'ringing');
    await shared.call('handoff.accept', { id: h.id });
    await until(() => shared.store.read<Handoff>('handoff', h.id)?.state === 'accepted', 3000, 'accepted');

    // The server goes away; Chris completes anyway (queued), and Sam takes the workstation over.
    await cluster.stopServer();
    await until(() => !online(shared), 5000, 'offline');
    const done = (await shared.call('handoff.complete', { id: h.id, outcome: 'resolved_by_phone', notes: 'Talked it through' })) as { caseId: string };
    expect(audited(shared, 'handoff.complete.queued').map((a) => a.entityId)).toEqual([h.id]);
    await shared.call('session.signOut', {});
    await shared.call('session.signIn', { username: 'sam', password: 'pw-sam-123' });

    // Back online, the queued completion goes out under Sam's session, and the server refuses it.
    await cluster.restartServer();
    await until(() => audited(shared, 'handoff.complete.failed').length === 1, 10_000, 'the refusal recorded');
    const [failure] = audited(shared, 'handoff.complete.failed');
    expect(failure).toMatchObject({ entityId: h.id, detail: { stage: 'server', caseId: done.caseId } });
    expect(String(failure.detail.error)).toMatch(/Only Chris Okafor, who accepted this handoff, can complete it/);
    expect(shared.store.metaGet('pendingCompletions')).toBe('[]');
    expect(await caseNotes(shared, done.caseId)).toEqual([
      'Talked it through',
      expect.stringMatching(/^The sync server did not record this conference as completed; its notes are on this case\. \(Only Chris Okafor/),
    ]);
    const kept = JSON.parse(shared.store.metaGet('refusedCompletions') ?? '[]') as { id: string; reason: string }[];
    expect(kept).toEqual([expect.objectContaining({ id: h.id, caseId: done.caseId, outcome: 'resolved_by_phone', reason: expect.stringMatching(/Only Chris Okafor/) })]);
  });
});
