import { describe, expect, it } from 'vitest';
import { clinicianAction, dispatcherAction, isActivatable, isTypingTarget, type ClinicianKeyContext } from '../../src/renderer/logic/keys';

const idle = { typing: false, formOpen: false };

describe('dispatcher keys', () => {
  it('F9 conferences, Shift+F9 asks for a follow-up', () => {
    expect(dispatcherAction({ key: 'F9' }, idle)).toBe('conference');
    expect(dispatcherAction({ key: 'F9', shiftKey: true }, idle)).toBe('followup');
  });
  it('a held-down F9 does not send twice', () => {
    expect(dispatcherAction({ key: 'F9', repeat: true }, idle)).toBeNull();
  });
  it('F10 is left to the system', () => {
    expect(dispatcherAction({ key: 'F10' }, idle)).toBeNull();
  });
  it('N opens the form, arrows and j/k move, Home/End jump, Esc cancels ringing', () => {
    expect(dispatcherAction({ key: 'n' }, idle)).toBe('newIncident');
    expect(dispatcherAction({ key: 'N', shiftKey: true }, idle)).toBe('newIncident');
    expect(dispatcherAction({ key: 'ArrowDown' }, idle)).toBe('next');
    expect(dispatcherAction({ key: 'j' }, idle)).toBe('next');
    expect(dispatcherAction({ key: 'ArrowUp' }, idle)).toBe('prev');
    expect(dispatcherAction({ key: 'k' }, idle)).toBe('prev');
    expect(dispatcherAction({ key: 'Home' }, idle)).toBe('first');
    expect(dispatcherAction({ key: 'End' }, idle)).toBe('last');
    expect(dispatcherAction({ key: 'Escape' }, idle)).toBe('cancelHandoff');
  });
  it('E edits the selected incident, but not while typing, with the form open, or as Ctrl+E', () => {
    expect(dispatcherAction({ key: 'e' }, idle)).toBe('edit');
    expect(dispatcherAction({ key: 'E', shiftKey: true }, idle)).toBe('edit');
    expect(dispatcherAction({ key: 'e', repeat: true }, idle)).toBeNull();
    expect(dispatcherAction({ key: 'e' }, { typing: true, formOpen: false })).toBeNull();
    expect(dispatcherAction({ key: 'e' }, { typing: false, formOpen: true })).toBeNull();
    expect(dispatcherAction({ key: 'e', ctrlKey: true }, idle)).toBeNull();
  });
  it('stays out of the way while typing, with the form open, or with Ctrl/Alt/Meta', () => {
    expect(dispatcherAction({ key: 'n' }, { typing: true, formOpen: false })).toBeNull();
    expect(dispatcherAction({ key: 'j' }, { typing: true, formOpen: false })).toBeNull();
    expect(dispatcherAction({ key: 'F9' }, { typing: false, formOpen: true })).toBeNull();
    expect(dispatcherAction({ key: 'Escape' }, { typing: false, formOpen: true })).toBeNull();
    expect(dispatcherAction({ key: 'n', ctrlKey: true }, idle)).toBeNull();
    expect(dispatcherAction({ key: 'F9', altKey: true }, idle)).toBeNull();
    expect(dispatcherAction({ key: 'x' }, idle)).toBeNull();
  });
});

describe('clinician keys', () => {
  const ringing: ClinicianKeyContext = { typing: false, focusActivatable: false, ringing: true, declining: false, inConference: false };
  it('A or Enter accepts, D starts a decline', () => {
    expect(clinicianAction({ key: 'a' }, ringing)).toEqual({ type: 'accept' });
    expect(clinicianAction({ key: 'A', shiftKey: true }, ringing)).toEqual({ type: 'accept' });
    expect(clinicianAction({ key: 'Enter' }, ringing)).toEqual({ type: 'accept' });
    expect(clinicianAction({ key: 'd' }, ringing)).toEqual({ type: 'startDecline' });
  });
  it('Enter on a focused button does what the button says instead', () => {
    expect(clinicianAction({ key: 'Enter' }, { ...ringing, focusActivatable: true })).toBeNull();
  });
  it('a second call ringing during a conference: Enter stays with the conference, only A accepts', () => {
    const second = { ...ringing, inConference: true };
    expect(clinicianAction({ key: 'Enter' }, second)).toBeNull();
    expect(clinicianAction({ key: 'a' }, second)).toEqual({ type: 'accept' });
    expect(clinicianAction({ key: 'a' }, { ...second, typing: true })).toBeNull();
  });
  it('nothing rings: A and D do nothing', () => {
    expect(clinicianAction({ key: 'a' }, { ...ringing, ringing: false })).toBeNull();
    expect(clinicianAction({ key: 'd' }, { ...ringing, ringing: false })).toBeNull();
  });
  it('while declining, Esc backs out even from the reason field; letters are typing', () => {
    const declining = { ...ringing, declining: true, typing: true };
    expect(clinicianAction({ key: 'Escape' }, declining)).toEqual({ type: 'cancelDecline' });
    expect(clinicianAction({ key: 'a' }, declining)).toBeNull();
    expect(clinicianAction({ key: 'a' }, { ...ringing, declining: true })).toBeNull();
  });
  it('1–5 pick the outcome in a conference, but not while typing notes', () => {
    const conf = { ...ringing, ringing: false, inConference: true };
    expect(clinicianAction({ key: '1' }, conf)).toEqual({ type: 'outcome', outcome: 'resolved_by_phone' });
    expect(clinicianAction({ key: '4' }, conf)).toEqual({ type: 'outcome', outcome: 'referral' });
    expect(clinicianAction({ key: '6' }, conf)).toBeNull();
    expect(clinicianAction({ key: '2' }, { ...conf, typing: true })).toBeNull();
    expect(clinicianAction({ key: '2' }, { ...conf, inConference: false })).toBeNull();
    expect(clinicianAction({ key: '2', ctrlKey: true }, conf)).toBeNull();
  });
  it('ignores key repeat and command modifiers', () => {
    expect(clinicianAction({ key: 'a', repeat: true }, ringing)).toBeNull();
    expect(clinicianAction({ key: 'a', metaKey: true }, ringing)).toBeNull();
  });
});

describe('focus classification', () => {
  it('text fields are typing; buttons, radios and checkboxes are not', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'text' })).toBe(true);
    expect(isTypingTarget({ tagName: 'input', type: 'tel' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTypingTarget({ tagName: 'SELECT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'radio' })).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
  it('buttons and links are activatable; the page body is not', () => {
    expect(isActivatable({ tagName: 'BUTTON' })).toBe(true);
    expect(isActivatable({ tagName: 'A' })).toBe(true);
    expect(isActivatable({ tagName: 'BODY' })).toBe(false);
    expect(isActivatable({ tagName: 'DIV' })).toBe(false);
  });
});
