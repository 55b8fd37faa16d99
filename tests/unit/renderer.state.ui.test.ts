import { describe, expect, it } from 'vitest';
import { createUiStore, defaultRoute, isClinicalRole, isDispatchRole } from '../../src/renderer/state/ui';

describe('which desks a role works', () => {
  it.each([
    ['dispatcher', false, true, 'dispatch'],
    ['clinician', true, false, 'clinician'],
    ['supervisor', true, true, 'dispatch'],
    ['admin', false, true, 'dispatch'],
    [null, false, false, 'dispatch'],
  ] as const)('%s: clinical %s, dispatch %s, starts on %s', (role, clinical, dispatch, route) => {
    expect(isClinicalRole(role)).toBe(clinical);
    expect(isDispatchRole(role)).toBe(dispatch);
    expect(defaultRoute(role)).toBe(route);
  });
});

describe('ui state', () => {
  it('"Open case" goes to the caseload with the case waiting; a new user starts on their own screen', () => {
    const ui = createUiStore();
    ui.getState().openCase('case-1');
    expect(ui.getState()).toMatchObject({ route: 'caseload', focusCaseId: 'case-1' });
    ui.getState().reset('clinician');
    expect(ui.getState()).toMatchObject({ route: 'clinician', focusCaseId: null });
  });

  it('the same announcement twice is two announcements', () => {
    const ui = createUiStore();
    ui.getState().announce('Incident created');
    const first = ui.getState().announcement;
    ui.getState().announce('Incident created');
    expect(ui.getState().announcement).toEqual({ text: 'Incident created', n: first.n + 1 });
  });
});
