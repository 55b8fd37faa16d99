import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';
import { RpcError, type CaseRecord } from '../../src/shared/contract';
import type { Case, Handoff, Incident } from '../../src/shared/entities';
import { MEASURE_IDS, type Report } from '../../src/shared/report/measures';

/**
 * The program's figures from the server (the whole ECC, folded from its change log) and from a
 * clinician's own console (her store) on the same data: every measure agrees. All the clinical
 * work here is one clinician's and she answered every call, so the ECC's figures are hers.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

const online = (c: Core) => c.syncStatus().state === 'online';
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** Yesterday to tomorrow: a test running across midnight still has all its work in range. */
const query = { from: day(-1), to: day(1), grain: 'day' as const, zone: 'UTC' };

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('expected a rejection');
}

async function liveCall(dispatcher: Core, clinician: Core, answer: { outcome: Handoff['outcome'] } | 'decline'): Promise<string | null> {
  const incident = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '1 Main St', callbackNumber: '617-555-0101' })) as Incident;
  const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
  await until(() => clinician.store.read('handoff', h.id) !== null, 5000, 'the handoff reaches the clinician');
  if (answer === 'decline') {
    await clinician.call('handoff.decline', { id: h.id, reason: 'On another call' });
    return null;
  }
  await clinician.call('handoff.accept', { id: h.id });
  await until(() => clinician.store.read<Handoff>('handoff', h.id)?.state === 'accepted', 5000, 'the accept is on the clinician’s console');
  const done = (await clinician.call('handoff.complete', { id: h.id, outcome: answer.outcome!, notes: 'Talked it through', personName: 'Jordan M.' })) as { caseId: string };
  return done.caseId;
}

