import crypto from 'node:crypto';
import { ENTITIES, type EntityName } from '../../../shared/entities';
import { HybridClock } from '../../../shared/hlc';
import { clocksFor, mergeOp, type RowState } from '../../../shared/sync/merge';
import { opJsonText, type Op } from '../../../shared/sync/protocol';
import { withoutZeroingFreedPages, type Db } from './open';
import { JsonBytes } from '../../../node/json-bytes';
import { caseSearchIndexer } from './search-index';
import { ReadHandle, WriteHandle } from './handles';
import { fromStored, storedValue, toStored, type Stored } from './stored';
import { metaValue, setMetaValue } from './queries/meta';
import { clearField, purgeEntities } from './queries/scope';
import {
  lastQuarantineReason,
  markQuarantineReported,
  quarantineOp,
  quarantinedCount,
  unreportedQuarantine,
  type UnreportedRow,
} from './queries/quarantine';
import {
  appendToOutbox,
  deleteOutboxUpTo,
  emptyOutbox,
  nextOutboxSeq,
  outboxEnds,
  outboxRowsAfter,
  parkOutbox,
  parkedCount,
  parkedOf,
  refusedCount,
  settleParked,
  setAsideRefused,
  type OutboxRow,
} from './queries/outbox';

interface EntityStatements {
  select: { get(id: string): Stored | undefined };
  /** Positional parameters in `columns` order (named binding is measurably slower in bulk). */
  upsert: { run(...params: (string | null)[]): unknown };
  insert: { run(...params: (string | null)[]): unknown };
  columns: string[];
}

/**
 * The replicated tables of one workstation. Every local change is one transaction that
 * writes the row and appends the op to the outbox, so a crash can never leave a change the
 * server will not hear about, nor an op for a change that did not happen.
 */
