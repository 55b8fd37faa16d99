import { z } from 'zod';
import { User } from '../contract';
import type { Capability } from '../roles';
import { Handoff, HandoffMode, HandoffOutcome, PresenceStatus } from '../entities';

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
  'handoff.request': 'handoff.request',
  'handoff.cancel': 'handoff.request',
  'handoff.accept': 'handoff.answer',
  'handoff.decline': 'handoff.answer',
  'handoff.complete': 'handoff.answer',
  'presence.set': 'presence.set',
  'report.program': 'report.program',
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
  z.object({ t: z.literal('hello'), serverTime: z.number(), cursor: z.number().int(), user: User, maxDriftMs: z.number() }),
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

/** Parameters of the server-side handoff methods (the server is the arbiter of live handoff). */
export const HandoffRequestParams = z.object({
  id: z.string().min(1),
  incidentId: z.string().min(1),
  mode: HandoffMode,
  note: z.string().max(2000).nullable(),
});
export const HandoffIdParams = z.object({ id: z.string().min(1) });
export const HandoffDeclineParams = z.object({ id: z.string().min(1), reason: z.string().min(1).max(500) });
export const HandoffCompleteParams = z.object({
  id: z.string().min(1),
  outcome: HandoffOutcome,
  caseId: z.string().min(1),
});
export const PresenceSetParams = z.object({ status: PresenceStatus });
export const PullParams = z.object({
  cursor: z.number().int().nonnegative(),
  limit: z.number().int().min(1).max(5000).default(1000),
  /** Leave out ops this workstation pushed itself (a console already holds them). */
  excludeOwn: z.boolean().default(false),
});

/** The answer to POST /v1/enroll. */
export const EnrollResponse = z.object({ workstationId: z.string(), secret: z.string() });
/** The answer to POST /v1/session. */
export const SessionResponse = z.object({ token: z.string(), user: User, expiresAt: z.string() });