describe('program figures: server and console agree', () => {
  it('every measure of the ECC report equals the clinician’s own, and the hand count', async () => {
    cluster = await startCluster({ server: { handoffTimeoutMs: 30_000, clinicianDirectLine: '+1 555 0100' } });
    await cluster.addUser('dana', 'dispatcher', 'Dana Reyes');
    await cluster.addUser('ana', 'clinician', 'Ana Ruiz');
    await cluster.addUser('pat', 'supervisor', 'Pat Lee');
    const dispatcher = await cluster.console('dispatch-1', 'dana');
    const ana = await cluster.console('clin-1', 'ana');
    await until(() => online(dispatcher) && online(ana), 5000, 'online');

    // The supervisor signs in after the calls: a supervisor may answer too, and her console would ring.
    const caseA = await liveCall(dispatcher, ana, { outcome: 'resolved_by_phone' });
    const caseB = await liveCall(dispatcher, ana, { outcome: 'responders_needed' });
    await liveCall(dispatcher, ana, 'decline');

    // Follow-up work on the first case: two attempts, one reach; a PHQ-9; a referral made and connected.
    await ana.call('case.logContact', { caseId: caseA!, channel: 'phone', outcome: 'no_answer' });
    await ana.call('case.logContact', { caseId: caseA!, channel: 'phone', outcome: 'reached' });
    await ana.call('case.screening', { caseId: caseA!, instrument: 'phq9', answers: [2, 2, 2, 1, 1, 1, 1, 1, 0] });
    await ana.call('case.logTransfer', { caseId: caseA!, line: '988' });
    await ana.call('case.logTransfer', { caseId: caseB!, line: 'other', lineName: 'Samaritans of Boston', at: new Date(Date.now() - 3_600_000).toISOString() });
    await ana.call('case.screening', { caseId: caseB!, instrument: 'cssrs', answers: { wishDead: false, thoughts: false, behaviorEver: false } });
    // A task already past due, and one done.
    const past = new Date(Date.now() - 60_000).toISOString();
    await ana.call('case.addTask', { caseId: caseB!, title: 'Call the shelter', dueAt: past });
    const soon = (await ana.call('case.addTask', { caseId: caseB!, title: 'Send the leaflet', dueAt: new Date(Date.now() + 3_600_000).toISOString() })) as { id: string };
    await ana.call('task.complete', { id: soon.id });
    // The same person calls again: a second case for the person of case A, written as a console would.
    const first = (await ana.call('case.get', { id: caseA! })) as CaseRecord;
    const created = (await ana.call('case.create', { person: { name: 'Someone else' }, origin: 'manual', reason: 'Walked in', risk: 'unknown' })) as Case;
    ana.store.transaction(() => ana.store.write('case', created.id, { personId: first.case.personId }));

    await until(() => ana.syncStatus().pending === 0, 10_000, 'the clinician’s work reaches the server');
    const pat = await cluster.console('sup-1', 'pat');
    await until(() => online(pat), 5000, 'the supervisor online');

    const ecc = (await pat.call('report.program', query)) as Report;
    const own = (await ana.call('report.own', query)) as Report;
    expect(ecc.scope).toBe('ecc');
    expect(own.scope).toBe('own');
    expect(ecc.buckets).toEqual([day(-1), day(0), day(1)]);
    for (const id of MEASURE_IDS) expect({ id, total: ecc.totals[id] }).toEqual({ id, total: own.totals[id] });
    expect(ecc.series).toEqual(own.series);

    // By hand: three calls, two accepted and completed, one declined; one resolved without police.
    expect(ecc.totals.conferenced).toBe(3);
    expect(ecc.totals.accepted).toBe(2);
    expect(ecc.totals.declined).toBe(1);
    expect(ecc.totals.resolved_by_phone).toBe(1);
    expect(ecc.totals.responders_needed).toBe(1);
    expect(ecc.totals.without_police_ems).toBe(1);
    expect(ecc.totals.contacts).toBe(2);
    expect(ecc.totals.reached).toBe(1);
    expect(ecc.totals.attempts_per_reach).toBe(2);
    // 2+2+2+1+1+1+1+1+0 = 11: moderate.
    expect(ecc.totals.phq9_moderate).toBe(1);
    expect(ecc.totals.transfers_988).toBe(1);
    expect(ecc.totals.transfers_other).toBe(1);
    expect(ecc.totals.cssrs_none).toBe(1);
    expect(ecc.totals.followups_overdue).toBe(1);
    // Three cases (two from the calls, one by hand), one of them the same person again.
    expect(ecc.totals.cases_opened).toBe(3);
    expect(ecc.totals.repeat_callers).toBe(1);
    expect(ecc.totals.ring_median).not.toBeNull();

    // What the server sent holds no name, note or phone number.
    const wire = JSON.stringify(ecc);
    for (const secret of ['Jordan', 'Talked it through', '617-555', 'Ana Ruiz', 'Someone else', 'Samaritans']) expect(wire).not.toContain(secret);
  });

  it('a clinician’s own figures work offline; the ECC’s say where they come from', async () => {
    cluster = await startCluster({ server: { handoffTimeoutMs: 30_000 } });
    await cluster.addUser('ana', 'clinician', 'Ana Ruiz');
    await cluster.addUser('pat', 'supervisor', 'Pat Lee');
    const ana = await cluster.console('clin-1', 'ana');
    const pat = await cluster.console('sup-1', 'pat');
    await until(() => online(ana) && online(pat), 5000, 'online');
    const c = (await ana.call('case.create', { person: { name: 'Riley' }, origin: 'manual', reason: 'Call-back', risk: 'unknown' })) as Case;
    await ana.call('case.logContact', { caseId: c.id, channel: 'phone', outcome: 'reached' });

    await cluster.stopServer();
    await until(() => !online(ana) && !online(pat), 5000, 'offline');
    const own = (await ana.call('report.own', query)) as Report;
    expect(own.totals.cases_opened).toBe(1);
    expect(own.totals.reached).toBe(1);
    const refused = await rejection(pat.call('report.program', query));
    expect(refused.code).toBe('unavailable');
    expect(refused.message).toMatch(/^The ECC-wide figures come from the sync server: .*Your own figures work offline\.$/);
  });

  it('the server refuses a clinician the ECC report and a malformed query, saying why', async () => {
    cluster = await startCluster();
    await cluster.addUser('ana', 'clinician', 'Ana Ruiz');
    await cluster.addUser('pat', 'supervisor', 'Pat Lee');
    const ana = await cluster.console('clin-1', 'ana');
    const pat = await cluster.console('sup-1', 'pat');
    await until(() => online(ana) && online(pat), 5000, 'online');
    expect((await rejection(ana.call('report.program', query))).code).toBe('forbidden');
    // Past the console's own check, straight to the server: the server checks again.
    const direct = await rejection(ana.sync!.rpc('report.program', query));
    expect(direct.code).toBe('forbidden');
    const bad = await rejection(pat.sync!.rpc('report.program', { ...query, to: '2000-01-01' }));
    expect(bad.code).toBe('bad_request');
    expect(bad.message).toMatch(/The range ends before it starts/);
  });
});
