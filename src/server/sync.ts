import type { Logger } from 'pino';
import { ENTITIES, ENTITY_NAMES, roleMayReceive, withheldFields, type EntityName } from '../shared/entities';
import { ClockDriftError, HybridClock, REPLICA_ID_PATTERN, decodeHlc } from '../shared/hlc';
import { mergeOp, type RowState } from '../shared/sync/merge';
import { opShapeProblem } from '../shared/sync/op-check';
import { Op, PULL_PAGE_MAX, PULL_PAGE_MAX_BYTES, PushRequest, opJsonText, partialSchema, validateOpFor, type PushResponse, type Refusal } from '../shared/sync/protocol';
import { IncidentDocumentParams, PullParams, SyncReportParams } from '../shared/sync/wire';
import type { Caller } from './auth';
import { PushAuthors, appendOnlyRefusal, checkAuthorship, type AuthorshipRecord } from './authorship';
import { ServerError, describeZodIssues } from './errors';
import { JsonBytes } from '../node/json-bytes';
import { SERVER_REPLICA, type ReplicaRecord, type RowAuthor, type ServerStorage, type StorageTx } from './storage/types';

/**
 * Push and pull (DESIGN.md, Sync; Replicache's push protocol): ops are applied in order, each
 * whole or not at all, idempotently per replica sequence number; a gap stops the push; the
 * change log hands ops out by cursor, filtered by what the caller's role may receive.
 */
export interface PushOutcome {
  response: PushResponse;
  /** Set when the push stopped at a gap; ops before it are committed. */
  gap: ServerError | null;
  /** The cursor moved: connected consoles should be poked. */
  moved: boolean;
}


/** The replica and sequence number of a pushed op when they are readable, even if the rest is not. */
function identify(raw: unknown): { replica: string; seq: number } | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { replica, seq } = raw as { replica?: unknown; seq?: unknown };
  if (typeof replica !== 'string' || !REPLICA_ID_PATTERN.test(replica)) return null;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  return { replica, seq };
}

export class SyncEngine {
  /** The server's own replica clock: handoff and presence ops are stamped with it. */
  readonly clock: HybridClock;

  constructor(
    private readonly storage: ServerStorage,
    private readonly opts: { maxDriftMs: number; now: () => number; logger: Logger },
  ) {
    this.clock = new HybridClock(SERVER_REPLICA, opts.now, opts.maxDriftMs);
  }

  /** Starts the server's clock after everything already in the change log. */
  async init(): Promise<number> {
    const { maxHlc, cursor } = await this.storage.transaction(
      async (tx) => ({ maxHlc: await tx.maxHlc(), cursor: await tx.getCursor() }),
      { readOnly: true },
    );
    if (maxHlc) this.observe(maxHlc);
    return cursor;
  }

  private observe(hlc: string): void {
    try {
      this.clock.observe(hlc);
    } catch (err) {
      // Only possible if the server's own clock went back by more than the drift allowance
      // since the op was accepted; the op stands, the clock just does not jump to it.
      this.opts.logger.warn({ err, hlc }, 'not advancing the server clock to a far-future timestamp');
    }
  }

