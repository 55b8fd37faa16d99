import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  DEFAULT_MAX_BYTES,
  EidoError,
  decideEidoIntake,
  eidoIncidentNumber,
  eidoIncidentRowId,
  evaluateEligibility,
  ignoredOf,
  readEido,
  type EidoErrorCode,
  type EidoProblem,
  type EidoReadResult,
  type EidoWarning,
  type EligibilityRules,
  type NormalizedEidoIncident,
} from '../shared/eido';
import type { Incident } from '../shared/entities';
import { ServerError } from './errors';
import { randomToken, sha256 } from './secrets';
import type { CadKeyRecord, ServerStorage } from './storage/types';
import type { SyncEngine } from './sync';

/**
 * CAD intake over HTTP (docs/CAD-INTAKE.md): `POST /eido` with a per-CAD API key. The body
 * is one EIDO document or a conveyance event (NENA-STA-024) holding several; each document
 * is read whole (readEido) before anything of it is stored. An accepted one becomes the
 * replicated `incident` row (a server op, so every console gets it and is poked) and the
 * answer lists every repair Tandem made to read it; a refused one is kept byte for byte in
 * `eido_rejected` for review and answered with every problem found. Nothing is ever half
 * applied.
 */
export const CAD_KEY_HEADER = 'x-tandem-cad-key';
export const CAD_KEY_PREFIX = 'tnd-cad-';
const CAD_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** What is kept of an oversize document for review: its head. */
export const REJECTED_HEAD_BYTES = 64 * 1024;
/** Beyond this the connection is cut rather than drained. */
const HARD_CAP_FACTOR = 16;

/** HTTP status for each refusal: 413 too big, 400 not JSON, 422 JSON that is not acceptable EIDO. */
export function eidoErrorStatus(code: EidoErrorCode | 'internal'): number {
  if (code === 'oversize') return 413;
  if (code === 'not_json') return 400;
  if (code === 'internal') return 500;
  return 422;
}

export interface EidoIntakeOptions {
  storage: ServerStorage;
  sync: SyncEngine;
  rules: EligibilityRules;
  logger: Logger;
  now: () => number;
  /** Called after a commit that moved the change-log cursor (pokes the consoles). */
  committed: (cursor: number) => void;
  /** Largest accepted document, bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Refuse documents with any problem, even ones Tandem can repair (a site's policy). Default false. */
  strict?: boolean;
}

/** The answer for an accepted document: what became of it, and every repair made to read it. */
export interface EidoAcceptedBody {
  applied: boolean;
  action: 'created' | 'updated' | 'ignored';
  reason?: 'older' | 'same';
  incidentId: string;
  eidoIncidentId: string;
  number: string;
  lastUpdateTimeStamp: string;
  eligibility: Incident['eligibility'];
  /** True when Tandem had to repair the document to read it; `warnings` says how. */
  repaired: boolean;
  warningCount: number;
  warnings: EidoWarning[];
}

/** The answer for a refused document: the first problem, then every problem found. */
export interface EidoRefusedBody {
  code: string;
  message: string;
  path: string | null;
  reviewId: number | null;
  problemCount: number;
  problems: EidoProblem[];
}

/** The answer for a conveyance event: one entry per document, and the event acknowledgement. */
export interface EidoConveyanceBody {
  envelope: 'conveyance';
  transactionId: string | null;
  accepted: number;
  refused: number;
  /** `document` is where it sat in the event (`event.notification[1]`); `path` (when refused) is inside it. */
  documents: Array<{ document: string; status: number } & (EidoAcceptedBody | EidoRefusedBody)>;
  /** The NENA-STA-024 eventResponse a subscriber sends for this event. */
  eventResponse: { transactionId: string | null; statusCode: number; statusText: string };
}

export interface EidoIntakeResult {
  status: number;
  body: EidoAcceptedBody | EidoRefusedBody | EidoConveyanceBody;
}

type Meta = { source: 'http'; cadKey: string };

