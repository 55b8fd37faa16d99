import { describe, expect, it } from 'vitest';
import { requests, RpcError, type RequestName } from '../../src/shared/contract';
import { ENTITIES, ENTITY_NAMES, roleMayReceive, roleMayWrite, type EntityName } from '../../src/shared/entities';
import { CAPABILITIES, ROLES, consoleViewsFor, defaultConsoleView, may, rolesWith, type Role } from '../../src/shared/roles';
import { validateOpFor } from '../../src/shared/sync/protocol';
import { createRouter, type Handlers } from '../../src/main/core/router';

/**
 * The role policy (src/shared/roles.ts) is the one table of who may do what; everything else
 * derives from it. These tests walk the contract, the entities and the console views against it,
 * and pin the permissions as they stood before the table existed: a structural change must not
 * change who may do what.
 */
const DISPATCH: Role[] = ['dispatcher', 'supervisor', 'admin'];
const CLINICAL: Role[] = ['clinician', 'supervisor'];
const ALL: Role[] = [...ROLES];
/** Everyone who works the floor or runs it: all roles but the program manager (issue 18), who sees the figures only. */
const STAFF: Role[] = ['dispatcher', 'clinician', 'supervisor', 'admin'];

/** Who could call each request before the policy table (contract.ts's role lists); [] = before sign-in. */
const REQUEST_ROLES_BEFORE: Record<RequestName, Role[]> = {
  'session.get': [],
  'session.signIn': [],
  'session.demoSignIn': [],
  'session.signOut': ALL,
  'session.lock': ALL,
  'session.activity': ALL,
  'session.unlock': ALL,
  'sync.status': [],
  'incident.list': STAFF,
  'incident.create': DISPATCH,
  'incident.update': DISPATCH,
  'handoff.request': DISPATCH,
  'handoff.cancel': DISPATCH,
  'handoff.accept': CLINICAL,
  'handoff.decline': CLINICAL,
  'handoff.complete': CLINICAL,
  'handoff.list': STAFF,
  'presence.set': CLINICAL,
  'presence.list': STAFF,
  'presence.live': STAFF,
  'case.queue': CLINICAL,
  'case.get': CLINICAL,
  'case.create': CLINICAL,
  'case.addNote': CLINICAL,
  'case.logContact': CLINICAL,
  'case.screening': CLINICAL,
  'case.refer': CLINICAL,
  'referral.update': CLINICAL,
  'case.addTask': CLINICAL,
  'task.complete': CLINICAL,
  'case.setConsent': CLINICAL,
  'case.correct': CLINICAL,
  'case.update': CLINICAL,
  'case.close': CLINICAL,
  'case.safetyPlan': CLINICAL,
  'case.logTransfer': CLINICAL,
  'directory.search': STAFF,
  'directory.get': STAFF,
  'directory.facets': STAFF,
  'directory.import': ['supervisor', 'admin'],
  // Issue 13: clinicians suggest directory corrections; directory managers decide them.
  'directory.suggest': ['clinician', 'supervisor', 'admin'],
  'directory.suggestions': ['clinician', 'supervisor', 'admin'],
  'directory.suggestion.accept': ['supervisor', 'admin'],
  'directory.suggestion.decline': ['supervisor', 'admin'],
  // Issue 18: one's own figures on one's console; the ECC's, aggregates only, for those who run the program.
  'report.own': CLINICAL,
  'report.program': ['supervisor', 'admin', 'program_manager'],
  // Issue 14: the ECC's audit log on the server, for those who answer for it.
  'audit.search': ['supervisor', 'admin'],
  'audit.export': ['supervisor', 'admin'],
};

/** Entity writers and receivers before the table (entities.ts's writer lists and roleMayReceive). */
const ENTITY_ROLES_BEFORE: Record<EntityName, { write: Role[]; receive: Role[] }> = {
  incident: { write: DISPATCH, receive: STAFF },
  handoff: { write: [], receive: STAFF },
  presence: { write: [], receive: STAFF },
  person: { write: CLINICAL, receive: CLINICAL },
  case: { write: CLINICAL, receive: CLINICAL },
  case_event: { write: CLINICAL, receive: CLINICAL },
  referral: { write: CLINICAL, receive: CLINICAL },
  task: { write: CLINICAL, receive: CLINICAL },
  resource_service: { write: ['supervisor', 'admin'], receive: STAFF },
  // Issue 13: written by the server only; those who may suggest (or decide) receive them.
  directory_suggestion: { write: [], receive: ['clinician', 'supervisor', 'admin'] },
};

