import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import type https from 'node:https';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import pino, { type Logger } from 'pino';
import { WIRE_PATH, type ServerMethod } from '../shared/sync/wire';
import { systemClock, type Clock } from '../node/clock';
import { guardRoutes } from './access';
import { createAdmin, DEFAULT_ENROLLMENT_TTL_MS, DEFAULT_SESSION_TTL_MS, type ServerAdmin } from './admin';
import { Auth } from './auth';
import { EidoIntake, registerEidoRoutes } from './eido';
import { loadEligibilityRules as loadSharedEligibilityRules, type EligibilityRules } from '../shared/eido';
import { ServerError } from './errors';
import { HandoffArbiter } from './handoff';
import { ReportFold } from './report';
import { Hub, RawJson, type MethodHandler } from './socket';
import { SqliteStorage } from './storage/sqlite';
import type { ServerStorage } from './storage/types';
import { SyncEngine } from './sync';

export const SERVER_VERSION = '0.1.0';
export const DEFAULT_HANDOFF_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_DRIFT_MS = 5 * 60_000;
export const DB_FILE_NAME = 'tandem-server.db';
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface SyncServerConfig {
  /** Directory holding `tandem-server.db`. One of dataDir, dbFile or storage is required. */
  dataDir?: string;
  /** The SQLite file itself, instead of dataDir. */
  dbFile?: string;
  /** Storage opened by the caller (e.g. PostgreSQL later); the server does not close it. */
  storage?: ServerStorage;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (see `port` on the result). */
  port?: number;
  /** PEM certificate and key: the server speaks HTTPS/WSS. */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  /** A ringing live handoff nobody accepts within this time times out. Default 30 s. */
  handoffTimeoutMs?: number;
  /** Shown to a dispatcher when no clinician console is connected. */
  clinicianDirectLine?: string | null;
  /** Ops stamped further ahead of the server's clock are refused. Default 5 min. */
  maxDriftMs?: number;
  /** Default 12 h. */
  sessionTtlMs?: number;
  /** Default 24 h. */
  enrollmentTtlMs?: number;
  /** WebSocket keepalive; a console that misses a ping for this long is dropped. Default 30 s; 0 disables. */
  pingIntervalMs?: number;
  /** A pino logger; default: level from TANDEM_LOG_LEVEL, or `info` (`silent` under Vitest). */
  logger?: Logger;
  /** The site's clinician-eligibility rule file for CAD intake (docs/ELIGIBILITY.md); default: the shipped config/eligibility-rules.json. */
  eligibilityRulesFile?: string;
  /** Largest EIDO document POST /eido accepts, bytes. Default 1 MiB. */
  eidoMaxBytes?: number;
  /** Every time the server reads or waits on (sessions, tokens, handoff timeouts, stored timestamps). Default: the system clock. */
  clock?: Clock;
}

/** The site's rule file, or the shipped default; a bad file stops it with the reason. */
export function loadEligibilityRules(file: string | undefined): EligibilityRules {
  return loadSharedEligibilityRules(file, (f) => fs.readFileSync(f, 'utf8'));
}

export interface SyncServer {
  /** `http(s)://host:port` */
  url: string;
  /** `ws(s)://host:port/v1/ws` */
  wsUrl: string;
  port: number;
  admin: ServerAdmin;
  /** Who is connected right now (for status and tests). */
  connections(): { userId: string; role: string; workstationId: string }[];
  /** Stops accepting, closes every socket, stops timers, closes storage it opened. Idempotent. */
  close(): Promise<void>;
}

