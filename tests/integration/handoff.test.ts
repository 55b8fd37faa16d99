import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';
import { RpcError, type CaseRecord } from '../../src/shared/contract';
import type { Handoff, Incident } from '../../src/shared/entities';

type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

const online = (c: Core) => c.syncStatus().state === 'online';

async function setup(handoffTimeoutMs = 30_000) {
  cluster = await startCluster({ server: { handoffTimeoutMs, clinicianDirectLine: '+1 555 0100' } });
  await cluster.addUser('dana', 'dispatcher', 'Dana Reyes');
  await cluster.addUser('chris', 'clinician', 'Chris Okafor');
  await cluster.addUser('sam', 'clinician', 'Sam Patel');
  const dispatcher = await cluster.console('dispatch-1', 'dana');
  const chris = await cluster.console('clin-1', 'chris');
  const sam = await cluster.console('clin-2', 'sam');
  await until(() => online(dispatcher) && online(chris) && online(sam), 5000, 'online');
  const incident = (await dispatcher.call('incident.create', {
    type: 'Welfare check — suicidal statements',
    location: '1200 Massachusetts Ave',
    callbackNumber: '617-555-0188',
    notes: 'Sister reports goodbye texts',
  })) as Incident;
  return { dispatcher, chris, sam, incident };
}

function ringings(core: Core): Handoff[] {
  const seen: Handoff[] = [];
  core.on('handoff.ringing', (h) => seen.push(h));
  return seen;
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('expected a rejection');
}