const NAMES = Object.keys(requests) as RequestName[];

describe('the policy table', () => {
  it('names only known roles, and gives every role something to do', () => {
    for (const c of CAPABILITIES) for (const r of rolesWith(c)) expect(ROLES).toContain(r);
    for (const r of ROLES) expect(CAPABILITIES.filter((c) => may(r, c)).length, r).toBeGreaterThan(0);
  });

  it('lets nobody who is not signed in do anything', () => {
    for (const c of CAPABILITIES) {
      expect(may(null, c)).toBe(false);
      expect(may(undefined, c)).toBe(false);
    }
  });

  it('leaves every request callable by exactly the roles it was before', () => {
    const now = Object.fromEntries(NAMES.map((n) => [n, ALL.filter((r) => requests[n].capability !== null && may(r, requests[n].capability))]));
    expect(now).toEqual(REQUEST_ROLES_BEFORE);
  });

  it('leaves every entity written and received by exactly the roles it was before', () => {
    const now = Object.fromEntries(
      ENTITY_NAMES.map((e) => [e, { write: ALL.filter((r) => roleMayWrite(r, e)), receive: ALL.filter((r) => roleMayReceive(r, e)) }]),
    );
    expect(now).toEqual(ENTITY_ROLES_BEFORE);
  });

  it('shows each role the screens it had: dispatch, live calls, caseload; program figures and the audit log to those who hold them', () => {
    expect(Object.fromEntries(ROLES.map((r) => [r, consoleViewsFor(r)]))).toEqual({
      dispatcher: ['dispatch'],
      clinician: ['clinician', 'caseload', 'reports'],
      supervisor: ['dispatch', 'clinician', 'caseload', 'reports', 'audit'],
      admin: ['dispatch', 'reports', 'audit'],
      program_manager: ['reports'],
    });
    expect(consoleViewsFor(null)).toEqual([]);
    expect(Object.fromEntries([...ROLES, null].map((r) => [String(r), defaultConsoleView(r)]))).toEqual({
      dispatcher: 'dispatch',
      clinician: 'clinician',
      supervisor: 'dispatch',
      admin: 'dispatch',
      program_manager: 'reports',
      null: 'dispatch',
    });
  });
});

describe('pushed ops are refused by the entity table', () => {
  it.each(ENTITY_NAMES)('%s: only its writers get past the role check', (entity) => {
    const fieldName = Object.keys(ENTITIES[entity].fields)[0];
    const op = { replica: 'ws-1', seq: 1, hlc: '000001700000000:000000:ws-1', entity, id: 'x1', fields: { [fieldName]: 42 } };
    for (const role of ROLES) {
      const { reason } = validateOpFor(role, op);
      if (roleMayWrite(role, entity)) expect(reason, role).toMatch(new RegExp(`^invalid ${entity}\\.${fieldName}`));
      else expect(reason, role).toBe(`a ${role} may not change ${entity} records`);
    }
  });
});

describe('the core router, every request × every role', () => {
  // No handler may run: the router answers from the capability and the input alone.
  const handlers = Object.fromEntries(
    NAMES.map((n) => [
      n,
      () => {
        throw new Error(`${n}: the handler ran`);
      },
    ]),
  ) as unknown as Handlers;
  const dispatch = createRouter(handlers);
  const user = (role: Role) => ({ id: `u-${role}`, username: role, name: role, role, directLine: null });
  // No request takes a number: a call that gets past the role check stops at validation.
  const NOT_AN_INPUT = 42;

  async function answer(name: RequestName, role: Role | null): Promise<{ code: string; message: string }> {
    try {
      await dispatch(name, NOT_AN_INPUT, { user: role ? user(role) : null });
    } catch (err) {
      if (err instanceof RpcError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${name} answered without an error`);
  }

  it.each(NAMES)('%s', async (name) => {
    const capability = requests[name].capability;
    expect(await answer(name, null)).toMatchObject({ code: capability === null ? 'bad_request' : 'unauthenticated' });
    for (const role of ROLES) {
      const expected = capability === null || may(role, capability) ? { code: 'bad_request' } : { code: 'forbidden', message: `A ${role} may not use ${name}` };
      expect(await answer(name, role), role).toMatchObject(expected);
    }
  });
});
