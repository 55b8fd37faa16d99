import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Case, CaseEvent, Referral, Task } from '../../src/shared/entities';
import { referralTaskId } from '../../src/shared/caseload';
import { writeHsdsPackage } from '../helpers/hsds-package';
import { importDirectoryAsSupervisor, newCase, rejection, snapshot, startCore, type TestCore } from './caseload.helpers';
import path from 'node:path';

let t: TestCore;
let clock = Date.parse('2025-03-10T15:00:00Z');

beforeEach(async () => {
  clock = Date.parse('2025-03-10T15:00:00Z');
  t = await startCore({ now: () => clock });
});
afterEach(() => t.close());

async function record(caseId: string) {
  return t.call('case.get', { id: caseId });
}

describe('contact attempts', () => {
  it('logs channel and outcome on the timeline and schedules the next try', async () => {
    const c = await newCase(t);
    const evt = await t.call('case.logContact', { caseId: c.id, channel: 'phone', outcome: 'no_answer', note: 'Rang twice' });
    expect(evt.kind).toBe('contact');
    expect(evt.body).toMatchObject({ channel: 'phone', outcome: 'no_answer', note: 'Rang twice' });
    expect(evt.authorName).toBe('Chris Okafor');
    const r = await record(c.id);
    expect(r.timeline.map((e) => e.kind)).toEqual(['contact']);
    // Not reached: tried again in a day, so the case is no longer overdue now.
    expect(r.case.dueAt).toBe('2025-03-11T15:00:00.000Z');

    const reached = await t.call('case.logContact', {
      caseId: c.id,
      channel: 'text',
      outcome: 'reached',
      nextDueAt: '2025-03-20T09:00:00-04:00',
    });
    expect(reached.body).toMatchObject({ outcome: 'reached', nextDueAt: '2025-03-20T13:00:00.000Z' });
    expect((await record(c.id)).case.dueAt).toBe('2025-03-20T13:00:00.000Z');
  });

  it('refuses an unknown outcome and writes nothing', async () => {
    const c = await newCase(t);
    const before = snapshot(t);
    const err = await rejection(t.call('case.logContact', { caseId: c.id, channel: 'phone', outcome: 'busy' as 'reached' }));
    expect(err.code).toBe('bad_request');
    expect(err.message).toMatch(/outcome/);
    expect(snapshot(t)).toEqual(before);
  });

  it('is audited against the person', async () => {
    const c = await newCase(t);
    await t.call('case.logContact', { caseId: c.id, channel: 'phone', outcome: 'reached' });
    await record(c.id);
    const audit = t.core.store.db.prepare("SELECT action, entity, entityId, detail, userId FROM audit WHERE action LIKE 'case.%' ORDER BY id").all() as {
      action: string;
      entity: string;
      entityId: string;
      detail: string;
      userId: string;
    }[];
    expect(audit.map((a) => a.action)).toEqual(['case.create', 'case.contact', 'case.read']);
    expect(audit.every((a) => a.userId === 'u-chris')).toBe(true);
    expect(JSON.parse(audit[1].detail)).toMatchObject({ personId: c.personId });
  });
});

