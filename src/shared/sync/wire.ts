import { z } from 'zod';
import { User } from '../contract';
import type { Capability } from '../roles';
import { ID_PATTERN, OP_LIMITS } from './op-check';
import { Handoff, HandoffMode, HandoffOutcome, PresenceStatus, SuggestionField } from '../entities';

/**
 * What a workstation core and the ECC sync server say to each other over the WebSocket
 * (`/v1/ws`). Requests carry an id and get exactly one response; the server also sends
 * `hello` once and `poke` whenever its change-log cursor moves.
 *
 * Authentication is on the upgrade request: `x-tandem-workstation` + `x-tandem-secret`
 * (the enrolled workstation) and `authorization: Bearer <session token>` (the signed-in user).
 */
export const WIRE_PATH = '/v1/ws';

/**
 * Requests a core can make over the socket, each with the capability (shared/roles.ts) its
 * caller needs; the server refuses the rest before reading the parameters. Push and pull are
 * also plain HTTP for tools.
 */
export const SERVER_METHOD_CAPABILITY = {
  push: 'sync',
  pull: 'sync',
  /** Pulled ops a console set aside (op-check): recorded with the refused ops. */
  'sync.report': 'sync',
  'handoff.request': 'handoff.request',
  'handoff.cancel': 'handoff.request',
  'handoff.accept': 'handoff.answer',
  'handoff.decline': 'handoff.answer',
  'handoff.complete': 'handoff.answer',
  'presence.set': 'presence.set',
  /**
   * Whether a person is at this console (a window of it is open). Handled by the hub itself: a
   * console that says it is unattended no longer counts as an answerer. A console that never
   * says counts as attended (a core without windows, or an older version).
   */
  'presence.attend': 'sync',
  'report.program': 'report.program',
  /** The console's own audit chain, pushed as written; the server verifies it on arrival (server/console-audit.ts). */
  'audit.push': 'sync',
  /** The supervisor's audit screen: one bounded page of the server's audit log, filtered. */
  'audit.search': 'audit.read',
  /** One incident's CAD document, on demand, for a role that does not receive them with every pull. */
  'incident.document': 'incident.read',
  /** Suggest a directory correction; accept (the server applies it) or decline one. */
  'directory.suggest': 'directory.suggest',
  'directory.suggestion.accept': 'directory.manage',
  'directory.suggestion.decline': 'directory.manage',
} as const satisfies Record<string, Capability>;
export type ServerMethod = keyof typeof SERVER_METHOD_CAPABILITY;
export const SERVER_METHODS = Object.keys(SERVER_METHOD_CAPABILITY) as [ServerMethod, ...ServerMethod[]];

export const ClientMessage = z.object({
  t: z.literal('req'),
  id: z.number().int().nonnegative(),
  m: z.enum(SERVER_METHODS),
  p: z.unknown(),
});
export type ClientMessage = z.infer<typeof ClientMessage>;

export const WireError = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

