import fs from 'node:fs';
import { consoleRefusal, HEADER_PROTOCOL, HEADER_VERSION, MIN_CONSOLE_PROTOCOL, peerFromHeaders, PROTOCOL, TANDEM_VERSION, type Peer } from '../shared/version';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import type https from 'node:https';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { HEADER_WORKSTATION, WIRE_PATH, type ServerMethod } from '../shared/sync/wire';
import { MAX_MESSAGE_BYTES } from '../shared/sync/protocol';
import { appendAuditIn, createAuditLog, SERVER_SOURCE } from './audit';
import { receiveConsoleAudit, searchAudit } from './console-audit';
import { systemClock, type Clock } from '../node/clock';
import { guardRoutes } from './access';
import { createAdmin, DEFAULT_ENROLLMENT_TTL_MS, DEFAULT_SESSION_TTL_MS, type ServerAdmin } from './admin';
import { Auth, type SignInPolicy } from './auth';
import { EidoIntake, registerEidoRoutes } from './eido';
import { DEFAULT_MFA_POLICY, type MfaPolicy } from './mfa';
import { loadEligibilityRules as loadSharedEligibilityRules, type EligibilityRules } from '../shared/eido';
import { ServerError } from './errors';
import { ClusterPresence } from './cluster';
import { HandoffArbiter } from './handoff';
import { checkHealth } from './health';
import { registerLimits, type RateLimits } from './limits';
import { ReportFold } from './report';
import { Hub, RawJson, type MethodHandler } from './socket';
import { PostgresStorage, redactDatabaseUrl } from './storage/postgres';
import { SqliteStorage } from './storage/sqlite';
import type { ServerStorage } from './storage/types';
import { DirectorySuggestions } from './suggestions';
import { SyncEngine } from './sync';

export const SERVER_VERSION = TANDEM_VERSION;
export const DEFAULT_HANDOFF_TIMEOUT_MS = 20_000;
/** How often the server pings each console; three missed and it no longer counts as present. */
export const DEFAULT_PING_INTERVAL_MS = 2_000;
export const DEFAULT_MAX_DRIFT_MS = 5 * 60_000;
export const DB_FILE_NAME = 'tandem-server.db';