export interface RawEido {
  /** The input as received; only its head when `bytes` is over the limit. */
  raw: Buffer;
  bytes: number;
}

export function validCadKeyName(name: string): boolean {
  return CAD_KEY_NAME.test(name);
}

/** CAD key administration, shared by the running server and the CLI. */
export function cadKeyAdmin(storage: ServerStorage, now: () => number = Date.now) {
  return {
    /** A new key, returned once; only its SHA-256 is stored. */
    async add(name: string): Promise<string> {
      if (!validCadKeyName(name)) throw new ServerError('bad_request', `A CAD key name is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit; got ${JSON.stringify(name)}`);
      const key = `${CAD_KEY_PREFIX}${randomToken()}`;
      await storage.transaction(async (tx) => {
        if (await tx.getCadKey(name)) throw new ServerError('conflict', `A CAD key named ${name} already exists (names are not reused, even after revocation)`);
        await tx.insertCadKey({ name, keyHash: sha256(key), createdAt: new Date(now()).toISOString(), revoked: false, revokedAt: null, lastUsedAt: null });
      });
      return key;
    },
    list: (): Promise<Omit<CadKeyRecord, 'keyHash'>[]> =>
      storage.transaction(async (tx) => (await tx.listCadKeys()).map(({ keyHash: _hash, ...rest }) => rest), { readOnly: true }),
    revoke: (name: string): Promise<boolean> => storage.transaction((tx) => tx.revokeCadKey(name, new Date(now()).toISOString())),
    rejections: (limit = 50) => storage.transaction((tx) => tx.listEidoRejections(Math.max(1, Math.min(limit, 10_000))), { readOnly: true }),
  };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The key a request carries: `authorization: Bearer <key>` or `x-tandem-cad-key: <key>`. */
export function cadKeyOf(headers: IncomingHttpHeaders): string | null {
  const direct = headerValue(headers, CAD_KEY_HEADER)?.trim();
  if (direct) return direct;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(headers, 'authorization') ?? '');
  return m ? m[1] : null;
}

export class EidoIntake {
  readonly maxBytes: number;

