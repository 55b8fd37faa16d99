import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../shared/contract';
import { CAPABILITIES, may, refusal, type Capability } from '../shared/roles';
import type { Auth, Caller } from './auth';
import { ServerError } from './errors';

/**
 * Who may use each of the server's HTTP routes: a capability of the signed-in user (checked
 * once, for every such route, before its handler runs), or the other credential the route's
 * handler checks itself. A route missing here refuses to register, so none is open by accident.
 */
export type RouteAccess = Capability | 'anyone' | 'enrollment token' | 'workstation' | 'CAD key';

export const ROUTE_ACCESS = {
  'GET /v1/health': 'anyone',
  'POST /v1/enroll': 'enrollment token',
  /** Signing in: an enrolled workstation with a username and password. */
  'POST /v1/session': 'workstation',
  'DELETE /v1/session': 'session.own',
  'POST /v1/push': 'sync',
  'GET /v1/pull': 'sync',
  /** The consoles' WebSocket upgrade; each method on it has its own capability (SERVER_METHOD_CAPABILITY). */
  'GET /v1/ws': 'sync',
  'POST /eido': 'CAD key',
  'POST /v1/eido': 'CAD key',
} as const satisfies Record<string, RouteAccess>;
export type Route = keyof typeof ROUTE_ACCESS;

/** A route's access, or null when it is not listed. HEAD goes with its GET. */
export function routeAccess(method: string, url: string): RouteAccess | null {
  const key = `${method === 'HEAD' ? 'GET' : method} ${url}`;
  return Object.prototype.hasOwnProperty.call(ROUTE_ACCESS, key) ? ROUTE_ACCESS[key as Route] : null;
}

export function isCapability(access: RouteAccess): access is Capability {
  return (CAPABILITIES as readonly string[]).includes(access);
}

/** A `forbidden` unless the user's role holds the capability (shared/roles.ts). */
export function requireCapability(user: User, capability: Capability): void {
  if (!may(user.role, capability)) throw new ServerError('forbidden', refusal(user.role, capability));
}

/** The signed-in caller of a request, allowed `capability`; 401 or 403 otherwise. */
export async function authorize(auth: Auth, headers: IncomingHttpHeaders, capability: Capability): Promise<Caller> {
  const caller = await auth.authenticate(headers);
  requireCapability(caller.user, capability);
  return caller;
}

/**
 * Makes ROUTE_ACCESS binding on a Fastify instance: registering a route it does not list throws,
 * and the caller of every route whose access is a capability is signed in and checked before its
 * handler runs. Returns how a handler gets that caller. Call before registering any route.
 */
export function guardRoutes(fastify: FastifyInstance, auth: Auth): (req: FastifyRequest) => Caller {
  const callers = new WeakMap<FastifyRequest, Caller>();
  fastify.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    for (const method of methods) {
      if (!routeAccess(method, route.url)) throw new Error(`${method} ${route.url} is not listed in ROUTE_ACCESS (src/server/access.ts)`);
    }
    // The credential is checked in the route's own onRequest hooks, after any added before
    // (the rate limiter counts every attempt) and before the body is read: a caller without
    // it is answered before a byte of its body is parsed.
    const check = async (req: FastifyRequest) => {
      const access = routeAccess(req.method, route.url);
      if (!access) return;
      if (isCapability(access)) callers.set(req, await authorize(auth, req.headers, access));
      else if (access === 'workstation') await auth.workstation(req.headers);
    };
    route.onRequest = [...[route.onRequest ?? []].flat(), check];
  });
  return (req) => {
    const caller = callers.get(req);
    if (!caller) throw new Error(`${req.method} ${req.url} has no signed-in caller: its access in ROUTE_ACCESS is not a capability`);
    return caller;
  };
}
