import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';
import { RpcError } from '../../src/shared/contract';
import type { Handoff, Incident } from '../../src/shared/entities';
import type { Report } from '../../src/shared/report/measures';
import type { PullResponse, PushResponse } from '../../src/shared/sync/protocol';
import { Client, caseFields, http, newReplica, op, signedIn } from './server-helpers';

/**
 * The program manager (issue 18): the ECC's program figures, aggregates only, and nothing else.
 * Her console asks for a case, a note, an incident, a list; a hand-made client with her session
 * pulls the change log, pushes a case and calls the handoff methods: the server refuses or
 * filters every one, while the figures she may see count the same call.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

const online = (c: Core) => c.syncStatus().state === 'online';
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const query = { from: day(-1), to: day(1), grain: 'day' as const, zone: 'UTC' };
const SECRETS = ['Jordan', 'Talked it through', '617-555', 'Ana Ruiz', 'Dana Reyes', '1 Main St'];

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('expected a rejection');
}

describe('program manager', () => {
  it('sees the ECC figures and is refused every case, note, incident and raw list, by her console and by the server', async () => {
    cluster = await startCluster({ server: { handoffTimeoutMs: 30_000 } });
    await cluster.addUser('dana', 'dispatcher', 'Dana Reyes');
    await cluster.addUser('ana', 'clinician', 'Ana Ruiz');
    await cluster.addUser('pm', 'program_manager', 'Pat Moreau');
    const dispatcher = await cluster.console('dispatch-1', 'dana');
    const ana = await cluster.console('clin-1', 'ana');
    await until(() => online(dispatcher) && online(ana), 5000, 'online');

    const incident = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '1 Main St', callbackNumber: '617-555-0101' })) as Incident;
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    await until(() => ana.store.read('handoff', h.id) !== null, 5000, 'the handoff reaches the clinician');
    await ana.call('handoff.accept', { id: h.id });
    await until(() => ana.store.read<Handoff>('handoff', h.id)?.state === 'accepted', 5000, 'accepted');
    const { caseId } = (await ana.call('handoff.complete', { id: h.id, outcome: 'resolved_by_phone', notes: 'Talked it through', personName: 'Jordan M.' })) as { caseId: string };
    await ana.call('case.logTransfer', { caseId, line: '988' });
    await until(() => ana.syncStatus().pending === 0 && dispatcher.syncStatus().pending === 0, 10_000, 'the work reaches the server');

    // Her console: the figures, aggregates only.
    const pm = await cluster.console('pm-1', 'pm');
    await until(() => online(pm), 5000, 'the program manager online');
    const ecc = (await pm.call('report.program', query)) as Report;
    expect(ecc.scope).toBe('ecc');
    expect(ecc.totals.conferenced).toBe(1);
    expect(ecc.totals.resolved_by_phone).toBe(1);
    expect(ecc.totals.transfers_988).toBe(1);
    const wire = JSON.stringify(ecc);
    for (const secret of [...SECRETS, caseId, incident.id, h.id]) expect(wire).not.toContain(secret);

    // Her console refuses her everything else, before it reaches a store or the server.
    for (const [name, input] of [
      ['case.get', { id: caseId }],
      ['case.queue', {}],
      ['incident.list', { includeClosed: true }],
      ['handoff.list', { live: false }],
      ['presence.list', {}],
      ['directory.search', { text: 'shelter' }],
      ['report.own', query],
      ['handoff.accept', { id: h.id }],
    ] as const) {
      const refused = await rejection(pm.call(name, input));
      expect({ name, code: refused.code }).toEqual({ name, code: 'forbidden' });
    }
    // Nothing clinical or operational was stored on her workstation either.
    for (const [entity, id] of [['case', caseId], ['incident', incident.id], ['handoff', h.id]] as const) expect(pm.store.read(entity, id)).toBeNull();

    // A hand-made client with a program manager's session, straight to the server.
    const raw = await signedIn(cluster.server, 'program_manager');
    const sup = await signedIn(cluster.server, 'supervisor');
    const pull = (headers: Record<string, string>) => http<PullResponse>(cluster.server.url, 'GET', '/v1/pull?cursor=0&limit=5000', { headers });
    const hers = await pull(raw.headers);
    expect(hers.status).toBe(200);
    // The raw change log: a supervisor's pull has the call, hers has no row at all.
    expect((await pull(sup.headers)).body.ops.some((o) => o.entity === 'case')).toBe(true);
    expect(hers.body.ops).toEqual([]);
    for (const secret of SECRETS) expect(JSON.stringify(hers.body)).not.toContain(secret);

    // Writing a case is refused, and nothing of it reaches the change log.
    const replica = newReplica();
    const pushed = await http<PushResponse>(cluster.server.url, 'POST', '/v1/push', {
      headers: raw.headers,
      body: { ops: [{ ...op(replica, 1, 'case', 'case-pm-1', caseFields('person-pm-1')) }] },
    });
    expect(pushed.status).toBe(200);
    expect(pushed.body.applied).toBe(0);
    expect(pushed.body.refused).toHaveLength(1);
    expect((await pull(sup.headers)).body.ops.some((o) => o.id === 'case-pm-1')).toBe(false);

    // Every socket method but the figures (and the socket's own housekeeping) is refused.
    const client = await Client.connect(cluster.server, raw.headers);
    try {
      for (const [m, p] of [
        ['handoff.accept', { id: h.id }],
        ['handoff.complete', { id: h.id, outcome: 'referral', caseId }],
        ['handoff.request', { incidentId: incident.id, mode: 'live' }],
        ['presence.set', { status: 'available' }],
      ] as const) {
        const res = await client.call(m, p);
        expect({ m, ok: res.ok, code: res.ok ? null : res.e.code }).toEqual({ m, ok: false, code: 'forbidden' });
      }
      const figures = await client.call('report.program', query);
      expect(figures.ok).toBe(true);
      for (const secret of SECRETS) expect(JSON.stringify(figures)).not.toContain(secret);
    } finally {
      client.socket.close();
    }
  });
});