// A plain union: two `res` shapes share the discriminator value, which discriminatedUnion refuses.
export const ServerMessage = z.union([
  z.object({
    t: z.literal('hello'),
    serverTime: z.number(),
    cursor: z.number().int(),
    user: User,
    maxDriftMs: z.number(),
    /** The server pings this often; a console that hears nothing for three of them treats the link as cut. */
    heartbeatMs: z.number().int().positive().optional(),
  }),
  /**
   * Who a live handoff would ring right now (the hub's answerers: connected, answering pings,
   * attended), sent after `hello` and whenever it changes. The same set the server checks
   * before it rings, so a console can say exactly what F9 would do.
   */
  z.object({ t: z.literal('answerers'), users: z.array(z.object({ id: z.string(), name: z.string() })).max(1000) }),
  z.object({ t: z.literal('poke'), cursor: z.number().int() }),
  /**
   * A live handoff started ringing: sent at once to every clinician console, ahead of the
   * change log (which still carries the row), so the ring does not wait for a pull.
   */
  z.object({ t: z.literal('ring'), handoff: Handoff }),
  z.object({ t: z.literal('res'), id: z.number().int(), ok: z.literal(true), r: z.unknown() }),
  z.object({ t: z.literal('res'), id: z.number().int(), ok: z.literal(false), e: WireError }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

export const HEADER_WORKSTATION = 'x-tandem-workstation';
export const HEADER_SECRET = 'x-tandem-secret';
/** SHA-256 (hex) of the OS's machine id: a workstation enrolled with one is accepted only from that machine. */
export const HEADER_MACHINE = 'x-tandem-machine';

/** Parameters of the server-side handoff methods (the server is the arbiter of live handoff). */
const rowId = z.string().min(1).max(OP_LIMITS.idMaxLength).regex(ID_PATTERN, 'may hold only letters, digits and . _ : @ ~ + = -');
export const HandoffRequestParams = z.object({
  id: rowId,
  incidentId: rowId,
  mode: HandoffMode,
  note: z.string().max(2000).nullable(),
});
export const HandoffIdParams = z.object({ id: z.string().min(1) });
export const HandoffDeclineParams = z.object({ id: z.string().min(1), reason: z.string().min(1).max(500) });
export const HandoffCompleteParams = z.object({
  id: z.string().min(1),
  outcome: HandoffOutcome,
  caseId: rowId,
});
export const SyncReportParams = z.object({
  quarantined: z
    .array(z.object({ cursor: z.number().int().positive().nullable(), reason: z.string().min(1).max(1000) }))
    .min(1)
    .max(100),
});
/** Most entries in one `audit.push`. */
export const AUDIT_PUSH_MAX = 500;
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
export const ConsoleAuditEntry = z.object({
  seq: z.number().int().positive(),
  at: z.string().min(1).max(40),
  actor: z.string().max(100).nullable(),
  action: z.string().min(1).max(100),
  subject: z.string().max(300).nullable(),
  detail: z.string().max(16_384).nullable(),
  prevHash: Hex64,
  hash: Hex64,
});
export type ConsoleAuditEntry = z.infer<typeof ConsoleAuditEntry>;
export const AuditPushParams = z.object({ entries: z.array(ConsoleAuditEntry).min(1).max(AUDIT_PUSH_MAX) });
/** The last entry of this workstation's chain the server holds (0: none). */
export const AuditPushResponse = z.object({ seq: z.number().int().nonnegative() });

/** The supervisor's audit screen: `audit.search`'s parameters and answer (shared with the console's contract). */
export { AUDIT_PAGE_MAX, AuditSearchEntry, AuditSearchParams, AuditSearchResponse } from '../audit-search';

export const DirectorySuggestParams = z.object({
  id: rowId,
  serviceId: rowId,
  field: SuggestionField,
  proposed: z.string().trim().min(1, 'Say what it should be').max(4000),
  reason: z.string().trim().max(1000),
});
export const SuggestionIdParams = z.object({ id: rowId });
export const SuggestionDeclineParams = z.object({ id: rowId, reason: z.string().trim().min(1, 'Say why it is declined').max(1000) });
export const IncidentDocumentParams = z.object({ id: rowId });
export const PresenceSetParams = z.object({ status: PresenceStatus });
export const PresenceAttendParams = z.object({ attended: z.boolean() });
export const PullParams = z.object({
  cursor: z.number().int().nonnegative(),
  limit: z.number().int().min(1).max(5000).default(1000),
  /** Leave out ops this workstation pushed itself (a console already holds them). */
  excludeOwn: z.boolean().default(false),
});

/** The answer to POST /v1/enroll. */
export const EnrollResponse = z.object({ workstationId: z.string(), secret: z.string() });
/** The answer to POST /v1/session. */
export const SessionResponse = z.object({
  token: z.string(),
  user: User,
  expiresAt: z.string(),
  /** Two-step sign-in was set up by this sign-in: its recovery codes, shown once. */
  recoveryCodes: z.array(z.string()).optional(),
});
