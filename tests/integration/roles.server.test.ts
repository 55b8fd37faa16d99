import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, may, type Role } from '../../src/shared/roles';
import { SERVER_METHOD_CAPABILITY, type ServerMethod } from '../../src/shared/sync/wire';
import { ROUTE_ACCESS, isCapability, type Route } from '../../src/server/access';
import { Client, enroll, http, signedIn, startServer, type Session, type TestServer } from './server-helpers';

/**
 * Every HTTP route and every WebSocket method of a real sync server, called by every role, by
 * a workstation nobody is signed in on, and by a revoked session, a disabled user and a revoked
 * workstation, against what the policy table (src/shared/roles.ts) says each may do: no route
 * or method is open or closed by accident.
 */
let t: TestServer;
const sessions = new Map<Role, Session>();
/** An enrolled workstation with nobody signed in. */
let anonymous: Record<string, string>;

/** Callers whose access was taken away (issue 14): each had a session of a role that may do everything it tries. */
type Lost = 'revoked session' | 'disabled user' | 'revoked workstation';
const lost = new Map<Lost, Record<string, string>>();

beforeAll(async () => {
  t = await startServer();
  for (const role of ROLES) sessions.set(role, await signedIn(t.server, role));
  anonymous = (await enroll(t.server, 'nobody-desk')).headers;
  const usernameOf = async (s: Session) => (await t.server.admin.listUsers()).find((u) => u.id === s.userId)!.username;
  const revoked = await signedIn(t.server, 'admin');
  const id = (await t.server.admin.listSessions()).find((x) => x.userId === revoked.userId)!.id;
  expect(await t.server.admin.revokeSession(id)).toBe(1);
  lost.set('revoked session', revoked.headers);
  const disabled = await signedIn(t.server, 'admin');
  expect(await t.server.admin.disableUser(await usernameOf(disabled))).not.toBeNull();
  lost.set('disabled user', disabled.headers);
  const gone = await signedIn(t.server, 'admin');
  expect(await t.server.admin.revokeWorkstation(gone.ws.workstationId)).toBe(true);
  lost.set('revoked workstation', gone.headers);
});
afterAll(() => t.cleanup());

type Caller = { role: Role | null; lost?: Lost; headers: Record<string, string> };
const callers = (): Caller[] => [
  { role: null, headers: anonymous },
  ...ROLES.map((role) => ({ role, headers: sessions.get(role)!.headers })),
  ...[...lost].map(([what, headers]) => ({ role: 'admin' as const, lost: what, headers })),
];

/**
 * How each route is tried: with input it must refuse, where it takes any, so that a caller who
 * gets past the access check gets a 400 and changes nothing. The answer is the HTTP status.
 */
const PROBES: Record<Route, { status: number; probe: (headers: Record<string, string>) => Promise<number> }> = {
  'GET /v1/health': { status: 200, probe: async (headers) => (await http(t.server.url, 'GET', '/v1/health', { headers })).status },
  'POST /v1/enroll': { status: 400, probe: async (headers) => (await http(t.server.url, 'POST', '/v1/enroll', { headers, body: {} })).status },
  'POST /v1/session': { status: 400, probe: async (headers) => (await http(t.server.url, 'POST', '/v1/session', { headers, body: {} })).status },
  'POST /v1/push': { status: 400, probe: async (headers) => (await http(t.server.url, 'POST', '/v1/push', { headers, body: {} })).status },
  'GET /v1/pull': { status: 400, probe: async (headers) => (await http(t.server.url, 'GET', '/v1/pull?cursor=-1', { headers })).status },
  'GET /v1/ws': {
    status: 101,
    probe: async (headers) => {
      try {
        await (await Client.connect(t.server, headers)).close();
        return 101;
      } catch (err) {
        return (err as { status?: number }).status ?? -1;
      }
    },
  },
  'POST /eido': { status: 422, probe: async (headers) => (await http(t.server.url, 'POST', '/eido', { headers, body: {} })).status },
  'POST /v1/eido': { status: 422, probe: async (headers) => (await http(t.server.url, 'POST', '/v1/eido', { headers, body: {} })).status },
  // Ends the session it is called with: tried last, below.
  'DELETE /v1/session': { status: 200, probe: async (headers) => (await http(t.server.url, 'DELETE', '/v1/session', { headers })).status },
};

/** What a route should answer a caller, from ROUTE_ACCESS and the policy table. */
function expectedStatus(route: Route, role: Role | null, lostAccess?: Lost): number {
  const access = ROUTE_ACCESS[route];
  if (lostAccess) {
    // Nothing a signed-in user may do; signing in again is up to the workstation's enrollment.
    if (isCapability(access) || access === 'CAD key') return 401;
    if (access === 'workstation') return lostAccess === 'revoked workstation' ? 401 : PROBES[route].status;
    return PROBES[route].status;
  }
  if (isCapability(access)) return role === null ? 401 : may(role, access) ? PROBES[route].status : 403;
  // A user's session is no CAD key.
  if (access === 'CAD key') return 401;
  return PROBES[route].status;
}

describe('HTTP routes × roles', () => {
  const routes = (Object.keys(ROUTE_ACCESS) as Route[]).filter((r) => r !== 'DELETE /v1/session');

  it.each(routes)('%s', async (route) => {
    for (const { role, lost: what, headers } of callers()) {
      expect(await PROBES[route].probe(headers), `${route} as ${what ?? role ?? 'nobody'}`).toBe(expectedStatus(route, role, what));
    }
  });
});

describe('WebSocket methods × roles', () => {
  const methods = Object.keys(SERVER_METHOD_CAPABILITY) as ServerMethod[];

  it.each(methods)('%s', async (method) => {
    for (const role of ROLES) {
      const headers = sessions.get(role)!.headers;
      // A role that may not open the socket has no methods (the upgrade is checked above).
      if (!may(role, ROUTE_ACCESS['GET /v1/ws'])) continue;
      const client = await Client.connect(t.server, headers);
      try {
        // Parameters no method takes: an allowed caller is told they are malformed.
        const res = await client.call(method, null);
        const expected = may(role, SERVER_METHOD_CAPABILITY[method]) ? 'bad_request' : 'forbidden';
        expect(res.ok ? 'ok' : res.e.code, `${method} as ${role}`).toBe(expected);
      } finally {
        await client.close();
      }
    }
  });
});

describe('DELETE /v1/session × roles', () => {
  it('ends the caller’s own session, for every role that may keep one', async () => {
    for (const { role, lost: what, headers } of callers()) {
      expect(await PROBES['DELETE /v1/session'].probe(headers), what ?? role ?? 'nobody').toBe(expectedStatus('DELETE /v1/session', role, what));
      if (role && !what && may(role, ROUTE_ACCESS['DELETE /v1/session'])) {
        expect(await PROBES['POST /v1/push'].probe(headers), `${role} after signing out`).toBe(401);
      }
    }
  });
});