function defaultLogger(): Logger {
  const level = process.env.TANDEM_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');
  return pino({ level, name: 'tandem-server' });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function createSyncServer(config: SyncServerConfig): Promise<SyncServer> {
  const logger = config.logger ?? defaultLogger();
  const clock = config.clock ?? systemClock;
  const now = () => clock.now();
  const maxDriftMs = config.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS;
  const host = config.host ?? '127.0.0.1';
  const eligibilityRules = loadEligibilityRules(config.eligibilityRulesFile);

  let ownsStorage = false;
  let storage: ServerStorage;
  if (config.storage) storage = config.storage;
  else {
    const file = config.dbFile ?? (config.dataDir ? path.join(config.dataDir, DB_FILE_NAME) : null);
    if (!file) throw new Error('createSyncServer needs dataDir, dbFile or storage');
    storage = new SqliteStorage(file, {
      onCheckpointFailure: (err) => logger.warn({ err }, 'background checkpoints stopped; SQLite checkpoints in commits again'),
    });
    ownsStorage = true;
  }

  let app: FastifyInstance | null = null;
  let hub: Hub | null = null;
  let arbiter: HandoffArbiter | null = null;
  try {
    const auth = new Auth(storage, {
      sessionTtlMs: config.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
      enrollmentTtlMs: config.enrollmentTtlMs ?? DEFAULT_ENROLLMENT_TTL_MS,
      now,
    });
    const sync = new SyncEngine(storage, { maxDriftMs, now, logger });
    await sync.init();

    const committed = (cursor: number) => hub?.committed(cursor);
    const arb = new HandoffArbiter({
      storage,
      sync,
      clock,
      handoffTimeoutMs: config.handoffTimeoutMs ?? DEFAULT_HANDOFF_TIMEOUT_MS,
      clinicianDirectLine: config.clinicianDirectLine ?? null,
      answerers: () => hub?.answerers() ?? new Set(),
      committed,
      logger,
    });
    arbiter = arb;

    const push: MethodHandler = async (caller, p) => {
      const outcome = await sync.push(caller, p);
      if (outcome.moved) committed(outcome.response.cursor);
      if (outcome.gap) throw outcome.gap;
      return outcome.response;
    };
    const reports = new ReportFold(storage);
    const methods: Record<ServerMethod, MethodHandler> = {
      push,
      pull: async (caller, p) => new RawJson(await sync.pullJson(caller, p)),
      'handoff.request': async (caller, p) => {
        const h = await arb.request(caller.user, p);
        if (h.state === 'ringing') hub?.ring(h);
        return h;
      },
      'handoff.cancel': (caller, p) => arb.cancel(caller.user, p),
      'handoff.accept': (caller, p) => arb.accept(caller.user, p),
      'handoff.decline': (caller, p) => arb.decline(caller.user, p),
      'handoff.complete': (caller, p) => arb.complete(caller.user, p),
      'presence.set': (caller, p) => arb.setPresenceStatus(caller.user, p),
      'report.program': (_caller, p) => reports.report(p, new Date(now())),
    };
    const cursor = () => storage.transaction((tx) => tx.getCursor(), { readOnly: true });

    const theHub = new Hub({
      auth,
      methods,
      cursor,
      maxDriftMs,
      pingIntervalMs: config.pingIntervalMs ?? 30_000,
      now,
      logger,
      maxPayload: MAX_BODY_BYTES,
      answererLeft: () => {
        arb.answererLeft().catch((err) => logger.error({ err }, 'handoff re-check after a disconnect failed'));
      },
    });
    hub = theHub;

    // Fastify's per-request lines only at debug level; errors always.
    const httpLevel = ['debug', 'trace', 'silent'].includes(logger.level) ? logger.level : 'warn';
    const common = {
      loggerInstance: logger.child({ component: 'http' }, { level: httpLevel }),
      bodyLimit: MAX_BODY_BYTES,
      forceCloseConnections: true,
      return503OnClosing: true,
    };
    const fastify = (
      config.tls ? Fastify({ ...common, https: { cert: config.tls.cert, key: config.tls.key, ca: config.tls.ca } }) : Fastify(common)
    ) as unknown as FastifyInstance;
    app = fastify;

    fastify.setErrorHandler((err: unknown, req, reply: FastifyReply) => {
      if (err instanceof ServerError) return reply.status(err.status).send(err.toWire());
      const status = (err as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return reply.status(status).send({ code: 'bad_request', message: (err as Error).message });
      }
      req.log.error({ err, url: req.url }, 'request failed');
      return reply.status(500).send({ code: 'internal', message: 'Internal server error' });
    });
    fastify.setNotFoundHandler((req, reply) => {
      reply.status(404).send({ code: 'not_found', message: `No route ${req.method} ${req.url.split('?')[0]}` });
    });

    const caller = guardRoutes(fastify, auth);

    fastify.get('/v1/health', async () => ({ ok: true, cursor: await cursor(), version: SERVER_VERSION }));
    fastify.post('/v1/enroll', async (req) => {
      const res = await auth.enroll(req.body);
      logger.info({ workstation: res.workstationId }, 'workstation enrolled');
      return res;
    });
    fastify.post('/v1/session', async (req) => {
      try {
        const res = await auth.signIn(req.headers, req.body);
        logger.info({ user: res.user.id }, 'signed in');
        return res;
      } catch (err) {
        if (err instanceof ServerError && err.code === 'unauthenticated') logger.info({ reason: err.message, ip: req.ip }, 'sign-in refused');
        throw err;
      }
    });
    fastify.delete('/v1/session', async (req) => {
      await storage.transaction((tx) => tx.deleteSession(caller(req).sessionHash));
      return { ok: true };
    });
    fastify.post('/v1/push', async (req) => push(caller(req), req.body));
    fastify.get('/v1/pull', async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
      const page = await sync.pullJson(caller(req), { cursor: num(q.cursor) ?? 0, limit: num(q.limit) });
      return reply.type('application/json; charset=utf-8').send(page.bytes());
    });
    const eido = new EidoIntake({ storage, sync, rules: eligibilityRules, logger, now, committed, maxBytes: config.eidoMaxBytes });
    await registerEidoRoutes(fastify, eido, logger);

    await fastify.ready();
    (fastify.server as http.Server | https.Server).on('upgrade', (req, socket, head) => theHub.handleUpgrade(req, socket, head));
    await fastify.listen({ host, port: config.port ?? 0 });
    await arb.start();

    const port = (fastify.server.address() as AddressInfo).port;
    const scheme = config.tls ? 'https' : 'http';
    const url = `${scheme}://${urlHost(host)}:${port}`;
    const wsUrl = `${config.tls ? 'wss' : 'ws'}://${urlHost(host)}:${port}${WIRE_PATH}`;
    logger.info({ url, storage: storage.location }, 'Tandem sync server listening');

    const admin = createAdmin(storage, { auth, now, onRevoke: (id) => theHub.dropWorkstation(id) });
    let closing: Promise<void> | null = null;
    return {
      url,
      wsUrl,
      port,
      admin,
      connections: () => theHub.connections(),
      close: () =>
        (closing ??= (async () => {
          arb.stop();
          await theHub.close();
          await fastify.close();
          if (ownsStorage) await storage.close();
          logger.info('Tandem sync server stopped');
        })()),
    };
  } catch (err) {
    arbiter?.stop();
    await hub?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    if (ownsStorage) await storage.close().catch(() => undefined);
    throw err;
  }
}

export type { ServerAdmin, ServerStatus, WorkstationInfo } from './admin';
export type { NewUser } from './auth';
export type { ServerStorage } from './storage/types';