export interface Retention {
  days: number;
  refusedOps: number;
  eidoRejected: number;
}
export const DEFAULT_RETENTION: Retention = { days: 90, refusedOps: 10_000, eidoRejected: 10_000 };
const PRUNE_EVERY_MS = 10 * 60_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface SyncServerConfig {
  /** Directory holding `tandem-server.db`. One of dataDir, dbFile or storage is required. */
  dataDir?: string;
  /** The SQLite file itself, instead of dataDir. */
  dbFile?: string;
  /**
   * How long refused ops and refused EIDO documents are kept for review, and how many at most
   * (the newest). Default 90 days and 10,000 of each; pruned at start and every 10 minutes.
   */
  retention?: Partial<Retention>;
  /** 32 bytes: the SQLite database is encrypted at rest with it (storage/key.ts). */
  dbKey?: Buffer | null;
  /** Storage opened by the caller (e.g. PostgreSQL later); the server does not close it. */
  /** A PostgreSQL URL (postgres://…): the server runs on PostgreSQL instead of the SQLite file. */
  databaseUrl?: string;
  /** Storage opened by the caller; the server does not close it. */
  storage?: ServerStorage;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (see `port` on the result). */
  port?: number;
  /** PEM certificate and key: the server speaks HTTPS/WSS. */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  /** A ringing live handoff nobody accepts within this time times out. Default 20 s (the ring timeout of the site's policy). */
  handoffTimeoutMs?: number;
  /** Shown to a dispatcher when no clinician console is connected. */
  clinicianDirectLine?: string | null;
  /** Ops stamped further ahead of the server's clock are refused. Default 5 min. */
  maxDriftMs?: number;
  /** Default 12 h. */
  sessionTtlMs?: number;
  /** Default 24 h. */
  enrollmentTtlMs?: number;
  /**
   * WebSocket heartbeat. A console that answers neither a ping nor anything else for three
   * intervals no longer counts as present (a live handoff will not ring it) and is dropped.
   * Default 2 s; 0 disables.
   */
  pingIntervalMs?: number;
  /** A pino logger; default: level from TANDEM_LOG_LEVEL, or `info` (`silent` under Vitest). */
  logger?: Logger;
  /** The site's clinician-eligibility rule file for CAD intake (docs/ELIGIBILITY.md); default: the shipped config/eligibility-rules.json. */
  eligibilityRulesFile?: string;
  /** Largest EIDO document POST /eido accepts, bytes. Default 1 MiB. */
  eidoMaxBytes?: number;
  /** Refuse EIDO documents with any problem, even ones Tandem could repair (a site's policy: serve --eido-strict). Default false. */
  eidoStrict?: boolean;
  /** GET /v1/health answers 503 when the database takes longer than this. Default 2 s. */
  healthTimeoutMs?: number;
  /** This server's release and protocol, and the oldest console protocol it accepts (tests of the exchange only). */
  protocol?: { self: Peer; minConsole: number };
  /** How often open sockets are checked for revocation (session, user, workstation). Default 500 ms. */
  revocationCheckMs?: number;
  /** Two-step sign-in (mfa.ts): the roles that must use it. Default none (users marked with `user require-mfa`, and whoever set it up, still do). */
  mfa?: Partial<MfaPolicy>;
  /** Sign-in backoff and lockout per username (auth.ts DEFAULT_SIGN_IN_POLICY). */
  signInPolicy?: SignInPolicy;
  /** Per-workstation (or per-address) request limits; `false` turns them off (benchmarks). */
  rateLimits?: Partial<RateLimits> | false;
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

/** Opens the PostgreSQL storage a `postgres://` URL names (migrating it), logging dropped idle connections. */
export function openDatabase(url: string, logger: Logger): Promise<ServerStorage> {
  if (!isPostgresUrl(url)) {
    throw new ServerError('bad_request', `--database takes a postgres:// or postgresql:// URL (the SQLite default needs none: use --data DIR); got ${JSON.stringify(redactDatabaseUrl(url))}`);
  }
  return PostgresStorage.open(url, { onConnectionError: (err) => logger.warn({ err }, 'a pooled PostgreSQL connection failed; it is replaced on next use') });
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
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
  else if (config.databaseUrl) {
    storage = await openDatabase(config.databaseUrl, logger);
    ownsStorage = true;
  } else {
    const file = config.dbFile ?? (config.dataDir ? path.join(config.dataDir, DB_FILE_NAME) : null);
    if (!file) throw new Error('createSyncServer needs dataDir, dbFile or storage');
    storage = new SqliteStorage(file, {
      key: config.dbKey ?? null,
      onCheckpointFailure: (err) => logger.warn({ err }, 'background checkpoints stopped; SQLite checkpoints in commits again'),
    });
    ownsStorage = true;
  }

  let app: FastifyInstance | null = null;
  let hub: Hub | null = null;
  let arbiter: HandoffArbiter | null = null;
  let stopListening: (() => void) | null = null;
  let cluster: ClusterPresence | null = null;
  try {
    const auth = new Auth(storage, {
      sessionTtlMs: config.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
      enrollmentTtlMs: config.enrollmentTtlMs ?? DEFAULT_ENROLLMENT_TTL_MS,
      now,
      signIn: config.signInPolicy,
      mfa: { ...DEFAULT_MFA_POLICY, ...config.mfa },
    });
    const sync = new SyncEngine(storage, { maxDriftMs, now, logger });
    await sync.init();

    const committed = (cursor: number) => hub?.committed(cursor);
    // Another instance on the same database committed: poke this instance's consoles too.
    stopListening = storage.onCommitted?.((cursor) => committed(cursor)) ?? null;
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
    const suggestions = new DirectorySuggestions({ storage, sync, committed, now, logger });
    const methods: Record<Exclude<ServerMethod, 'presence.attend'>, MethodHandler> = {
      push,
      pull: async (caller, p) => new RawJson(await sync.pullJson(caller, p)),
      'sync.report': (caller, p) => sync.report(caller, p),
      'handoff.request': async (caller, p) => {
        const h = await arb.request(caller.user, p);
        if (h.state === 'ringing') {
          hub?.ring(h);
          cluster?.ring(h.id);
        }
        return h;
      },
      'handoff.cancel': (caller, p) => arb.cancel(caller.user, p),
      'handoff.accept': (caller, p) => arb.accept(caller.user, p),
      'handoff.decline': (caller, p) => arb.decline(caller.user, p),
      'handoff.complete': (caller, p) => arb.complete(caller.user, p),
      'presence.set': (caller, p) => arb.setPresenceStatus(caller.user, p),
      'report.program': (_caller, p) => reports.report(p, new Date(now())),
      'audit.push': async (caller, p) => ({ seq: (await receiveConsoleAudit(storage, caller, p, now, logger)).seq }),
      'audit.search': (caller, p) => searchAudit(storage, caller, p, now),
      'incident.document': (_caller, p) => sync.incidentDocument(p),
      'directory.suggest': (caller, p) => suggestions.suggest(caller.user, p),
      'directory.suggestion.accept': (caller, p) => suggestions.accept(caller.user, p),
      'directory.suggestion.decline': (caller, p) => suggestions.decline(caller.user, p),
    };
    const cursor = () => storage.transaction((tx) => tx.getCursor(), { readOnly: true });
    const pingIntervalMs = config.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;

    // Several instances on one database: answerers and rings cross between them (server/cluster.ts).
    if (storage.peers) {
      cluster = new ClusterPresence({
        bus: storage.peers,
        local: () => hub?.localAnswerers() ?? [],
        changed: () => hub?.answerersMaybeChanged(),
        ringing: (id) => {
          arb.ringingElsewhere(id).then(
            (h) => h && hub?.ring(h),
            (err) => logger.warn({ err, handoff: id }, 'could not read a handoff another instance rang'),
          );
        },
        relinked: () => {
          arb.ringingNow().then(
            (ringing) => {
              for (const h of ringing) hub?.ring(h);
            },
            (err) => logger.warn({ err }, 'could not read the ringing handoffs after the link to the other instances came back'),
          );
        },
        heartbeatMs: pingIntervalMs > 0 ? pingIntervalMs : DEFAULT_PING_INTERVAL_MS,
        staleAfterMs: 3 * (pingIntervalMs > 0 ? pingIntervalMs : DEFAULT_PING_INTERVAL_MS),
        logger,
      });
    }
    const theCluster = cluster;

    // The version exchange: every answer names this server (HTTP and the live link alike).
    const self = config.protocol?.self ?? { version: TANDEM_VERSION, protocol: PROTOCOL };
    const minConsole = config.protocol?.minConsole ?? MIN_CONSOLE_PROTOCOL;
    const theHub = new Hub({
      auth,
      version: { self, minConsole },
      methods,
      cursor,
      maxDriftMs,
      pingIntervalMs,
      now,
      logger,
      maxPayload: MAX_MESSAGE_BYTES,
      revocationCheckMs: config.revocationCheckMs,
      ringingNow: () => arb.ringingNow(),
      answererLeft: () => {
        arb.answererLeft().catch((err) => logger.error({ err }, 'handoff re-check after a disconnect failed'));
      },
      ...(theCluster ? { remoteAnswerers: () => theCluster.remoteAnswerers(), localAnswerersChanged: () => theCluster.localChanged() } : {}),
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

    // A console that names itself too old is told so (426) before anything else happens.
    fastify.addHook('onRequest', async (req, reply) => {
      reply.header(HEADER_VERSION, self.version);
      reply.header(HEADER_PROTOCOL, String(self.protocol));
      const peer = peerFromHeaders((n) => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      });
      const refusal = peer ? consoleRefusal(peer, self, minConsole) : null;
      if (refusal) return reply.status(426).send({ code: 'upgrade_required', message: refusal });
    });

    const audit = createAuditLog(storage, now);
    const wsId = (req: FastifyRequest): string | null => {
      const v = req.headers[HEADER_WORKSTATION];
      return (Array.isArray(v) ? v[0] : v)?.slice(0, 100) ?? null;
    };
    const routeOpts = await registerLimits(fastify, config.rateLimits);
    const caller = guardRoutes(fastify, auth);

    fastify.get('/v1/health', routeOpts('GET /v1/health'), async (_req, reply) => {
      const report = await checkHealth(storage, self.version, config.healthTimeoutMs, (err) => logger.warn({ err }, 'health: the database did not answer'));
      if (!report.ok) logger.warn({ database: report.database, reason: report.message }, 'health check failed');
      return reply.status(report.ok ? 200 : 503).send({ ...report, protocol: self.protocol, minConsoleProtocol: minConsole });
    });
    fastify.post('/v1/enroll', routeOpts('POST /v1/enroll'), async (req) => {
      const res = await auth.enroll(req.body);
      logger.info({ workstation: res.workstationId }, 'workstation enrolled');
      await audit.record({ action: 'workstation.enroll', workstationId: res.workstationId, ip: req.ip });
      return res;
    });
    fastify.post('/v1/session', routeOpts('POST /v1/session'), async (req) => {
      try {
        const res = await auth.signIn(req.headers, req.body);
        logger.info({ user: res.user.id }, 'signed in');
        await audit.record({ action: 'signin', actor: res.user.username, workstationId: wsId(req), ip: req.ip, detail: res.recoveryCodes ? { mfa: 'set up' } : null });
        return res;
      } catch (err) {
        if (err instanceof ServerError && (err.code === 'unauthenticated' || err.code === 'rate_limited')) {
          // A right password asked for its second step is not a failure; a wrong code is.
          const mfa = (err.details as { mfa?: string; wrong?: boolean } | undefined) ?? {};
          const asked = !!mfa.mfa && !mfa.wrong;
          if (!asked) logger.info({ reason: err.message, ip: req.ip }, 'sign-in refused');
          const typed = (req.body as { username?: unknown } | null)?.username;
          await audit.record({
            action: err.code === 'rate_limited' ? 'signin.refused' : asked ? `signin.mfa_${mfa.mfa}` : mfa.mfa ? 'signin.mfa_failed' : 'signin.failed',
            subject: typeof typed === 'string' ? typed.slice(0, 100) : null,
            workstationId: wsId(req),
            ip: req.ip,
            detail: { reason: err.message },
          });
        }
        throw err;
      }
    });
    fastify.delete('/v1/session', routeOpts('DELETE /v1/session'), async (req) => {
      const who = caller(req);
      await storage.transaction(async (tx) => {
        await tx.deleteSession(who.sessionHash);
        await appendAuditIn(tx, SERVER_SOURCE, new Date(now()).toISOString(), {
          action: 'signout',
          actor: who.user.username,
          workstationId: who.workstation.id,
          ip: req.ip,
        });
      });
      // The session's open sockets close now, not at the next sweep.
      await theHub.sweep();
      return { ok: true };
    });
    fastify.post('/v1/push', routeOpts('POST /v1/push'), async (req) => push(caller(req), req.body));
    fastify.get('/v1/pull', routeOpts('GET /v1/pull'), async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
      const page = await sync.pullJson(caller(req), { cursor: num(q.cursor) ?? 0, limit: num(q.limit) });
      return reply.type('application/json; charset=utf-8').send(page.bytes());
    });
    const eido = new EidoIntake({ storage, sync, rules: eligibilityRules, logger, now, committed, maxBytes: config.eidoMaxBytes, strict: config.eidoStrict === true });
    await registerEidoRoutes(fastify, eido, logger);

    await fastify.ready();
    (fastify.server as http.Server | https.Server).on('upgrade', (req, socket, head) => theHub.handleUpgrade(req, socket, head));
    await fastify.listen({ host, port: config.port ?? 0 });
    await arb.start();
    theCluster?.start();

    const retention = { ...DEFAULT_RETENTION, ...config.retention };
    const prune = async () => {
      const before = new Date(now() - retention.days * 86_400_000).toISOString();
      const [ops, docs] = await storage.transaction(async (tx) => [
        await tx.pruneRefused(retention.refusedOps, before),
        await tx.pruneEidoRejections(retention.eidoRejected, before),
      ]);
      if (ops || docs) logger.info({ refusedOps: ops, eidoRejected: docs, retention }, 'pruned kept refusals past their retention');
    };
    await prune();
    const pruner = setInterval(() => prune().catch((err) => logger.warn({ err }, 'pruning refusals failed')), PRUNE_EVERY_MS);
    pruner.unref();

    const port = (fastify.server.address() as AddressInfo).port;
    const scheme = config.tls ? 'https' : 'http';
    const url = `${scheme}://${urlHost(host)}:${port}`;
    const wsUrl = `${config.tls ? 'wss' : 'ws'}://${urlHost(host)}:${port}${WIRE_PATH}`;
    logger.info({ url, storage: storage.location }, 'Tandem sync server listening');

    const admin = createAdmin(storage, {
      auth,
      now,
      onRevoke: (id) => theHub.dropWorkstation(id),
      onAccessChanged: () => void theHub.sweep(),
    });
    let closing: Promise<void> | null = null;
    return {
      url,
      wsUrl,
      port,
      admin,
      connections: () => theHub.connections(),
      close: () =>
        (closing ??= (async () => {
          clearInterval(pruner);
          arb.stop();
          stopListening?.();
          await theCluster?.stop();
          await theHub.close();
          await fastify.close();
          if (ownsStorage) await storage.close();
          logger.info('Tandem sync server stopped');
        })()),
    };
  } catch (err) {
    arbiter?.stop();
    stopListening?.();
    await cluster?.stop().catch(() => undefined);
    await hub?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    if (ownsStorage) await storage.close().catch(() => undefined);
    throw err;
  }
}

export type { ServerAdmin, ServerStatus, WorkstationInfo } from './admin';
export type { NewUser } from './auth';
export type { ServerStorage } from './storage/types';
