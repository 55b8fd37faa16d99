import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import type { Handoff, Incident } from '../../src/shared/entities';
import { randomKey, tempDir } from '../helpers/tmp';

/**
 * The core has one clock, injected (CoreConfig.now): every time it records — audit lines,
 * incidents, handoff requests, new cases and their timelines, the HLC of each change — comes
 * from it, so a test (or a benchmark) that sets it sees exactly that time everywhere.
 */
let t: ReturnType<typeof tempDir> | null = null;
let core: Core | null = null;
afterEach(() => {
  core?.close();
  t?.cleanup();
  core = null;
  t = null;
});

// Far from the machine's own clock, so that nothing can pass by reading that one instead.
const AT = Date.parse('2031-02-03T04:05:06.789Z');
const ISO = new Date(AT).toISOString();

describe("the core's clock", () => {
  it('is the only time the core writes', async () => {
    t = tempDir('tandem-clock-');
    core = await createCore({ profileDir: path.join(t.dir, 'p'), key: randomKey(), demo: true, now: () => AT });
    await core.call('session.demoSignIn', { role: 'dispatcher' });
    const incident = (await core.call('incident.create', { type: 'Welfare check', location: '1 Main St' })) as Incident;
    expect(incident.createdAt).toBe(ISO);
    expect(incident.number).toMatch(/^M310203-/);
    const h = (await core.call('handoff.request', { incidentId: incident.id, mode: 'live' })) as Handoff;
    expect([h.requestedAt, h.ringingAt]).toEqual([ISO, ISO]);
    await core.call('session.signOut', {});
    await core.call('session.demoSignIn', { role: 'clinician' });
    await core.call('handoff.accept', { id: h.id });
    const done = (await core.call('handoff.complete', { id: h.id, outcome: 'resolved_by_phone', notes: 'n' })) as { handoff: Handoff; caseId: string };
    expect([done.handoff.acceptedAt, done.handoff.endedAt]).toEqual([ISO, ISO]);

    const db = core.store.db;
    expect(db.prepare('SELECT DISTINCT at FROM audit').pluck().all()).toEqual([ISO]);
    expect(db.prepare('SELECT DISTINCT at FROM case_event').pluck().all()).toEqual([ISO]);
    expect(db.prepare('SELECT createdAt, updatedAt FROM case_file WHERE id = ?').get(done.caseId)).toEqual({ createdAt: ISO, updatedAt: ISO });
    // Each change's HLC starts from the same clock (its physical part, in ms).
    const hlcs = db.prepare('SELECT hlc FROM outbox').pluck().all() as string[];
    expect(hlcs.length).toBeGreaterThan(0);
    for (const hlc of hlcs) expect(Number(hlc.split(':')[0])).toBe(AT);
  });
});