  async push(caller: Caller, body: unknown): Promise<PushOutcome> {
    const parsed = PushRequest.safeParse(body);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid push: ${describeZodIssues(parsed.error.issues)}`);
    const rawOps = parsed.data.ops;
    const nowMs = this.opts.now();
    const at = new Date(nowMs).toISOString();
    const { role, id: userId } = caller.user;
    const wsId = caller.workstation.id;
    const log = this.opts.logger;

    const outcome = await this.storage.transaction(async (tx) => {
      const startCursor = await tx.getCursor();
      const replicas = new Map<string, ReplicaRecord>();
      let applied = 0;
      let skipped = 0;
      const refused: Refusal[] = [];
      let gap: ServerError | null = null;
      let reportSeqOf: string | null = null;
      const moved = new Set<ReplicaRecord>();
      let maxHlc: string | null = null;

      const record = async (raw: unknown, replica: string | null, seq: number | null, reason: string) => {
        refused.push({ seq, reason });
        log.warn({ workstation: wsId, user: userId, replica, seq, reason }, 'refused op');
        await tx.insertRefused({ replica, seq, workstationId: wsId, userId, reason, op: raw, refusedAt: at });
      };
      const refuse = async (raw: unknown, replica: string | null, seq: number | null, reason: string) => {
        await flush(); // the ops waiting before it are settled first: refusals stay in push order
        await record(raw, replica, seq, reason);
      };

      // Accepted ops of the change log alone (no row the server keeps) wait here and go to the
      // log a batch at a time, their author claims first (an append-only row's claim decides
      // whether its op is taken): a few statements per push, not two per op. The batch is
      // written before anything whose outcome it could change or that must follow it in order:
      // a refusal, an op on a row the server keeps, the end of the push.
      let pending: { op: Op; raw: unknown; claim: AuthorshipRecord }[] = [];
      const authors = new PushAuthors(tx);
      // The owners of the push's cases, read at once (checkCase needs them).
      await authors.prefetch(
        'case',
        rawOps.flatMap((r) => {
          const o = r as { entity?: unknown; id?: unknown } | null;
          return typeof o === 'object' && o !== null && o.entity === 'case' && typeof o.id === 'string' && o.id.length <= 256 ? [o.id] : [];
        }),
      );
      const flush = async (): Promise<void> => {
        await authors.flush();
        if (!pending.length) return;
        const batch = pending;
        pending = [];
        // A row claimed twice in one batch: the second claim loses, as it would one op at a time.
        const seen = new Set<string>();
        const claims: { entity: EntityName; id: string; author: RowAuthor }[] = [];
        const first = batch.map(({ claim }) => {
          if (!claim?.claim) return false;
          const k = `${claim.entity}\u0000${claim.id}`;
          if (seen.has(k)) return false;
          seen.add(k);
          claims.push(claim);
          return true;
        });
        const won = claims.length ? await tx.claimRowAuthors(claims) : [];
        let c = 0;
        const taken: Op[] = [];
        for (let i = 0; i < batch.length; i++) {
          const { op, raw, claim } = batch[i];
          if (claim?.claim && !(first[i] && won[c++])) {
            await record(raw, op.replica, op.seq, appendOnlyRefusal(claim.entity, claim.id));
            continue;
          }
          taken.push(op);
        }
        await tx.appendChanges(taken);
        for (const op of taken) if (maxHlc === null || op.hlc > maxHlc) maxHlc = op.hlc;
        applied += taken.length;
      };

      for (const raw of rawOps) {
        const ident = identify(raw);
        if (!ident) {
          await refuse(raw, null, null, validateOpFor(role, raw).reason ?? 'malformed op: replica and seq are required');
          continue;
        }
        let rep = replicas.get(ident.replica) ?? (await tx.getReplica(ident.replica));
        if (!rep) {
          rep = { replica: ident.replica, workstationId: wsId, lastSeq: 0 };
          await tx.insertReplica(rep);
          log.info({ workstation: wsId, replica: ident.replica }, 'replica bound to workstation');
        }
        replicas.set(ident.replica, rep);
        if (rep.workstationId !== wsId) {
          await refuse(raw, ident.replica, ident.seq, `replica ${ident.replica} belongs to another workstation`);
          continue;
        }
        reportSeqOf ??= ident.replica;
        if (ident.seq <= rep.lastSeq) {
          skipped++;
          continue;
        }
        if (ident.seq > rep.lastSeq + 1) {
          const expected = rep.lastSeq + 1;
          gap = new ServerError(
            'gap',
            `Ops from replica ${ident.replica} have a gap: expected seq ${expected}, got ${ident.seq}; push again from seq ${expected}`,
            { replica: ident.replica, expected, got: ident.seq },
          );
          break;
        }
        const { op, reason } = validateOpFor(role, raw);
        let why = reason ?? (op ? this.checkHlc(op, nowMs) : 'malformed op');
        rep.lastSeq = ident.seq;
        moved.add(rep);
        let author: AuthorshipRecord = null;
        if (why === null && op) {
          const authorship = await checkAuthorship(tx, caller.user, op, { nowMs, maxDriftMs: this.opts.maxDriftMs }, authors);
          if ('reason' in authorship) why = authorship.reason;
          else {
            author = authorship.record;
            if (authorship.stamp) op.fields = { ...op.fields, ...authorship.stamp };
          }
        }
        if (why !== null || !op) {
          await refuse(raw, ident.replica, ident.seq, why ?? 'malformed op');
          continue;
        }
        // Only a claim can still refuse the op: who owns a case changes now, for the ops after it.
        if (author && !author.claim) authors.put(author.entity, author.id, author.author);
        if (ENTITIES[op.entity].serverState) {
          if (author?.claim) throw new Error(`an append-only ${op.entity} kept by the server is not supported`);
          await flush();
          await this.apply(tx, op);
          if (maxHlc === null || op.hlc > maxHlc) maxHlc = op.hlc;
          applied++;
        } else pending.push({ op, raw, claim: author });
      }
      await flush();
      // The clock only needs the latest timestamp of the push (HLC strings order as they compare).
      if (maxHlc !== null) this.observe(maxHlc);

      // One write per replica per push, in the same transaction as the ops it covers.
      for (const r of moved) await tx.setReplicaLastSeq(r.replica, r.lastSeq);
      const cursor = await tx.getCursor();
      const lastSeq = reportSeqOf ? (replicas.get(reportSeqOf)?.lastSeq ?? 0) : 0;
      const response: PushResponse = { lastSeq, applied, skipped, refused, cursor, from: startCursor };
      if (gap) gap = new ServerError('gap', gap.message, { ...(gap.details as object), ...response });
      return { response, gap, moved: cursor !== startCursor };
    });
    log.debug({ workstation: wsId, user: userId, ...outcome.response, refused: outcome.response.refused.length }, 'push');
    return outcome;
  }

  /**
   * A console set pulled ops aside (they failed op-check): kept with the refused ops, where the
   * admin's `refused` listing shows them, and logged.
   */
  async report(caller: Caller, params: unknown): Promise<{ recorded: number }> {
    const parsed = SyncReportParams.safeParse(params);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid sync report: ${describeZodIssues(parsed.error.issues)}`);
    const at = new Date(this.opts.now()).toISOString();
    const { id: userId } = caller.user;
    const wsId = caller.workstation.id;
    await this.storage.transaction(async (tx) => {
      for (const q of parsed.data.quarantined) {
        this.opts.logger.warn({ workstation: wsId, user: userId, cursor: q.cursor, reason: q.reason }, 'a console set a pulled op aside');
        await tx.insertRefused({ replica: null, seq: null, workstationId: wsId, userId, reason: `set aside on pull (cursor ${q.cursor ?? '?'}): ${q.reason}`, op: { cursor: q.cursor }, refusedAt: at });
      }
    });
    return { recorded: parsed.data.quarantined.length };
  }

  /** Why an op's timestamp is unacceptable, or null. */
  private checkHlc(op: Op, nowMs: number): string | null {
    const h = decodeHlc(op.hlc);
    if (h.replica !== op.replica) return `timestamp ${op.hlc} was not made by replica ${op.replica}`;
    const drift = h.ms - nowMs;
    if (drift > this.opts.maxDriftMs) return new ClockDriftError(drift, this.opts.maxDriftMs).message;
    return null;
  }

  /**
   * Appends an op to the change log and, for the entities the server reads itself, merges it
   * into the materialized row (returned; null for log-only entities).
   */
  private async apply(tx: StorageTx, op: Op): Promise<{ cursor: number; state: RowState | null }> {
    const cursor = await tx.appendChange(op);
    if (!ENTITIES[op.entity].serverState) return { cursor, state: null };
    const current = await tx.getEntity(op.entity, op.id);
    const merged = mergeOp(op.entity, current, op.hlc, op.fields);
    if (merged.created || merged.changed.length) await tx.putEntity(op.entity, op.id, merged.state, cursor);
    return { cursor, state: merged.state };
  }

  /**
   * An op written by the server itself (replica `server`), inside the caller's transaction,
   * so it flows to the consoles through the change log like any other.
   */
  async writeServerOp(tx: StorageTx, entity: EntityName, id: string, fields: Record<string, unknown>): Promise<{ cursor: number; row: Record<string, unknown> }> {
    if (!ENTITIES[entity].serverState) throw new Error(`the server keeps no rows of ${entity} to write`);
    const check = partialSchema(entity).safeParse(fields);
    if (!check.success) throw new Error(`server wrote an invalid ${entity}: ${describeZodIssues(check.error.issues)}`);
    const rep = await tx.getReplica(SERVER_REPLICA);
    const seq = (rep?.lastSeq ?? 0) + 1;
    if (!rep) await tx.insertReplica({ replica: SERVER_REPLICA, workstationId: null, lastSeq: 0 });
    // Another server instance on the same database (its clock a little behind or ahead of this
    // one's) may have written this row last: stamp after every clock on it, so the server's
    // own later decision (an accept after a ring) never loses to its earlier one.
    const current = await tx.getEntity(entity, id);
    for (const hlc of Object.values(current?.clocks ?? {})) this.observe(hlc);
    const op: Op = { replica: SERVER_REPLICA, seq, hlc: this.clock.tick(), entity, id, fields };
    // The same check every pull makes: the server never writes what a console would set aside.
    const shape = opShapeProblem(op);
    if (shape) throw new ServerError('bad_request', `Refused to write a malformed ${entity}: ${shape}`);
    const { cursor, state } = await this.apply(tx, op);
    if (!state) throw new Error(`no merged ${entity} row after the server's own write`);
    await tx.setReplicaLastSeq(SERVER_REPLICA, seq);
    return { cursor, row: { id, ...state.data } };
  }

  /**
   * One incident's CAD document (EIDO as CAD sent it), for a console whose role does not receive
   * them with every pull (see EntityDef.withheld): a clinician's console sending a conference's
   * outcome back to CAD reads it once, and does not keep it.
   */
  async incidentDocument(params: unknown): Promise<{ id: string; eidoRaw: string | null }> {
    const parsed = IncidentDocumentParams.safeParse(params);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid incident document request: ${describeZodIssues(parsed.error.issues)}`);
    const { id } = parsed.data;
    const row = await this.storage.transaction((tx) => tx.getEntity('incident', id), { readOnly: true });
    if (!row) throw new ServerError('not_found', `No incident ${id} on the server`);
    const raw = row.data.eidoRaw;
    return { id, eidoRaw: typeof raw === 'string' ? raw : null };
  }

  /**
   * A page of the change log for this caller, as the JSON of a PullResponse in UTF-8: the
   * stored fields are spliced in as they are (see ServerStorage.readChanges).
   */
  async pullJson(caller: Caller, params: unknown): Promise<JsonBytes> {
    const parsed = PullParams.safeParse(params ?? {});
    if (!parsed.success) throw new ServerError('bad_request', `Invalid pull: ${describeZodIssues(parsed.error.issues)}`);
    const { cursor: after, limit, excludeOwn } = parsed.data;
    const role = caller.user.role;
    const allowed = ENTITY_NAMES.filter((e) => roleMayReceive(role, e));
    const entities = allowed.length === ENTITY_NAMES.length ? null : allowed;
    const page = Math.min(limit, PULL_PAGE_MAX);
    const withheld = new Map<string, string[]>();
    for (const e of allowed) {
      const fields = withheldFields(role, e);
      if (fields.length) withheld.set(e, fields);
    }
    return this.storage.transaction(
      async (tx) => {
        const head = await tx.getCursor();
        // A workstation already holds its own ops: they are not sent back (for a console that
        // has just pushed a large outbox, that would be all of it again).
        const read = await tx.readChanges(after, page, entities, excludeOwn ? caller.workstation.id : null);
        // Bounded in bytes as well as count: the page stops before PULL_PAGE_MAX_BYTES (one op
        // larger than that would still travel alone; op-check keeps every op far smaller).
        // Bulky fields this role does not receive (CAD's documents for a clinician) are left out
        // before the page is measured: a page of incidents without them holds far more incidents.
        if (withheld.size) {
          for (const row of read) {
            const fields = withheld.get(row[4]);
            if (fields) row[6] = withoutFields(row[6], fields);
          }
        }
        let bytes = 0;
        let end = 0;
        while (end < read.length) {
          bytes += Buffer.byteLength(read[end][6]) + 200;
          if (bytes > PULL_PAGE_MAX_BYTES && end > 0) break;
          end++;
        }
        const cut = end < read.length;
        const changes = cut ? read.slice(0, end) : read;
        const out = new JsonBytes()
          .text('{"ops":')
          .array(changes.map(([cursor, replica, seq, hlc, entity, id, fields]) => opJsonText({ cursor, replica, seq, hlc, entity, id }, fields)));
        // A full page: the scan stopped at its last op. Otherwise everything up to the head was
        // scanned (what the role may not receive included).
        const cursor = cut || changes.length === page ? changes[changes.length - 1][0] : head;
        return out.text(`,"cursor":${cursor},"more":${cursor < head}}`);
      },
      { readOnly: true },
    );
  }
}

/**
 * An op's stored fields (JSON text) without `fields`. Only parsed when one of them is there at
 * all: most ops of a withheld entity (a handoff's incident edits) are small and pass as they are.
 */
function withoutFields(json: string, fields: string[]): string {
  if (!fields.some((f) => json.includes(`"${f}"`))) return json;
  const value = JSON.parse(json) as Record<string, unknown>;
  let changed = false;
  for (const f of fields) {
    if (f in value) {
      delete value[f];
      changed = true;
    }
  }
  return changed ? JSON.stringify(value) : json;
}
