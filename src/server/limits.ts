import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { jsonNestsDeeperThan } from '../shared/json-depth';
import { HEADER_WORKSTATION } from '../shared/sync/wire';
import type { Route } from './access';
import { ServerError } from './errors';

/**
 * What the server reads from whom, and how much: per-route body limits, a nesting limit on
 * JSON bodies, and request rates (a well-kept limiter, @fastify/rate-limit, in memory per
 * server process). Bodies are read only after the route's credential is checked (access.ts).
 */

/** Largest body each route reads. A route with no body reads none; the push carries a console's outbox. */
export const BODY_LIMITS: Partial<Record<Route, number>> = {
  'POST /v1/enroll': 16 * 1024,
  'POST /v1/session': 16 * 1024,
  'DELETE /v1/session': 1024,
  'POST /v1/push': 64 * 1024 * 1024,
};
/** Any other route: a body it would not read anyway. */
export const DEFAULT_BODY_LIMIT = 1024;

/** JSON bodies nested deeper are refused with 400 before they are parsed. Ops are a few levels deep. */
export const MAX_JSON_DEPTH = 64;

export interface RateLimits {
  /** Requests per minute on any route, per client address. */
  perMinute: number;
  /** Sign-in attempts per minute, per workstation (its id header; per address without one). */
  signInPerMinute: number;
  /** Enrollment attempts per minute, per address. */
  enrollPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { perMinute: 6000, signInPerMinute: 20, enrollPerMinute: 20 };

function workstationKey(req: FastifyRequest): string {
  const ws = req.headers[HEADER_WORKSTATION];
  const id = Array.isArray(ws) ? ws[0] : ws;
  return id ? `ws:${id.slice(0, 100)}` : `ip:${req.ip}`;
}

/**
 * Registers the limiter (before any route, so that every route is counted, failed attempts
 * included: its check runs before the route's credential check) and the JSON parser with the
 * nesting limit. Returns each route's options.
 */
export async function registerLimits(
  fastify: FastifyInstance,
  limits: Partial<RateLimits> | false | undefined,
): Promise<(route: Route) => RouteShorthandOptions> {
  const rates = limits === false ? null : { ...DEFAULT_RATE_LIMITS, ...limits };
  if (rates) {
    await fastify.register(rateLimit, {
      global: true,
      max: rates.perMinute,
      timeWindow: 60_000,
      errorResponseBuilder: (_req, ctx) =>
        new ServerError('rate_limited', `Too many requests; try again in ${Math.ceil(ctx.ttl / 1000)} s`, { retryAfterMs: ctx.ttl }),
    });
  }

  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonNestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(new ServerError('bad_request', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    parseJson(req, body as string, done);
  });

  return (route) => {
    const opts: RouteShorthandOptions = { bodyLimit: BODY_LIMITS[route] ?? DEFAULT_BODY_LIMIT };
    if (rates && route === 'POST /v1/session') {
      opts.config = { rateLimit: { max: rates.signInPerMinute, timeWindow: 60_000, keyGenerator: workstationKey } };
    }
    if (rates && route === 'POST /v1/enroll') opts.config = { rateLimit: { max: rates.enrollPerMinute, timeWindow: 60_000 } };
    return opts;
  };
}