  constructor(private readonly o: EidoIntakeOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** The unrevoked CAD key the request carries, or a 401. */
  async authenticate(headers: IncomingHttpHeaders): Promise<CadKeyRecord> {
    const key = cadKeyOf(headers);
    if (!key) throw new ServerError('unauthenticated', `A CAD key is required (authorization: Bearer <key>, or ${CAD_KEY_HEADER})`);
    const rec = await this.o.storage.transaction((tx) => tx.getCadKeyByHash(sha256(key)), { readOnly: true });
    if (!rec) throw new ServerError('unauthenticated', 'Unknown CAD key');
    if (rec.revoked) throw new ServerError('unauthenticated', `The CAD key ${rec.name} was revoked`);
    return rec;
  }

  /** Reads, decides and stores every document of one request; never throws for bad input. */
  async ingest(input: RawEido, meta: Meta): Promise<EidoIntakeResult> {
    const receivedAt = new Date(this.o.now()).toISOString();
    let read: EidoReadResult;
    try {
      if (input.bytes > this.maxBytes) {
        throw new EidoError('oversize', `document is ${input.bytes} bytes; the limit is ${this.maxBytes}`);
      }
      read = readEido(decodeUtf8(input.raw), { maxBytes: this.maxBytes, strict: this.o.strict === true });
    } catch (err) {
      const e = err instanceof EidoError ? err : new EidoError('invalid', 'document could not be read');
      return this.reject(input, meta, receivedAt, e);
    }
    if (read.envelope === 'document') {
      const [only] = read.documents;
      if (!only) return this.reject(input, meta, receivedAt, new EidoError('invalid', 'document could not be read'));
      return only.ok ? this.accept(only.incident, meta, receivedAt) : this.reject(input, meta, receivedAt, only.error);
    }
    const documents: EidoConveyanceBody['documents'] = [];
    for (const d of read.documents) {
      const answer = d.ok
        ? await this.accept(d.incident, meta, receivedAt)
        : await this.reject({ raw: Buffer.from(d.raw, 'utf8'), bytes: Buffer.byteLength(d.raw, 'utf8') }, meta, receivedAt, d.error);
      documents.push({ document: d.path, status: answer.status, ...answer.body });
    }
    const accepted = documents.filter((d) => d.status < 300).length;
    const refused = documents.length - accepted;
    // One refused document does not fail the event: the others were taken, and CAD learns which one was not.
    const status = accepted > 0 ? 200 : (documents[0]?.status ?? 422);
    const transactionId = read.transactionId ?? null;
    return {
      status,
      body: {
        envelope: 'conveyance',
        transactionId,
        accepted,
        refused,
        documents,
        eventResponse: {
          transactionId,
          statusCode: accepted > 0 ? 200 : 400,
          statusText: refused === 0 ? 'OK' : `${refused} of ${documents.length} EIDO documents refused`,
        },
      },
    };
  }

  /** Decides and stores one accepted document. */
  private async accept(normalized: NormalizedEidoIncident, meta: Meta, receivedAt: string): Promise<{ status: number; body: EidoAcceptedBody | EidoRefusedBody }> {
    const started = performance.now();
    const eligibility = evaluateEligibility(normalized, this.o.rules);
    try {
      const outcome = await this.o.storage.transaction(async (tx) => {
        const id = eidoIncidentRowId(normalized.incidentId);
        const stored = await tx.getEntity('incident', id);
        const storedUpdatedAt = stored ? ((stored.data.eidoUpdatedAt as string | null | undefined) ?? null) : null;
        const decision = decideEidoIntake(normalized, stored ? { eidoUpdatedAt: storedUpdatedAt } : null, eligibility, {
          receivedAt,
          receivedBy: `CAD (${meta.cadKey})`,
        });
        await tx.touchCadKey(meta.cadKey, receivedAt);
        if (decision.action === 'ignore') return { decision, cursor: 0 };
        const { cursor } = await this.o.sync.writeServerOp(tx, 'incident', decision.id, decision.fields);
        return { decision, cursor };
      });
      if (outcome.cursor) this.o.committed(outcome.cursor);
      const d = outcome.decision;
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const warnings = normalized.warnings;
      const log = { incident: d.id, number: normalized.internalIncidentId, cadKey: meta.cadKey, lastUpdated: normalized.lastUpdated, ms, warnings: warnings.length };
      if (d.action === 'ignore') {
        this.o.logger.info({ ...log, reason: d.reason, stored: d.storedUpdatedAt }, 'EIDO update ignored: not newer than the stored one');
      } else {
        this.o.logger.info({ ...log, action: d.action, eligible: eligibility.eligible }, `EIDO incident ${d.action === 'create' ? 'created' : 'updated'}`);
      }
      if (warnings.length > 0) {
        // Paths and codes only: problem messages never quote the document, but a log line stays short.
        this.o.logger.warn({ incident: d.id, cadKey: meta.cadKey, repairs: warnings.map((w) => `${w.code} ${w.path}`) }, 'EIDO document accepted with repairs');
      }
      const action = d.action === 'create' ? 'created' : d.action === 'update' ? 'updated' : 'ignored';
      return {
        status: d.action === 'create' ? 201 : 200,
        body: {
          applied: d.action !== 'ignore',
          action,
          ...(d.action === 'ignore' ? { reason: d.reason } : {}),
          incidentId: d.id,
          eidoIncidentId: normalized.incidentId,
          number: eidoIncidentNumber(normalized),
          lastUpdateTimeStamp: normalized.lastUpdated,
          eligibility: { eligible: eligibility.eligible, reasons: eligibility.reasons, exclusions: eligibility.exclusions, ...ignoredOf(eligibility) },
          repaired: warnings.length > 0,
          warningCount: warnings.length,
          warnings,
        },
      };
    } catch (err) {
      // Our failure, not the CAD's: nothing was stored (the transaction rolled back), the
      // document is kept for review and CAD is told to retry.
      this.o.logger.error({ err, cadKey: meta.cadKey }, 'EIDO intake failed');
      const raw = Buffer.from(normalized.raw, 'utf8');
      const failure = new EidoError('invalid', 'Tandem could not store this incident; it was kept for review. Retry later.');
      return this.reject({ raw, bytes: raw.length }, meta, receivedAt, failure, 'internal');
    }
  }

  private async reject(input: RawEido, meta: Meta, receivedAt: string, err: EidoError, override?: 'internal'): Promise<{ status: number; body: EidoRefusedBody }> {
    const code: EidoErrorCode | 'internal' = override ?? err.code;
    const path = err.path ?? null;
    const status = eidoErrorStatus(code);
    const truncated = input.bytes > input.raw.length;
    let reviewId: number | null = null;
    try {
      reviewId = await this.o.storage.transaction((tx) =>
        tx.insertEidoRejection({ receivedAt, source: meta.source, cadKey: meta.cadKey, code, path, message: err.message, bytes: input.bytes, raw: input.raw, truncated }),
      );
    } catch (storeErr) {
      this.o.logger.error({ err: storeErr }, 'could not keep a refused EIDO document for review');
    }
    // The messages never quote the document's free text (EidoError guarantees it), so they may be logged.
    this.o.logger.warn({ code, path, message: err.message, problems: err.problems.length, bytes: input.bytes, cadKey: meta.cadKey, reviewId }, 'EIDO document refused');
    const problems = override ? [] : [...err.problems];
    return { status, body: { code, message: err.message, path, reviewId, problemCount: problems.length, problems } };
  }
}

function decodeUtf8(buf: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    throw new EidoError('not_json', 'the body is not UTF-8 text');
  }
}