describe('live handoff through the server', () => {
  it('rings every clinician; the first accept wins and the other is told who has it', async () => {
    const { dispatcher, chris, sam, incident } = await setup();
    const chrisRings = ringings(chris);
    const samRings = ringings(sam);
    const requested = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    expect(requested.state).toBe('ringing');
    await until(() => chrisRings.length === 1 && samRings.length === 1, 3000, 'both ring');
    // The server's ring and the change log both announce it; each console rings once.
    await until(() => chris.store.read('handoff', requested.id) !== null && sam.store.read('handoff', requested.id) !== null, 3000, 'rows synced');
    expect([chrisRings.length, samRings.length]).toEqual([1, 1]);
    // The incident is on the clinician's screen when it rings.
    const onChris = (await chris.call('incident.list', {})) as Incident[];
    expect(onChris.find((i) => i.id === incident.id)?.callbackNumber).toBe('617-555-0188');

    const [a, b] = await Promise.allSettled([chris.call('handoff.accept', { id: requested.id }), sam.call('handoff.accept', { id: requested.id })]);
    const won = [a, b].filter((r) => r.status === 'fulfilled');
    const lost = [a, b].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<Handoff>).value;
    expect((lost[0].reason as RpcError).code).toBe('conflict');
    expect((lost[0].reason as RpcError).message).toBe(`Already accepted by ${winner.acceptedByName}`);

    await until(async () => ((await dispatcher.call('handoff.list', {})) as Handoff[]).some((h) => h.state === 'accepted'), 3000, 'dispatcher sees accepted');
    const seen = ((await dispatcher.call('handoff.list', {})) as Handoff[]).find((h) => h.id === requested.id)!;
    expect(seen.acceptedByName).toBe(winner.acceptedByName);

    const clinician = winner.acceptedByName === 'Chris Okafor' ? chris : sam;
    const done = (await clinician.call('handoff.complete', {
      id: requested.id,
      outcome: 'follow_up_needed',
      notes: 'Safety plan agreed. Call back tomorrow at 10.',
      personName: 'Jordan M.',
    })) as { caseId: string };
    const record = (await clinician.call('case.get', { id: done.caseId })) as CaseRecord;
    expect(record.person.name).toBe('Jordan M.');
    expect(record.case.origin).toBe('live_call');
    expect(record.timeline.map((e) => e.kind)).toEqual(['handoff', 'note', 'note']);
    const bySource = (source: string) => record.timeline.find((e) => e.body.source === source)?.body.text;
    expect(bySource('conference')).toBe('Safety plan agreed. Call back tomorrow at 10.');
    // What the dispatcher knew is copied into the case.
    expect(bySource('dispatch')).toBe(
      [
        `From dispatch (${incident.number}): Welfare check — suicidal statements`,
        'Location: 1200 Massachusetts Ave',
        'Callback: 617-555-0188',
        'Dispatcher notes: Sister reports goodbye texts',
      ].join('\n'),
    );
    await until(async () => ((await dispatcher.call('handoff.list', {})) as Handoff[]).some((h) => h.state === 'completed' && h.outcome === 'follow_up_needed'), 3000, 'completed reaches dispatcher');
  });

  it('a case is named after the person, never after a caller who is someone else (“Sam (roommate)”)', async () => {
    const { dispatcher, chris } = await setup();
    const byRoommate = (await dispatcher.call('incident.create', {
      type: 'Welfare check',
      location: '77 Harbor Rd',
      callerName: 'Sam (roommate)',
      notes: 'Roommate locked in his room, crying',
    })) as Incident;
    const h = (await dispatcher.call('handoff.request', { incidentId: byRoommate.id, mode: 'live', note: 'Sam is on the line' })) as Handoff;
    await until(() => chris.store.read('handoff', h.id) !== null && chris.store.read('incident', byRoommate.id) !== null, 5000, 'ringing with its incident');
    await chris.call('handoff.accept', { id: h.id });
    await until(() => chris.store.read<Handoff>('handoff', h.id)?.state === 'accepted', 5000, 'accepted here');
    const done = (await chris.call('handoff.complete', { id: h.id, outcome: 'resolved_by_phone', notes: '' })) as { caseId: string };
    const record = (await chris.call('case.get', { id: done.caseId })) as CaseRecord;
    expect(record.person.name).toBe('Person at 77 Harbor Rd');
    const fromDispatch = record.timeline.find((e) => e.body.source === 'dispatch')?.body.text as string;
    expect(fromDispatch).toContain('Caller: Sam (roommate)');
    expect(fromDispatch).toContain('Note to the clinician: Sam is on the line');
  });

  it('a transfer to a crisis line made during the call goes on the case with the conference; a bad one leaves the conference open', async () => {
    const { dispatcher, chris, incident } = await setup();
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    await until(() => chris.store.read('handoff', h.id) !== null, 5000, 'ringing');
    await chris.call('handoff.accept', { id: h.id });
    await until(() => chris.store.read<Handoff>('handoff', h.id)?.state === 'accepted', 5000, 'accepted here');
    const complete = (transfer: Record<string, unknown>) => chris.call('handoff.complete', { id: h.id, outcome: 'referral', notes: 'Warm handoff', transfer });

    // Unnamed, or in the future: refused before anything is written; the call is still on.
    expect((await rejection(complete({ line: 'other' }))).message).toBe('Name the crisis line the person was transferred to');
    expect((await rejection(complete({ line: '988', at: new Date(Date.now() + 3_600_000).toISOString() }))).message).toBe('A transfer cannot be logged in the future');
    expect(chris.store.read('case', `case-${h.id}`)).toBeNull();
    expect(chris.store.read<Handoff>('handoff', h.id)?.state).toBe('accepted');

    const at = new Date(Date.now() - 120_000).toISOString();
    const done = (await complete({ line: 'other', lineName: '  Samaritans of Boston ', at })) as { caseId: string };
    const record = (await chris.call('case.get', { id: done.caseId })) as CaseRecord;
    const transfers = record.timeline.filter((e) => e.kind === 'transfer');
    expect(transfers.map((e) => e.body)).toEqual([{ line: 'other', lineName: 'Samaritans of Boston', transferredAt: at }]);
    expect(transfers[0]!.authorName).toBe('Chris Okafor');
  });

  it('is declined with a reason once every clinician declines', async () => {
    const { dispatcher, chris, sam, incident } = await setup();
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    await chris.call('handoff.decline', { id: h.id, reason: 'On another call' });
    await sam.call('handoff.decline', { id: h.id, reason: 'Caller needs EMS first' });
    await until(async () => ((await dispatcher.call('handoff.list', {})) as Handoff[]).some((x) => x.id === h.id && x.state === 'declined'), 3000, 'declined');
    const final = ((await dispatcher.call('handoff.list', {})) as Handoff[]).find((x) => x.id === h.id)!;
    expect(final.declines?.map((d) => d.reason).sort()).toEqual(['Caller needs EMS first', 'On another call']);
  });

  it('becomes no answer after the timeout', async () => {
    const { dispatcher, incident } = await setup(400);
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    await until(async () => ((await dispatcher.call('handoff.list', {})) as Handoff[]).some((x) => x.id === h.id && x.state === 'timed_out'), 4000, 'timed out');
  });

  it('a follow-up request lands in the clinician queue without ringing', async () => {
    const { dispatcher, chris, incident } = await setup();
    const rings = ringings(chris);
    const h = (await dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'followup', note: 'Please call the sister back' })) as Handoff;
    expect(h.state).toBe('queued');
    await until(async () => ((await chris.call('case.queue', {})) as { rows: { id: string }[] }).rows.some((r) => r.id === `case-${h.id}`), 3000, 'case queued');
    expect(rings).toHaveLength(0);
  });

  it('fails within 2 seconds with the direct line when the server is down', async () => {
    const { dispatcher, incident } = await setup();
    await cluster.stopServer();
    await until(() => !online(dispatcher), 3000, 'offline');
    const t0 = Date.now();
    const err = await rejection(dispatcher.call('handoff.request', { incidentId: incident.id, mode: 'live' }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('unavailable');
    expect((err.details as { directLine: string }).directLine).toBe('+1 555 0100');
    // Nothing is queued silently for a live call.
    expect(dispatcher.store.db.prepare("SELECT count(*) AS n FROM outbox WHERE entity = 'handoff'").get()).toEqual({ n: 0 });
  });
});
