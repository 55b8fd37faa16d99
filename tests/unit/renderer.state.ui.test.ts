import { describe, expect, it } from 'vitest';
import { createUiStore } from '../../src/renderer/state/ui';

describe('which screen a new user starts on', () => {
  it.each([
    ['dispatcher', 'dispatch'],
    ['clinician', 'clinician'],
    ['supervisor', 'dispatch'],
    ['admin', 'dispatch'],
    [null, 'dispatch'],
  ] as const)('%s starts on %s', (role, route) => {
    const ui = createUiStore();
    ui.getState().setRoute('caseload');
    ui.getState().reset(role);
    expect(ui.getState().route).toBe(route);
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