describe('screenings', () => {
  it('scores a PHQ-9 in the core and writes it to the timeline whole', async () => {
    const c = await newCase(t);
    const out = await t.call('case.screening', { caseId: c.id, instrument: 'phq9', answers: [1, 1, 1, 1, 1, 0, 0, 0, 0] });
    expect(out).toMatchObject({ total: 5, band: 'mild', item9Alert: false, instrument: 'phq9' });
    expect(out.nextStep.urgency).toBe('follow-up');
    expect(out.event.body).toMatchObject({ instrument: 'phq9', total: 5, band: 'mild', answers: [1, 1, 1, 1, 1, 0, 0, 0, 0] });
    expect(out.case.safetyAlert).toBeNull();
    expect(out.case.risk).toBe('unknown');
  });

  it('PHQ-9 item 9 above 0 raises a safety alert and the risk at once', async () => {
    const c = await newCase(t, { risk: 'low' });
    const out = await t.call('case.screening', { caseId: c.id, instrument: 'phq9', answers: [0, 0, 0, 0, 0, 0, 0, 0, 1] });
    expect(out.item9Alert).toBe(true);
    expect(out.nextStep.urgency).toBe('immediate');
    expect(out.case.risk).toBe('high');
    expect(out.case.safetyAlert).toMatch(/PHQ-9 item 9 positive \(several days\).*C-SSRS/);
    const q = await t.call('case.queue', {});
    expect(q.rows[0]).toMatchObject({ id: c.id, safetyAlert: out.case.safetyAlert, risk: 'high' });
    // The alert stays until a clinician takes it off, and that is on the timeline too.
    const cleared = await t.call('case.update', { caseId: c.id, clearSafetyAlert: true, note: 'C-SSRS done, low risk' });
    expect(cleared.safetyAlert).toBeNull();
    const last = (await record(c.id)).timeline.at(-1)!;
    expect(last.kind).toBe('status');
    expect(last.body).toMatchObject({ changes: { safetyAlert: { to: null } }, note: 'C-SSRS done, low risk' });
  });

  it('a PHQ-9 item 9 alert makes the case due now; a C-SSRS after it that finds no high risk clears it', async () => {
    const c = await newCase(t, { risk: 'low' });
    await t.call('case.update', { caseId: c.id, dueAt: '2025-03-14T15:00:00.000Z' });
    const out = await t.call('case.screening', { caseId: c.id, instrument: 'phq9', answers: [1, 1, 0, 0, 0, 0, 0, 0, 2] });
    // The next step (a C-SSRS) is due now, not on Friday.
    expect(out.case.dueAt).toBe('2025-03-10T15:00:00.000Z');
    expect(out.case.safetyAlert).toMatch(/^PHQ-9 item 9 positive/);

    clock += 20 * 60_000;
    const cssrs = await t.call('case.screening', { caseId: c.id, instrument: 'cssrs', answers: { wishDead: true, thoughts: false, behaviorEver: false } });
    expect(cssrs.risk).toBe('low');
    expect(cssrs.case.safetyAlert).toBeNull();
    // Next due by the C-SSRS's own next step (follow-up: within three days); the risk the alert raised stays.
    expect(cssrs.nextStep.urgency).toBe('follow-up');
    expect(cssrs.case.dueAt).toBe('2025-03-13T15:20:00.000Z');
    expect(cssrs.case.risk).toBe('high');
    const last = (await record(c.id)).timeline.at(-1)!;
    expect(last.kind).toBe('status');
    expect(last.body).toMatchObject({ changes: { safetyAlert: { to: null } }, note: 'Cleared by the C-SSRS done after it (low risk)' });
  });

  it('a C-SSRS that finds high risk replaces the PHQ-9 alert with its own, still due now; a later C-SSRS does not clear that one', async () => {
    const c = await newCase(t, { risk: 'low' });
    await t.call('case.screening', { caseId: c.id, instrument: 'phq9', answers: [0, 0, 0, 0, 0, 0, 0, 0, 1] });
    clock += 10 * 60_000;
    const high = await t.call('case.screening', {
      caseId: c.id,
      instrument: 'cssrs',
      answers: { wishDead: true, thoughts: true, method: true, intent: true, plan: false, behaviorEver: false },
    });
    expect(high.case.safetyAlert).toMatch(/^C-SSRS screener high risk/);
    expect(Date.parse(high.case.dueAt!)).toBeLessThanOrEqual(clock);
    clock += 10 * 60_000;
    const low = await t.call('case.screening', { caseId: c.id, instrument: 'cssrs', answers: { wishDead: false, thoughts: false, behaviorEver: false } });
    expect(low.case.safetyAlert).toMatch(/^C-SSRS screener high risk/);
  });

  it('C-SSRS follows the branches and raises the risk, never lowers it', async () => {
    const c = await newCase(t, { risk: 'moderate' });
    const low = await t.call('case.screening', { caseId: c.id, instrument: 'cssrs', answers: { wishDead: true, thoughts: false, behaviorEver: false } });
    expect(low.risk).toBe('low');
    expect(low.case.risk).toBe('moderate');
    const high = await t.call('case.screening', {
      caseId: c.id,
      instrument: 'cssrs',
      answers: { wishDead: true, thoughts: true, method: true, intent: true, plan: false, behaviorEver: false },
    });
    expect(high.risk).toBe('high');
    expect(high.case.risk).toBe('high');
    expect(high.case.safetyAlert).toMatch(/C-SSRS screener high risk/);
    expect(high.event.body).toMatchObject({ riskBefore: 'moderate', riskAfter: 'high' });
  });

  it.each([
    ['eight PHQ-9 answers', { instrument: 'phq9', answers: [0, 0, 0, 0, 0, 0, 0, 0] }, /exactly 9 answers/],
    ['a PHQ-9 answer of 4', { instrument: 'phq9', answers: [0, 0, 0, 4, 0, 0, 0, 0, 0] }, /item 4 must be a whole number from 0 to 3/],
    ['a C-SSRS with Q2 yes and Q3–5 skipped', { instrument: 'cssrs', answers: { wishDead: true, thoughts: true, behaviorEver: false } }, /must be answered/],
    ['a C-SSRS answering Q4 when Q2 is no', { instrument: 'cssrs', answers: { wishDead: false, thoughts: false, intent: true, behaviorEver: false } }, /only asked when question 2 is yes/],
  ] as const)('refuses %s with a message and saves nothing', async (_label, input, message) => {
    const c = await newCase(t);
    const before = snapshot(t);
    const err = await rejection(t.call('case.screening', { caseId: c.id, ...input } as never));
    expect(err.code).toBe('bad_request');
    expect(err.message).toMatch(message);
    expect(snapshot(t)).toEqual(before);
  });
});

