import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import { http, newReplica, op, signedIn } from './server-helpers';
import type { Core } from '../../src/main/core';
import type { DirectorySuggestion, ResourceServiceRow } from '../../src/shared/entities';
import type { PushResponse } from '../../src/shared/sync/protocol';

/**
 * Issue 13: a clinician may not change the shared directory, but she may suggest a correction
 * that a directory manager (supervisor, admin) accepts (the server applies it, as its own write)
 * or declines with a reason. Suggestions sync; the server decides who suggested and who decided.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
let chris: Core; // clinician
let morgan: Core; // supervisor: manages the directory
let dana: Core; // dispatcher

const ENTRY = { id: 'svc-crisis', name: 'County Crisis Line', description: 'Around the clock', phones: [{ number: '555-0100', type: 'voice' }], contentHash: 'h0' };
const phoneOf = (c: Core) => (c.store.read<ResourceServiceRow>('resource_service', 'svc-crisis')?.record as { phones?: { number: string }[] } | undefined)?.phones?.[0]?.number;
const suggestionOn = (c: Core, id: string) => c.store.read<DirectorySuggestion>('directory_suggestion', id);

beforeAll(async () => {
  cluster = await startCluster();
  await cluster.addUser('chris', 'clinician', 'Chris');
  await cluster.addUser('morgan', 'supervisor', 'Morgan');
  await cluster.addUser('dana', 'dispatcher', 'Dana');
  chris = await cluster.console('ws-c', 'chris');
  morgan = await cluster.console('ws-s', 'morgan');
  dana = await cluster.console('ws-d', 'dana');
  const boss = await signedIn(cluster.server, 'supervisor', { name: 'Importer' });
  const pushed = await http<PushResponse>(cluster.server.url, 'POST', '/v1/push', {
    headers: boss.headers,
    body: { ops: [op(newReplica(), 1, 'resource_service', 'svc-crisis', { name: ENTRY.name, record: ENTRY, contentHash: 'h0' })] },
  });
  expect(pushed.body.applied).toBe(1);
  await until(() => phoneOf(chris) === '555-0100' && phoneOf(morgan) === '555-0100', 10_000, 'the entry on both consoles');
}, 60_000);
afterAll(async () => cluster?.close());

describe('directory suggestions', () => {
  it("refuses a clinician's direct directory write, and her attempt to decide a suggestion", async () => {
    const mallory = await signedIn(cluster.server, 'clinician', { name: 'Mallory' });
    const res = await http<PushResponse>(cluster.server.url, 'POST', '/v1/push', {
      headers: mallory.headers,
      body: { ops: [op(newReplica(), 1, 'resource_service', 'svc-crisis', { name: 'Hijacked', record: { ...ENTRY, phones: [{ number: '555-6666' }] }, contentHash: 'h9' })] },
    });
    expect(res.body.refused[0]?.reason).toMatch(/a clinician may not change resource_service/);
    await expect(chris.call('directory.suggestion.accept', { id: 'sug_x' })).rejects.toThrow(/A clinician may not/);
    await expect(chris.sync!.rpc('directory.suggestion.accept', { id: 'sug_x' })).rejects.toThrow(/clinician may not/);
    expect(phoneOf(chris)).toBe('555-0100');
  });

  it('accepts her suggestion; accepting applies it on every console, authored by the server from the sessions', async () => {
    const s = (await chris.call('directory.suggest', { serviceId: 'svc-crisis', field: 'phone', proposed: '555-0199', reason: 'The line moved; I called it today' })) as DirectorySuggestion;
    expect(s).toMatchObject({ status: 'open', suggestedByName: 'Chris', current: '555-0100', proposed: '555-0199', serviceName: 'County Crisis Line' });
    // Not applied by suggesting.
    expect(phoneOf(chris)).toBe('555-0100');
    await until(() => suggestionOn(morgan, s.id) !== null, 10_000, 'the suggestion reaches the directory manager');
    expect(((await morgan.call('directory.suggestions', { status: 'open' })) as DirectorySuggestion[]).map((x) => x.id)).toContain(s.id);
    // A dispatcher's console does not receive them.
    expect(dana.store.read('directory_suggestion', s.id)).toBeNull();

    const accepted = (await morgan.call('directory.suggestion.accept', { id: s.id })) as DirectorySuggestion;
    expect(accepted).toMatchObject({ status: 'accepted', decidedByName: 'Morgan' });
    await until(() => phoneOf(chris) === '555-0199' && phoneOf(dana) === '555-0199', 10_000, 'the corrected number everywhere');
    await until(() => suggestionOn(chris, s.id)?.status === 'accepted', 10_000, 'she sees it was accepted');
    // Decided once.
    await expect(morgan.call('directory.suggestion.decline', { id: s.id, reason: 'no' })).rejects.toThrow(/already accepted by Morgan/);
  });

  it('declining keeps the entry as it was and tells her why', async () => {
    const s = (await chris.call('directory.suggest', { serviceId: 'svc-crisis', field: 'description', proposed: 'Weekdays only', reason: '' })) as DirectorySuggestion;
    await until(() => suggestionOn(morgan, s.id) !== null, 10_000, 'the suggestion reaches the directory manager');
    await expect(morgan.call('directory.suggestion.decline', { id: s.id, reason: ' ' })).rejects.toThrow(/Say why it is declined/);
    await morgan.call('directory.suggestion.decline', { id: s.id, reason: 'Their website says 24/7' });
    await until(() => suggestionOn(chris, s.id)?.status === 'declined', 10_000, 'she sees it was declined');
    expect(suggestionOn(chris, s.id)).toMatchObject({ declineReason: 'Their website says 24/7', decidedByName: 'Morgan' });
    const rec = chris.store.read<ResourceServiceRow>('resource_service', 'svc-crisis')!.record as { description: string };
    expect(rec.description).toBe('Around the clock');
    await expect(morgan.call('directory.suggestion.accept', { id: s.id })).rejects.toThrow(/already declined/);
  });

  it('says clearly what is wrong with a suggestion', async () => {
    await expect(chris.call('directory.suggest', { serviceId: 'svc-nowhere', field: 'phone', proposed: '1', reason: '' })).rejects.toThrow(/No directory entry svc-nowhere/);
    await expect(chris.call('directory.suggest', { serviceId: 'svc-crisis', field: 'phone', proposed: '555-0199', reason: '' })).rejects.toThrow(/already says "555-0199"/);
    await expect(chris.call('directory.suggest', { serviceId: 'svc-crisis', field: 'phone', proposed: '  ', reason: '' })).rejects.toThrow(/Say what it should be/);
    await expect(dana.call('directory.suggest', { serviceId: 'svc-crisis', field: 'phone', proposed: '1', reason: '' })).rejects.toThrow(/A dispatcher may not/);
  });
});
