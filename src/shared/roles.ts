import { z } from 'zod';

/** Who is signed in. Every request and every synced row is checked against this. */
/**
 * A program manager (issue 18) runs the co-responder program and reports it to the city: she
 * sees the ECC's program figures (aggregates only) and nothing else: no incident, handoff,
 * presence, case or directory row reaches her console, and the server refuses her every other
 * method.
 */
export const ROLES = ['dispatcher', 'clinician', 'supervisor', 'admin', 'program_manager'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

interface Grant {
  roles: readonly Role[];
  /** Finishes "A dispatcher may not …" in a refusal. */
  does: string;
}

/**
 * Who may do what: the one table. Contract requests, replicated entities, the sync server's
 * methods and routes and the console's views each name a capability, never a role, so adding a
 * role (or moving a power from one role to another) is a change to ROLES and this table only.
 */
export const POLICY = {
  /** Sign out, lock and unlock one's own session. */
  'session.own': { roles: ['dispatcher', 'clinician', 'supervisor', 'admin', 'program_manager'], does: 'keep a session' },
  /**
   * Push a workstation's outbox and pull the change log (what is pushed or pulled is checked row
   * by row: a program manager may read and write no entity, so she pulls nothing and pushes nothing).
   * Also the console's socket, which carries the program figures.
   */
  sync: { roles: ['dispatcher', 'clinician', 'supervisor', 'admin', 'program_manager'], does: 'sync with the server' },
  'incident.read': { roles: ['dispatcher', 'clinician', 'supervisor', 'admin'], does: 'read incidents' },
  /**
   * Receive CAD's whole incident document (EIDO, up to MiBs) with every incident a pull brings:
   * the dispatch side reviews what Tandem repaired in it. Anyone who reads incidents may still
   * fetch one incident's document on demand (a clinician's console sending an outcome to CAD).
   */
  'incident.document': { roles: ['dispatcher', 'supervisor', 'admin'], does: "receive CAD's incident documents with every pull" },
  'incident.write': { roles: ['dispatcher', 'supervisor', 'admin'], does: 'create or change incidents' },
  'handoff.read': { roles: ['dispatcher', 'clinician', 'supervisor', 'admin'], does: 'read handoffs' },
  /** Request (or cancel) a clinician on an incident: the dispatch side of a handoff. */
  'handoff.request': { roles: ['dispatcher', 'supervisor', 'admin'], does: 'request a clinician handoff' },
  /** Be rung by a live handoff, accept, decline or complete it, and take up follow-up requests. */
  'handoff.answer': { roles: ['clinician', 'supervisor'], does: 'answer a clinician handoff' },
  'presence.read': { roles: ['dispatcher', 'clinician', 'supervisor', 'admin'], does: 'see clinician presence' },
  'presence.set': { roles: ['clinician', 'supervisor'], does: 'set clinician presence' },
  /** Case records, people, notes, screenings, referrals, tasks: never on a dispatcher's replica. */
  'clinical.read': { roles: ['clinician', 'supervisor'], does: 'read clinical records' },
  'clinical.write': { roles: ['clinician', 'supervisor'], does: 'change clinical records' },
  /** Give a case to another clinician, or take one from its owner (anyone may take up an unowned case). */
  'case.reassign': { roles: ['supervisor'], does: "change another clinician's case owner" },
  'directory.read': { roles: ['dispatcher', 'clinician', 'supervisor', 'admin'], does: 'search the service directory' },
  /**
   * Import or change the shared service directory every console reads (its entries sync to all
   * of them: a wrong crisis-line number would reach every console). Not clinicians: issue 13.
   */
  'directory.manage': { roles: ['supervisor', 'admin'], does: 'change the shared service directory' },
  /**
   * Suggest a correction to a directory entry (a wrong phone number, a closed service) for a
   * directory manager to accept or decline: the server records who suggested it.
   */
  'directory.suggest': { roles: ['clinician', 'supervisor', 'admin'], does: 'suggest a directory correction' },
  /** One's own program figures (calls taken, follow-ups, referrals), from one's own console, offline too. */
  'report.own': { roles: ['clinician', 'supervisor'], does: 'see their own program figures' },
  /** The whole ECC's program figures from the server: aggregates only, never a name, note or phone number. */
  'report.program': { roles: ['supervisor', 'admin', 'program_manager'], does: 'see the program dashboard' },
  /** The ECC's audit log on the server (who saw or changed what, when, from where): issue 14. */
  'audit.read': { roles: ['supervisor', 'admin'], does: 'read the audit log' },
} as const satisfies Record<string, Grant>;

export type Capability = keyof typeof POLICY;
export const CAPABILITIES = Object.keys(POLICY) as Capability[];

/** May a user signed in with `role` do this? Without a signed-in user, nothing. */
export function may(role: Role | null | undefined, capability: Capability): boolean {
  if (!role) return false;
  return (POLICY[capability].roles as readonly Role[]).includes(role);
}

export function rolesWith(capability: Capability): readonly Role[] {
  return POLICY[capability].roles;
}

/** "A dispatcher may not answer a clinician handoff": the one wording of a refusal. */
export function refusal(role: Role, capability: Capability): string {
  return `A ${role.replace('_', ' ')} may not ${POLICY[capability].does}`;
}

/** The console's screens, each shown to the roles holding its capability (or any of them), in this order. */
export const CONSOLE_VIEWS = {
  dispatch: 'handoff.request',
  clinician: 'handoff.answer',
  caseload: 'clinical.read',
  /** Program figures: one's own, the ECC's, or both. */
  reports: ['report.own', 'report.program'],
  /** The ECC's audit log, on the sync server: who saw or changed what, when, from where (issue 14). */
  audit: 'audit.read',
} as const satisfies Record<string, Capability | readonly Capability[]>;
export type ConsoleView = keyof typeof CONSOLE_VIEWS;

export function consoleViewsFor(role: Role | null | undefined): ConsoleView[] {
  return (Object.keys(CONSOLE_VIEWS) as ConsoleView[]).filter((view) => [CONSOLE_VIEWS[view]].flat().some((c) => may(role, c)));
}

/** The screen a console opens on after sign-in. */
export function defaultConsoleView(role: Role | null | undefined): ConsoleView {
  return consoleViewsFor(role)[0] ?? 'dispatch';
}

/** May this role see clinical material (case records, notes, screenings, referrals)? */
export function isClinical(role: Role | null | undefined): boolean {
  return may(role, 'clinical.read');
}