describe('referrals', () => {
  async function withService(): Promise<{ caseId: string; serviceId: string }> {
    const dir = writeHsdsPackage(path.join(t.dir, 'pkg'), [{ id: 'svc-1', name: 'Harbor Counseling', description: 'Outpatient counseling' }]);
    await importDirectoryAsSupervisor(t, dir);
    const c = await newCase(t);
    return { caseId: c.id, serviceId: 'svc-1' };
  }

  it('records a referral with a follow-up task and tracks it made → accepted → connected', async () => {
    const { caseId, serviceId } = await withService();
    const ref = await t.call('case.refer', { caseId, serviceId, note: 'Prefers evenings' });
    expect(ref).toMatchObject({ status: 'made', serviceName: 'Harbor Counseling', note: 'Prefers evenings' });
    let r = await record(caseId);
    expect(r.tasks).toEqual([expect.objectContaining({ id: referralTaskId(ref.id), doneAt: null, dueAt: '2025-03-13T15:00:00.000Z' })]);

    clock += 3600_000;
    expect((await t.call('referral.update', { id: ref.id, status: 'accepted' })).status).toBe('accepted');
    expect((await t.call('referral.update', { id: ref.id, status: 'connected', note: 'First appointment Tuesday' })).status).toBe('connected');
    r = await record(caseId);
    expect(r.referrals[0].status).toBe('connected');
    // Reaching the end closes its follow-up task.
    expect(r.tasks[0].doneAt).toBe(new Date(clock).toISOString());
    const moves = r.timeline.filter((e) => e.kind === 'referral').map((e) => e.body.status);
    expect(moves).toEqual(['made', 'accepted', 'connected']);
  });

  it('refuses illegal moves', async () => {
    const { caseId, serviceId } = await withService();
    const ref = await t.call('case.refer', { caseId, serviceId });
    const before = snapshot(t);
    const skip = await rejection(t.call('referral.update', { id: ref.id, status: 'connected' }));
    expect(skip.code).toBe('conflict');
    expect(skip.message).toMatch(/made can become accepted, declined, unreachable, not connected/);
    expect(snapshot(t)).toEqual(before);
    await t.call('referral.update', { id: ref.id, status: 'declined' });
    const back = await rejection(t.call('referral.update', { id: ref.id, status: 'accepted' }));
    expect(back.message).toMatch(/finished/);
  });

  it('refuses a service that is not in the directory', async () => {
    const c = await newCase(t);
    const err = await rejection(t.call('case.refer', { caseId: c.id, serviceId: 'nope' }));
    expect(err.code).toBe('not_found');
  });
});

describe('tasks and consent', () => {
  it('adds and completes a task with a due date', async () => {
    const c = await newCase(t);
    const task = await t.call('case.addTask', { caseId: c.id, title: 'Send shelter list', dueAt: '2025-03-11T17:00:00Z' });
    expect(task).toMatchObject({ title: 'Send shelter list', dueAt: '2025-03-11T17:00:00.000Z', doneAt: null });
    const done = await t.call('task.complete', { id: task.id });
    expect(done.doneAt).not.toBeNull();
    expect((await t.call('task.complete', { id: task.id })).doneAt).toBe(done.doneAt);
    const kinds = (await record(c.id)).timeline.map((e) => [e.kind, e.body.action]);
    expect(kinds).toEqual([
      ['task', 'added'],
      ['task', 'completed'],
    ]);
  });

  it('records consent per party; a later decision replaces the earlier on the case, the timeline keeps both', async () => {
    const c = await newCase(t);
    await t.call('case.setConsent', { caseId: c.id, shareWith: 'Harbor Counseling', scope: 'Name and phone', given: true });
    await t.call('case.setConsent', { caseId: c.id, shareWith: 'Primary care doctor', scope: 'Screening results', given: true });
    const after = await t.call('case.setConsent', { caseId: c.id, shareWith: 'harbor counseling', scope: 'Name and phone', given: false });
    expect(after.consent!.map((x) => [x.shareWith, x.given])).toEqual([
      ['Primary care doctor', true],
      ['harbor counseling', false],
    ]);
    expect((await record(c.id)).timeline.filter((e) => e.kind === 'consent')).toHaveLength(3);
  });
});

