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
  parseEido,
  type EidoErrorCode,
  type EligibilityRules,
  type NormalizedEidoIncident,
} from '../shared/eido';
import type { Incident } from '../shared/entities';
import { ServerError } from './errors';
import { randomToken, sha256 } from './secrets';
import type { CadKeyRecord, ServerStorage } from './storage/types';
import type { SyncEngine } from './sync';

/**
 * CAD intake over HTTP (docs/CAD-INTAKE.md): `POST /eido` with a per-CAD API key. A
 * document is parsed whole (parseEido) before anything is stored; an accepted one becomes
 * the replicated `incident` row (a server op, so every console gets it and is poked), a
 * refused one is kept byte for byte in `eido_rejected` for review and answered with the
 * EidoError code, path and message. Nothing is ever half applied.
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
}

export type EidoIntakeResult =
  | {
      status: 200 | 201;
      body: {
        applied: boolean;
        action: 'created' | 'updated' | 'ignored';
        reason?: 'older' | 'same';
        incidentId: string;
        eidoIncidentId: string;
        number: string;
        lastUpdateTimeStamp: string;
        eligibility: Incident['eligibility'];
      };
    }
  | { status: number; body: { code: string; message: string; path: string | null; reviewId: number | null } };

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

  /** Parses, decides and stores one document; never throws for bad input. */
  async ingest(input: RawEido, meta: { source: 'http'; cadKey: string }): Promise<EidoIntakeResult> {
    const started = performance.now();
    const receivedAt = new Date(this.o.now()).toISOString();
    let normalized: NormalizedEidoIncident;
    try {
      if (input.bytes > this.maxBytes) {
        throw new EidoError('oversize', `document is ${input.bytes} bytes; the limit is ${this.maxBytes}`);
      }
      normalized = parseEido(decodeUtf8(input.raw), { maxBytes: this.maxBytes });
    } catch (err) {
      const e = err instanceof EidoError ? err : new EidoError('invalid', 'document could not be read');
      return this.reject(input, meta, receivedAt, e.code, e.path ?? null, e.message);
    }

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
      const log = { incident: d.id, number: normalized.internalIncidentId, cadKey: meta.cadKey, lastUpdated: normalized.lastUpdated, ms };
      if (d.action === 'ignore') {
        this.o.logger.info({ ...log, reason: d.reason, stored: d.storedUpdatedAt }, 'EIDO update ignored: not newer than the stored one');
      } else {
        this.o.logger.info({ ...log, action: d.action, eligible: eligibility.eligible }, `EIDO incident ${d.action === 'create' ? 'created' : 'updated'}`);
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
          eligibility: { eligible: eligibility.eligible, reasons: eligibility.reasons, exclusions: eligibility.exclusions },
        },
      };
    } catch (err) {
      // Our failure, not the CAD's: nothing was stored (the transaction rolled back), the
      // document is kept for review and CAD is told to retry.
      this.o.logger.error({ err, cadKey: meta.cadKey }, 'EIDO intake failed');
      return this.reject(input, meta, receivedAt, 'internal', null, 'Tandem could not store this incident; it was kept for review. Retry later.');
    }
  }

  private async reject(input: RawEido, meta: { source: string; cadKey: string | null }, receivedAt: string, code: EidoErrorCode | 'internal', path: string | null, message: string) {
    const status = eidoErrorStatus(code);
    const truncated = input.bytes > input.raw.length;
    let reviewId: number | null = null;
    try {
      reviewId = await this.o.storage.transaction((tx) =>
        tx.insertEidoRejection({ receivedAt, source: meta.source, cadKey: meta.cadKey, code, path, message, bytes: input.bytes, raw: input.raw, truncated }),
      );
    } catch (err) {
      this.o.logger.error({ err }, 'could not keep a refused EIDO document for review');
    }
    // The message never quotes the document's free text (EidoError guarantees it), so it may be logged.
    this.o.logger.warn({ code, path, message, bytes: input.bytes, cadKey: meta.cadKey, reviewId }, 'EIDO document refused');
    return { status, body: { code, message, path, reviewId } };
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