/**
 * `POST /eido` (and `/v1/eido`) in its own Fastify context: the CAD key is checked before
 * the body is read, and the body is read as raw bytes (any content type) with a size limit
 * that still answers 413 with a reason and keeps the head of the document for review.
 */
export async function registerEidoRoutes(fastify: FastifyInstance, intake: EidoIntake, logger: Logger): Promise<void> {
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (req, payload, done) => {
      const limit = intake.maxBytes;
      const chunks: Buffer[] = [];
      let kept = 0;
      let bytes = 0;
      let finished = false;
      const finish = (err: Error | null, body?: RawEido) => {
        if (finished) return;
        finished = true;
        done(err, body);
      };
      payload.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > limit * HARD_CAP_FACTOR) {
          finish(null, { raw: Buffer.concat(chunks).subarray(0, REJECTED_HEAD_BYTES), bytes });
          payload.destroy();
          return;
        }
        // Keep the whole document while it fits; past the limit only the head is kept.
        const room = (bytes > limit ? REJECTED_HEAD_BYTES : limit) - kept;
        if (room > 0) {
          const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
          chunks.push(part);
          kept += part.length;
        }
      });
      payload.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (bytes > limit) raw = raw.subarray(0, REJECTED_HEAD_BYTES);
        finish(null, { raw, bytes });
      });
      payload.on('error', (err) => finish(err));
    });

    const keyOf = new WeakMap<FastifyRequest, CadKeyRecord>();
    const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        keyOf.set(req, await intake.authenticate(req.headers));
      } catch (err) {
        if (err instanceof ServerError) {
          logger.warn({ ip: req.ip, reason: err.message }, 'EIDO refused: CAD key');
          return reply.status(err.status).send(err.toWire());
        }
        throw err;
      }
    };
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const key = keyOf.get(req);
      if (!key) throw new ServerError('unauthenticated', 'A CAD key is required');
      const body = (req.body as RawEido | undefined) ?? { raw: Buffer.alloc(0), bytes: 0 };
      const result = await intake.ingest(body, { source: 'http', cadKey: key.name });
      return reply.status(result.status).send(result.body);
    };
    for (const url of ['/eido', '/v1/eido']) scope.post(url, { onRequest: authenticate }, handler);
  });
}
