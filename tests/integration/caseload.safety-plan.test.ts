import { afterEach, describe, expect, it } from 'vitest';
import { newCase, rejection, snapshot, startCore, type TestCore } from './caseload.helpers';
import { CRISIS_LINE_988, emptySafetyPlan, safetyPlanOf } from '../../src/shared/safety-plan';
import type { CaseRecord } from '../../src/shared/contract';

let t: TestCore;
afterEach(() => t?.close());

const plan = {
  ...emptySafetyPlan(),
  warningSigns: ['Not sleeping', 'Pulling away from my sister'],
  copingStrategies: ['Walk the dog'],
  distractions: ['Library on Main St'],
  helpers: ['Sister Ana 617-555-0111'],
  environment: ['Pills kept by Ana'],
  reasonForLiving: 'My daughter',
};

describe('safety plan on a case', () => {
  it('saves versions on the timeline, each whole, numbered in order; 988 is on a new plan', async () => {
    t = await startCore();
    const c = await newCase(t);
    expect(emptySafetyPlan().professionals).toEqual([CRISIS_LINE_988]);
    const v1 = await t.call('case.safetyPlan', { caseId: c.id, plan });
    const v2 = await t.call('case.safetyPlan', { caseId: c.id, plan: { ...plan, copingStrategies: ['Walk the dog', 'Music'] } });
    expect(v1.kind).toBe('safety_plan');
    expect(safetyPlanOf(v1.body)?.version).toBe(1);
    expect(safetyPlanOf(v2.body)).toMatchObject({ version: 2, copingStrategies: ['Walk the dog', 'Music'], professionals: [CRISIS_LINE_988], reasonForLiving: 'My daughter' });
    const record = (await t.call('case.get', { id: c.id })) as CaseRecord;
    const plans = record.timeline.filter((e) => e.kind === 'safety_plan').map((e) => safetyPlanOf(e.body)?.version);
    expect(plans).toEqual([1, 2]);
    // Written as changes to sync, like every case write (it works offline: this core has no server).
    expect(t.count('outbox', "WHERE entity = 'case_event'")).toBeGreaterThanOrEqual(2);
  });

  it('refuses a plan without warning signs, or with no one to call, and a closed case, writing nothing', async () => {
    t = await startCore();
    const c = await newCase(t);
    const before = snapshot(t);
    const noSigns = await rejection(t.call('case.safetyPlan', { caseId: c.id, plan: { ...plan, warningSigns: [] } }));
    expect(noSigns.message).toBe('Write at least one warning sign (step 1)');
    const noOne = await rejection(t.call('case.safetyPlan', { caseId: c.id, plan: { ...plan, helpers: [], professionals: [] } }));
    expect(noOne.message).toBe('Name at least one person or service to call (step 4 or 5)');
    const blankLine = await rejection(t.call('case.safetyPlan', { caseId: c.id, plan: { ...plan, helpers: ['  '] } }));
    expect(blankLine.code).toBe('bad_request');
    expect(snapshot(t)).toEqual(before);
    await t.call('case.close', { caseId: c.id, reason: 'Needs met' });
    const closed = await rejection(t.call('case.safetyPlan', { caseId: c.id, plan }));
    expect(closed.code).toBe('conflict');
  });

  it('a dispatcher may not write one', async () => {
    t = await startCore({ role: 'dispatcher' });
    const refused = await rejection(t.call('case.safetyPlan', { caseId: 'case-x', plan }));
    expect(refused.code).toBe('forbidden');
  });
});

describe('crisis-line transfers', () => {
  it('records 988 or a named line with the time; refuses an unnamed line, the future and yesterday', async () => {
    t = await startCore();
    const c = await newCase(t);
    const e = await t.call('case.logTransfer', { caseId: c.id, line: '988' });
    expect(e.kind).toBe('transfer');
    expect(e.body).toMatchObject({ line: '988', lineName: '988 Suicide & Crisis Lifeline' });
    expect(typeof e.body.transferredAt).toBe('string');
    const before = snapshot(t);
    expect((await rejection(t.call('case.logTransfer', { caseId: c.id, line: 'other' }))).message).toBe('Name the crisis line the person was transferred to');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await rejection(t.call('case.logTransfer', { caseId: c.id, line: '988', at: future }))).message).toBe('A transfer cannot be logged in the future');
    const old = new Date(Date.now() - 25 * 3_600_000).toISOString();
    expect((await rejection(t.call('case.logTransfer', { caseId: c.id, line: '988', at: old }))).message).toBe('Log a transfer within 24 hours of making it');
    expect(snapshot(t)).toEqual(before);
  });
});