describe('corrections, changes and closure', () => {
  it('corrects an event with a new one pointing at it; the original stays as it was', async () => {
    const c = await newCase(t);
    const note = await t.call('case.addNote', { caseId: c.id, text: 'Spoke with brother' });
    const fix = await t.call('case.correct', { caseId: c.id, eventId: note.id, text: 'It was her sister, not brother' });
    expect(fix).toMatchObject({ kind: 'correction', corrects: note.id, body: { text: 'It was her sister, not brother', correctedKind: 'note' } });
    const r = await record(c.id);
    expect(r.timeline.map((e: CaseEvent) => e.id)).toEqual([note.id, fix.id]);
    expect(r.timeline[0].body).toEqual({ text: 'Spoke with brother' });
    const other = await newCase(t, { name: 'Someone Else' });
    const err = await rejection(t.call('case.correct', { caseId: other.id, eventId: note.id, text: 'x' }));
    expect(err.code).toBe('not_found');
  });

  it('changes risk, status, owner and due time with one status event', async () => {
    const c = await newCase(t);
    const u = await t.call('case.update', { caseId: c.id, risk: 'moderate', status: 'waiting', ownerId: null, dueAt: '2025-03-12T12:00:00Z' });
    expect(u).toMatchObject({ risk: 'moderate', status: 'waiting', ownerId: null, ownerName: null, dueAt: '2025-03-12T12:00:00.000Z' });
    const evt = (await record(c.id)).timeline.at(-1)!;
    expect(Object.keys(evt.body.changes as object).sort()).toEqual(['dueAt', 'ownerId', 'risk', 'status']);
    const same = await t.call('case.update', { caseId: c.id, risk: 'moderate' });
    expect(same.updatedAt).toBe(u.updatedAt);
    const mine = await t.call('case.update', { caseId: c.id, ownerId: 'u-chris' });
    expect(mine.ownerName).toBe('Chris Okafor');
    expect((await rejection(t.call('case.update', { caseId: c.id, ownerId: 'u-nobody' }))).code).toBe('bad_request');
  });

  it('closes only with a reason, and a closed case takes no new work until reopened', async () => {
    const c = await newCase(t);
    const before = snapshot(t);
    const err = await rejection(t.call('case.close', { caseId: c.id, reason: '   ' }));
    expect(err.code).toBe('bad_request');
    expect(err.message).toMatch(/Give a reason for closing/);
    expect(snapshot(t)).toEqual(before);
    const closed: Case = await t.call('case.close', { caseId: c.id, reason: 'Connected to services' });
    expect(closed).toMatchObject({ status: 'closed', closureReason: 'Connected to services', closedAt: '2025-03-10T15:00:00.000Z' });
    expect((await rejection(t.call('case.close', { caseId: c.id, reason: 'again' }))).code).toBe('conflict');
    expect((await rejection(t.call('case.logContact', { caseId: c.id, channel: 'phone', outcome: 'reached' }))).code).toBe('conflict');
    expect((await t.call('case.queue', {})).rows.map((r) => r.id)).not.toContain(c.id);
    expect((await t.call('case.queue', { status: 'closed' })).rows.map((r) => r.id)).toEqual([c.id]);
    const reopened = await t.call('case.update', { caseId: c.id, status: 'open', note: 'Called back in crisis' });
    expect(reopened).toMatchObject({ status: 'open', closedAt: null, closureReason: null });
    const statusEvents = (await record(c.id)).timeline.filter((e) => e.kind === 'status');
    expect(statusEvents[0].body).toMatchObject({ reason: 'Connected to services' });
  });

  it('is for clinicians: a dispatcher is refused', async () => {
    const c = await newCase(t);
    await t.call('session.signOut', {});
    await t.call('session.demoSignIn', { role: 'dispatcher' });
    expect((await rejection(t.call('case.logContact', { caseId: c.id, channel: 'phone', outcome: 'reached' }))).code).toBe('forbidden');
    expect((await rejection(t.call('case.get', { id: c.id }))).code).toBe('forbidden');
    // The directory is for everyone.
    expect((await t.call('directory.search', {})).rows).toEqual([]);
  });
});

describe('timeline rows are what the store holds', () => {
  it('keeps referral and task rows in the replicated tables with outbox ops', async () => {
    const dir = writeHsdsPackage(path.join(t.dir, 'pkg2'), [{ id: 'svc-2', name: 'Food Pantry' }]);
    await importDirectoryAsSupervisor(t, dir);
    const c = await newCase(t);
    const before = t.count('outbox');
    const ref: Referral = await t.call('case.refer', { caseId: c.id, serviceId: 'svc-2' });
    const ops = t.core.store.outboxBatch(1000).slice(before);
    expect(ops.map((o) => o.entity).sort()).toEqual(['case', 'case_event', 'case_event', 'referral', 'task']);
    expect(t.core.store.read<Task>('task', referralTaskId(ref.id))?.caseId).toBe(c.id);
  });
});