export class ReplicaStore {
  /** Changes when another person's unpushed ops are parked (`beginSession`): the parked ops keep the old one. */
  private replica: string;
  private hlcClock: HybridClock;
  /** For the query modules (./queries): reads, and writes of local tables. Replicated rows go through `write`. */
  readonly reads: ReadHandle;
  readonly writes: WriteHandle;
  private readonly statements = new Map<EntityName, EntityStatements>();
  /** This process is the replica's only writer, so the next sequence number can live in memory. */
  private nextSeq: number;
  /**
   * Everything up to here is on the server. Acknowledged ops may stay in the outbox table for a
   * while (see `acknowledge`); every read of the outbox starts after this number.
   */
  private ackedSeq: number;
  private listeners: ((entities: Set<EntityName>) => void)[] = [];
  /** Writes the search text of the cases changed so far (see search-index.ts); run before each commit. */
  readonly indexSearch: () => void;

  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly opts: { keepAcknowledgedMax?: number } = {},
  ) {
    this.writes = new WriteHandle(db);
    this.reads = this.writes;
    this.indexSearch = caseSearchIndexer(db);
    this.replica = this.metaGet('replicaId') ?? this.initReplicaId();
    this.hlcClock = this.clockFor(this.replica);
    this.ackedSeq = Number(this.metaGet('ackedSeq') ?? 0);
    // Never reuse a sequence number: the server skips anything at or below what it holds.
    this.nextSeq = nextOutboxSeq(this.reads, this.replica);
  }

  get replicaId(): string {
    return this.replica;
  }

  get clock(): HybridClock {
    return this.hlcClock;
  }

  private clockFor(replica: string): HybridClock {
    const clock = new HybridClock(replica, this.now);
    const lastHlc = this.metaGet('lastHlc');
    if (lastHlc) clock.observe(lastHlc);
    return clock;
  }

  private initReplicaId(): string {
    const id = `ws-${crypto.randomBytes(6).toString('hex')}`;
    this.metaSet('replicaId', id);
    return id;
  }

  /**
   * Someone signed in (issue 13). Ops still in the outbox that another person made (the user
   * signed in when they were written, `meta.outboxAuthor`) are never pushed under this one's
   * session: they are parked under their author with their replica id and sequence numbers,
   * and this workstation goes on under a new replica id (so neither sequence has a gap on the
   * server). The signed-in person's own parked ops go back into the tables her scope holds
   * (`scope`, as adoptScope takes it) and are pushed under her session (`parkedBatch`).
   */
  beginSession(userId: string, scope: readonly string[]): { parked: number; restored: number } {
    const author = this.metaGet('outboxAuthor');
    let parked = 0;
    if (author && author !== userId && this.pendingCount() > 0) {
      const at = new Date(this.now()).toISOString();
      const id = `ws-${crypto.randomBytes(6).toString('hex')}`;
      const old = this.replica;
      this.writes.transaction(() => {
        parked = parkOutbox(this.writes, old, this.ackedSeq, author, at);
        this.metaSet('replicaId', id);
        this.metaSet('ackedSeq', '0');
      });
      this.replica = id;
      this.hlcClock = this.clockFor(id);
      this.ackedSeq = 0;
      this.nextSeq = nextOutboxSeq(this.reads, id);
    }
    if (author !== userId) this.metaSet('outboxAuthor', userId);
    const mine = parkedOf(this.reads, userId, Number.MAX_SAFE_INTEGER).filter(([, , , entity]) => scope.includes(entity));
    if (mine.length) this.applyRemote(mine.map(([, , hlc, entity, id, fields]) => ({ hlc, entity, id, fields: JSON.parse(fields) as Record<string, unknown> })));
    return { parked, restored: mine.length };
  }

  /** `userId`'s parked ops of one replica, as the JSON array a push sends; count 0 when none are left. */
  parkedBatch(userId: string, limit: number): { replica: string; json: JsonBytes; count: number; lastSeq: number } {
    const rows = parkedOf(this.reads, userId, limit);
    const replica = rows[0]?.[0] ?? '';
    const one = rows.filter((r) => r[0] === replica);
    const json = new JsonBytes(0).array(one.map(([rep, seq, hlc, entity, id, fields]) => opJsonText({ replica: rep, seq, hlc, entity, id }, fields)));
    return { replica, json, count: one.length, lastSeq: one.length ? one[one.length - 1][1] : 0 };
  }

  /** The server answered a push of parked ops of `replica`. */
  settleParked(replica: string, lastSeq: number, refused: { seq: number | null; reason: string }[]): void {
    const at = new Date(this.now()).toISOString();
    this.writes.transaction(() => settleParked(this.writes, replica, lastSeq, refused, at));
  }

  /** Ops parked for people not signed in now. */
  parkedCount(): number {
    return parkedCount(this.reads);
  }

  metaGet(key: string): string | undefined {
    return metaValue(this.reads, key);
  }

  metaSet(key: string, value: string): void {
    setMetaValue(this.writes, key, value);
  }

  /** Tell me after each transaction which entities changed. */
  onChange(listener: (entities: Set<EntityName>) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  notify(entities: Iterable<EntityName>): void {
    const set = new Set(entities);
    if (set.size) for (const l of this.listeners) l(set);
  }

  private stmts(entity: EntityName): EntityStatements {
    let s = this.statements.get(entity);
    if (!s) {
      const def = ENTITIES[entity];
      const cols = ['id', ...Object.keys(def.fields), '_clocks'];
      const updates = cols.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`);
      s = {
        select: this.db.prepare(`SELECT * FROM ${def.table} WHERE id = ?`) as EntityStatements['select'],
        upsert: this.db.prepare(
          `INSERT INTO ${def.table}(${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
           ON CONFLICT(id) DO UPDATE SET ${updates.join(', ')}`,
        ) as unknown as EntityStatements['upsert'],
        insert: this.db.prepare(`INSERT INTO ${def.table}(${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`) as unknown as EntityStatements['insert'],
        columns: cols,
      };
      this.statements.set(entity, s);
    }
    return s;
  }

  /** Applies one change to its row under last-writer-wins; returns whether anything changed. */
  private applyMerge(entity: EntityName, id: string, hlc: string, fields: Record<string, unknown>): boolean {
    const def = ENTITIES[entity];
    const s = this.stmts(entity);
    const row = s.select.get(id);
    if (!row) {
      // A new row (nearly every op of a first sync): nothing to merge, written as it comes.
      const clocks = JSON.stringify(clocksFor(entity, hlc, fields));
      const kinds = def.fields;
      const params = s.columns.map((c) => (c === 'id' ? id : c === '_clocks' ? clocks : storedValue(kinds[c], fields[c])));
      s.insert.run(...params);
      return true;
    }
    const current: RowState = { data: {}, clocks: JSON.parse(row._clocks ?? '{}') };
    for (const f of Object.keys(def.fields)) current.data[f] = row[f];
    const stored = toStored(entity, fields);
    const result = mergeOp(entity, current, hlc, stored);
    if (!result.created && result.changed.length === 0) return false;
    const data = result.state.data;
    const clocks = JSON.stringify(result.state.clocks);
    if (!result.created && !def.appendOnly) {
      // Only the columns that changed: SQLite then touches only the indexes and triggers
      // that involve them, which makes an update several times cheaper than a whole-row write.
      const cols = result.changed;
      this.updateStatement(entity, cols).run(...cols.map((c) => (data[c] as string | null | undefined) ?? null), clocks, id);
      return true;
    }
    const params = s.columns.map((c) => (c === 'id' ? id : c === '_clocks' ? clocks : ((data[c] as string | null | undefined) ?? null)));
    s.upsert.run(...params);
    return true;
  }

  private readonly updates = new Map<string, { run(...params: (string | null)[]): unknown }>();

  private updateStatement(entity: EntityName, cols: string[]): { run(...params: (string | null)[]): unknown } {
    const key = `${entity}:${cols.join(',')}`;
    let stmt = this.updates.get(key);
    if (!stmt) {
      const sets = cols.map((c) => `${c} = ?`).join(', ');
      stmt = this.db.prepare(`UPDATE ${ENTITIES[entity].table} SET ${sets}, _clocks = ? WHERE id = ?`) as unknown as { run(...params: (string | null)[]): unknown };
      this.updates.set(key, stmt);
    }
    return stmt;
  }

  /**
   * A local change: row and outbox op in one transaction. Returns the op written.
   * Callers that make several changes wrap them in `transaction` so they land together.
   */
  write(entity: EntityName, id: string, fields: Record<string, unknown>): Op {
    const hlc = this.clock.tick();
    const seq = this.nextSeq;
    const op: Op = { replica: this.replicaId, seq, hlc, entity, id, fields };
    const run = () => {
      this.applyMerge(entity, id, hlc, fields);
      appendToOutbox(this.writes, seq, hlc, entity, id, JSON.stringify(fields));
      this.metaSet('lastHlc', hlc);
    };
    if (this.db.inTransaction) run();
    else
      this.db
        .transaction(() => {
          run();
          this.indexSearch();
        })
        .immediate();
    // Only counted once the row and op are written (a throw above leaves the number unused and free).
    this.nextSeq = seq + 1;
    this.pendingNotify.add(entity);
    if (!this.db.inTransaction) this.flushNotify();
    return op;
  }

  private pendingNotify = new Set<EntityName>();

  private flushNotify(): void {
    const set = this.pendingNotify;
    this.pendingNotify = new Set();
    this.notify(set);
  }

  /** Runs `fn` in one transaction; listeners hear about it once, after commit. */
  transaction<T>(fn: () => T): T {
    const seqBefore = this.nextSeq;
    let result: T;
    try {
      // IMMEDIATE: the write lock is taken (waiting out the busy timeout) before anything is
      // read, so a checkpoint or the sync thread never makes a local write fail with SQLITE_BUSY.
      result = this.db
        .transaction(() => {
          const r = fn();
          this.indexSearch();
          return r;
        })
        .immediate();
    } catch (err) {
      // The ops written inside were rolled back with it: hand their numbers out again, or the
      // outbox would have a hole and the server would stop every later push at the gap.
      this.nextSeq = seqBefore;
      this.pendingNotify.clear();
      throw err;
    }
    this.flushNotify();
    return result;
  }

  /** Applies ops pulled from the server; they never go to the outbox. */
  applyRemote(ops: Pick<Op, 'hlc' | 'entity' | 'id' | 'fields'>[], extra?: () => void): Set<EntityName> {
    const changed = new Set<EntityName>();
    this.db.transaction(() => {
      let maxHlc: string | null = null;
      for (const op of ops) {
        if (this.applyMerge(op.entity, op.id, op.hlc, op.fields)) changed.add(op.entity);
        if (maxHlc === null || op.hlc > maxHlc) maxHlc = op.hlc;
      }
      if (maxHlc) {
        try {
          this.clock.observe(maxHlc);
        } catch {
          // A far-future timestamp from another replica was accepted by the server's own
          // drift check; our clock just does not jump to it.
        }
      }
      this.indexSearch();
      extra?.();
    }).immediate();
    this.notify(changed);
    return changed;
  }

  /**
   * What this replica holds follows who is signed in (issue 13). `scope` is what the user's role
   * may receive (entities/replicaScope): entity names, and `entity.field` for each bulky field it
   * receives (EntityDef.withheld). Rows of entities outside it are deleted (a dispatcher never
   * finds the clinical rows a clinician's session left) and withheld fields outside it cleared (a
   * clinician's replica never holds CAD's documents); anything the replica has not been pulling
   * (a clinician after a dispatcher) makes it pull the change log again from the start, so she
   * gets her whole caseload. Only for a synced store: the server holds everything purged.
   * Kept in `meta.replicaScope` (before withheld fields: `meta.syncScope`, entities only).
   */
  adoptScope(scope: readonly string[]): { purged: string[]; repull: boolean; rows: number } {
    const all = Object.values(ENTITIES).flatMap((d) => [d.name, ...Object.keys(d.withheld ?? {}).map((f) => `${d.name}.${f}`)]);
    let stored = this.metaGet('replicaScope');
    let before: string[] = stored ? (JSON.parse(stored) as string[]) : all;
    const legacy = stored ? undefined : this.metaGet('syncScope');
    if (legacy) {
      // Written before withheld fields existed (entities only): each field was held with its entity.
      const entities = JSON.parse(legacy) as string[];
      before = all.filter((s) => entities.includes(s.split('.')[0]));
      stored = legacy;
    }
    const now = [...scope].sort();
    if (stored && JSON.stringify(before.slice().sort()) === JSON.stringify(now)) return { purged: [], repull: false, rows: 0 };
    const purged = before.filter((e) => !now.includes(e));
    // A store from before scopes existed may have pulled any scope: pull again to be sure.
    const repull = !stored || now.some((e) => !before.includes(e));
    const gone = purged.filter((e): e is EntityName => e in ENTITIES);
    let rows = 0;
    this.writes.transaction(() => {
      // Deleted pages are zeroed (secure_delete as the store has it): these are clinical records.
      if (gone.length) rows = purgeEntities(this.writes, gone);
      for (const p of purged) {
        const [entity, field] = p.split('.') as [EntityName, string | undefined];
        if (field && !gone.includes(entity) && entity in ENTITIES) rows += clearField(this.writes, entity, field);
      }
      if (repull && Number(this.metaGet('cursor') ?? 0) > 0) {
        this.metaSet('cursor', '0');
        // This workstation's own earlier ops are among what was purged: pull them back too.
        this.metaSet('pullOwn', '1');
      }
      this.metaSet('replicaScope', JSON.stringify(now));
    });
    const touched = new Set(purged.map((p) => p.split('.')[0]).filter((e): e is EntityName => e in ENTITIES));
    if (touched.size) this.notify(touched);
    return { purged, repull, rows };
  }

  /** Pulled ops that failed their check, set aside with their reason (never applied). */
  quarantine(ops: { cursor: number | null; reason: string; op: unknown }[]): void {
    if (!ops.length) return;
    const at = new Date(this.now()).toISOString();
    this.writes.transaction(() => {
      for (const q of ops) quarantineOp(this.writes, q.cursor, q.reason, JSON.stringify(q.op).slice(0, 4096), at);
    });
  }

  quarantinedCount(): number {
    return quarantinedCount(this.reads);
  }

  lastQuarantineReason(): string | null {
    return lastQuarantineReason(this.reads) ?? null;
  }

  unreportedQuarantine(limit = 100): UnreportedRow[] {
    return unreportedQuarantine(this.reads, limit);
  }

  markQuarantineReported(upTo: number): void {
    markQuarantineReported(this.writes, upTo);
  }

  read<T>(entity: EntityName, id: string): T | null {
    const row = this.stmts(entity).select.get(id);
    return row ? (fromStored(entity, row) as T) : null;
  }

  /**
   * Ops not yet acknowledged. The outbox holds one unbroken run of sequence numbers (written
   * in order, acknowledged from the bottom), so its last number gives the count without a
   * scan — count(*) over a large outbox cost milliseconds on every status update of a big push.
   */
  pendingCount(): number {
    return Math.max(0, this.outboxEnds().last - this.ackedSeq);
  }

  private outboxEnds(): { first: number; last: number } {
    return outboxEnds(this.reads);
  }

  refusedCount(): number {
    return refusedCount(this.reads);
  }

  /** Unacknowledged outbox rows after sequence number `after`, in order. */
  private outboxRows(limit: number, after: number): OutboxRow[] {
    return outboxRowsAfter(this.reads, Math.max(after, this.ackedSeq), limit);
  }

  /** The oldest unacknowledged ops after sequence number `after`, in order. */
  outboxBatch(limit: number, after = 0): Op[] {
    return this.outboxRows(limit, after).map(([seq, hlc, entity, id, fields]) => ({ replica: this.replicaId, seq, hlc, entity, id, fields: JSON.parse(fields) }));
  }

  /**
   * The same ops as `outboxBatch`, already as the JSON array a push sends (UTF-8): each op's
   * fields are stored as JSON, so they go out as stored instead of being parsed and written out again.
   */
  outboxJson(limit: number, after = 0): { json: JsonBytes; count: number; lastSeq: number } {
    const rows = this.outboxRows(limit, after);
    const replica = this.replicaId;
    const out = new JsonBytes(0).array(rows.map(([seq, hlc, entity, id, fields]) => opJsonText({ replica, seq, hlc, entity, id }, fields)));
    return { json: out, count: rows.length, lastSeq: rows.length ? rows[rows.length - 1][0] : Math.max(after, this.ackedSeq) };
  }

  /**
   * The server now holds everything up to `lastSeq`; refused ops move aside with their reason.
   *
   * Acknowledged ops leave the outbox table when it has nothing else left: emptying a whole
   * table frees its pages at once, where deleting a range of rows rewrites and zeroes every
   * page they were on — on a 220,000-op push that was a second and a half of the console's
   * CPU. Should the outbox never empty (a steady stream of edits), acknowledged ops are
   * deleted once KEEP_ACKNOWLEDGED_MAX of them are waiting.
   */
  acknowledge(lastSeq: number, refused: { seq: number | null; reason: string }[]): void {
    const acked = Math.max(this.ackedSeq, lastSeq);
    this.writes.transaction(() => {
      const at = new Date(this.now()).toISOString();
      for (const r of refused) if (r.seq !== null) setAsideRefused(this.writes, this.replica, r.seq, r.reason, at);
      if (acked > this.ackedSeq) this.metaSet('ackedSeq', String(acked));
      const { first, last } = this.outboxEnds();
      if (last === 0) return;
      // The pages a delete frees are left as they are (encrypted) until reused, instead of
      // zeroed and written out: what they held is a copy of changes the tables still hold.
      // Zeroing made deleting 50,000 acknowledged ops cost ~0.25 s.
      if (last <= acked) withoutZeroingFreedPages(this.db, () => emptyOutbox(this.writes));
      else if (acked - first + 1 >= (this.opts.keepAcknowledgedMax ?? KEEP_ACKNOWLEDGED_MAX)) {
        withoutZeroingFreedPages(this.db, () => deleteOutboxUpTo(this.writes, acked));
      }
    });
    this.ackedSeq = acked;
  }
}

/** Acknowledged ops kept in the outbox table at most, while it never empties (see `acknowledge`). */
const KEEP_ACKNOWLEDGED_MAX = 50_000;

export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID()}`;
}
