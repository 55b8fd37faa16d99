import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_MAX_BYTES,
  EidoError,
  buildOutcomeUpdate,
  decideEidoIntake,
  eidoIncidentRowId,
  evaluateEligibility,
  loadEligibilityRules as loadSharedEligibilityRules,
  describeProblem,
  parseEido,
  readEido,
  type EidoErrorCode,
  type EidoProblem,
  type EidoReadResult,
  type EidoWarning,
  type EligibilityRules,
  type NormalizedEidoIncident,
} from '../../../shared/eido';
import type { Handoff, HandoffOutcome, Incident } from '../../../shared/entities';
import { RpcError } from '../../../shared/contract';
import type { CoreContext } from '../context';
import type { CompletionInfo } from './handoffs';
import { recordCompletionProblem } from './completion-problems';
import { defaultCoreLog, type CoreLog } from '../log';
import { describeCertificateError, isCertificateError, requestJson, type Trust } from '../../../node/trusted-http';

/**
 * CAD intake and CAD outcome on the workstation (docs/CAD-INTAKE.md):
 *
 * - a drop folder, for sites without a sync server: every `*.json` put there is parsed as
 *   EIDO; an accepted one is written as an incident through the replica store and moved to
 *   `processed/`, a refused one is moved to `rejected/` with a `.reason.txt` beside it;
 * - the outcome of a completed handoff on a CAD incident goes back to CAD as an EIDO update
 *   (outcome + the clinician's shareable summary, never the private notes), POSTed to the
 *   CAD endpoint or written to an outbox folder; a failed POST falls back to the folder.
 */
export { defaultCoreLog, type CoreLog };

/** The site's rule file, or the shipped default; a bad file stops it with the reason. */
export function loadCoreEligibilityRules(file: string | null | undefined): EligibilityRules {
  return loadSharedEligibilityRules(file, (f) => fs.readFileSync(f, 'utf8'));
}

// ---------------------------------------------------------------------------------------
// Intake through the replica store

export type LocalIntakeResult =
  | {
      ok: true;
      action: 'created' | 'updated' | 'ignored';
      reason?: 'older' | 'same';
      incidentId: string;
      /** Where the document sat in the input ('' for the input itself, 'event.notification[1]' in a conveyance event). */
      document: string;
      /** Every repair Tandem made to read it. */
      warnings: EidoWarning[];
    }
  | { ok: false; code: EidoErrorCode; path: string | null; message: string; document: string; problems: readonly EidoProblem[] };

export interface LocalIntakeOptions {
  /** Largest accepted document, bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Refuse a document with any problem, even one Tandem could repair (a site's policy). Default false. */
  strict?: boolean;
}

function refusal(e: EidoError, document: string): LocalIntakeResult {
  return { ok: false, code: e.code, path: e.path ?? null, message: e.message, document, problems: e.problems };
}

/**
 * Reads every EIDO document of the text (one document, or a conveyance event holding
 * several: readEido) and writes each accepted one as an incident (create, newer update, or
 * ignore), each in its own store transaction; a refused document leaves the others alone.
 */
export function ingestEidoDocumentsLocally(ctx: CoreContext, text: string, receivedBy: string, opts: LocalIntakeOptions = {}): LocalIntakeResult[] {
  let read: EidoReadResult;
  try {
    read = readEido(text, { maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES, strict: opts.strict === true });
  } catch (err) {
    return [refusal(err instanceof EidoError ? err : new EidoError('invalid', 'document could not be read'), '')];
  }
  if (read.documents.length === 0) return [refusal(new EidoError('missing_part', 'holds no EIDO document', 'event.notification'), 'event.notification')];
  return read.documents.map((d) => (d.ok ? writeIncident(ctx, d.incident, receivedBy, d.path) : refusal(d.error, d.path)));
}

/** Takes one EIDO document (a conveyance event holding exactly one, too): its result, or the refusal. */
export function ingestEidoLocally(ctx: CoreContext, text: string, receivedBy: string, opts: LocalIntakeOptions = {}): LocalIntakeResult {
  const results = ingestEidoDocumentsLocally(ctx, text, receivedBy, opts);
  if (results.length === 1) return results[0] as LocalIntakeResult;
  const first = results.find((r) => r.ok) ?? (results[0] as LocalIntakeResult);
  return first;
}

function writeIncident(ctx: CoreContext, normalized: NormalizedEidoIncident, receivedBy: string, document: string): LocalIntakeResult {
  const eligibility = evaluateEligibility(normalized, ctx.config.eligibilityRules);
  const receivedAt = ctx.now().toISOString();
  const id = eidoIncidentRowId(normalized.incidentId);
  const warnings = normalized.warnings;
  return ctx.store.transaction(() => {
    const stored = ctx.store.read<Incident>('incident', id);
    const d = decideEidoIntake(normalized, stored, eligibility, { receivedAt, receivedBy });
    if (d.action === 'ignore') {
      ctx.audit('incident.eido.ignored', 'incident', id, { reason: d.reason, stored: d.storedUpdatedAt, received: normalized.lastUpdated });
      return { ok: true, action: 'ignored', reason: d.reason, incidentId: id, document, warnings } as const;
    }
    ctx.store.write('incident', id, d.fields);
    ctx.audit(d.action === 'create' ? 'incident.eido.create' : 'incident.eido.update', 'incident', id, {
      via: receivedBy,
      lastUpdated: normalized.lastUpdated,
      // Codes and paths only: a repair's message never quotes the document, but the audit stays short.
      repairs: warnings.map((w) => `${w.code} ${w.path}`),
    });
    return { ok: true, action: d.action === 'create' ? 'created' : 'updated', incidentId: id, document, warnings } as const;
  });
}

/** What a person fixing the CAD feed reads beside a handled file: every problem, every repair, per document. */
export function intakeReport(results: readonly LocalIntakeResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const where = r.document ? `Document ${r.document}` : 'Document';
    if (r.ok) {
      lines.push(`${where}: ${r.action}${r.reason ? ` (${r.reason})` : ''} as ${r.incidentId}${r.warnings.length ? `, with ${r.warnings.length} repair${r.warnings.length === 1 ? '' : 's'}:` : ''}`);
      for (const w of r.warnings) lines.push(`  - ${describeProblem(w)}`);
    } else {
      lines.push(`${where}: refused, ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}:`);
      for (const p of r.problems) lines.push(`  - [${p.fatal ? 'fatal' : 'repairable'}] ${describeProblem(p)}`);
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// Drop folder

export interface DropFolderOptions {
  /** How often the folder is listed even when no change was signalled. Default 1000 ms. */
  pollMs?: number;
  /** A file is read only once its size and mtime have not changed for this long. Default 300 ms. */
  settleMs?: number;
  /** At most this many files are handled per scan (the rest wait for the next). Default 50. */
  maxFilesPerScan?: number;
  /** Larger files are refused as oversize without being read. Default 1 MiB. */
  maxBytes?: number;
  /** The core's clock, for the time written in a refusal's reason file. Default: the system clock. */
  now?: () => number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  since: number;
}

/** Where a handled file went. */
export interface DropResult {
  file: string;
  /** accepted: at least one document was taken; ignored: every one was not newer than the stored one; rejected: none could be. */
  outcome: 'accepted' | 'ignored' | 'rejected';
  movedTo: string | null;
  /** The file's (first) document; `documents` has them all (a conveyance event holds several). */
  detail: LocalIntakeResult;
  documents: LocalIntakeResult[];
}

/**
 * Watches one folder. A file is considered complete when it ends in `.json` (not a dot
 * file) and its size and mtime stay unchanged for `settleMs`, so both conventions work:
 * write `name.json.part` (or `.name.json`) and rename it to `name.json` when done, which is
 * atomic; or write `name.json` in place, which is read once the writer has been quiet for
 * `settleMs`. fs.watch only hints that something changed; a timer lists the folder every
 * `pollMs` regardless (network shares drop watch events). Handling is synchronous and
 * bounded per scan, so there is no busy loop and close() stops it between two files.
 */
export class DropFolder {
  readonly processedDir: string;
  readonly rejectedDir: string;
  private readonly pollMs: number;
  private readonly settleMs: number;
  private readonly maxFiles: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly seen = new Map<string, Seen>();
  /** Files handled but not yet moved (a move failed): never handled twice. */
  private readonly handled = new Map<string, DropResult>();
  private poll: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private watcher: fs.FSWatcher | null = null;
  private stopped = false;
  private listeners: ((r: DropResult) => void)[] = [];

  constructor(
    readonly dir: string,
    private readonly handle: (text: string, file: string) => LocalIntakeResult[],
    private readonly log: CoreLog,
    opts: DropFolderOptions = {},
  ) {
    this.processedDir = path.join(dir, 'processed');
    this.rejectedDir = path.join(dir, 'rejected');
    this.pollMs = Math.max(50, opts.pollMs ?? 1000);
    this.settleMs = Math.max(0, opts.settleMs ?? 300);
    this.maxFiles = Math.max(1, opts.maxFilesPerScan ?? 50);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    for (const d of [this.dir, this.processedDir, this.rejectedDir]) fs.mkdirSync(d, { recursive: true });
    try {
      this.watcher = fs.watch(this.dir, { persistent: false }, () => this.schedule(20));
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // polling alone still works
    }
    this.poll = setInterval(() => this.scan(), this.pollMs);
    this.poll.unref();
    this.schedule(0);
    this.log('info', 'watching the EIDO drop folder', { dir: this.dir });
  }

  /** Called with every file handled (tests, status). */
  onResult(listener: (r: DropResult) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  close(): void {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.soon) clearTimeout(this.soon);
    this.watcher?.close();
    this.poll = this.soon = null;
    this.watcher = null;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.scan();
    }, ms);
    this.soon.unref();
  }

  /** One pass over the folder; returns what it handled. */
  scan(): DropResult[] {
    if (this.stopped) return [];
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => /\.json$/i.test(n) && !n.startsWith('.')).sort();
    } catch (err) {
      this.log('warn', 'cannot list the EIDO drop folder', { dir: this.dir, error: (err as Error).message });
      return [];
    }
    const present = new Set(names);
    for (const k of this.seen.keys()) if (!present.has(k)) this.seen.delete(k);
    for (const k of this.handled.keys()) if (!present.has(k)) this.handled.delete(k);
    const out: DropResult[] = [];
    // How long a file has been quiet is elapsed time, measured on the monotonic clock.
    const now = performance.now();
    let waiting = false;
    for (const name of names) {
      if (this.stopped || out.length >= this.maxFiles) break;
      const file = path.join(this.dir, name);
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue; // gone in between
      }
      if (!st.isFile()) continue;
      const prior = this.handled.get(name);
      if (prior) {
        // Handled already; only the move is left to retry.
        const moved = this.move(file, prior.outcome === 'rejected' ? this.rejectedDir : this.processedDir, name, prior.documents);
        if (moved) this.handled.delete(name);
        continue;
      }
      const s = this.seen.get(name);
      if (!s || s.size !== st.size || s.mtimeMs !== st.mtimeMs) {
        this.seen.set(name, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        waiting = true;
        continue;
      }
      if (now - s.since < this.settleMs) {
        waiting = true;
        continue;
      }
      this.seen.delete(name);
      const r = this.handleFile(file, name, st.size);
      if (!r) {
        waiting = true;
        continue;
      }
      out.push(r);
      for (const l of this.listeners) l(r);
    }
    if (waiting || out.length >= this.maxFiles) this.schedule(Math.max(20, this.settleMs));
    return out;
  }

  /** null when the file could not be handled now (unreadable, store failure): it stays and is tried again. */
  private handleFile(file: string, name: string, size: number): DropResult | null {
    let documents: LocalIntakeResult[];
    const refused = (code: EidoErrorCode, message: string): LocalIntakeResult[] => [
      { ok: false, code, path: null, message, document: '', problems: [{ path: '', code, message, fatal: true }] },
    ];
    if (size > this.maxBytes) {
      documents = refused('oversize', `document is ${size} bytes; the limit is ${this.maxBytes}`);
    } else {
      let buf: Buffer;
      try {
        buf = fs.readFileSync(file);
      } catch (err) {
        this.log('warn', 'cannot read a file in the EIDO drop folder; will retry', { file, error: (err as Error).message });
        return null;
      }
      let text: string | null = null;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
      } catch {
        text = null;
      }
      try {
        documents = text === null ? refused('not_json', 'the file is not UTF-8 text') : this.handle(text, name);
      } catch (err) {
        // Our failure (e.g. the store), not the document's: leave the file and try again later.
        this.log('error', 'EIDO drop-folder intake failed; will retry', { file, error: (err as Error).message });
        return null;
      }
    }
    const taken = documents.filter((d) => d.ok);
    const outcome: DropResult['outcome'] = taken.length === 0 ? 'rejected' : taken.every((d) => d.ok && d.action === 'ignored') ? 'ignored' : 'accepted';
    for (const d of documents) {
      if (d.ok) {
        this.log('info', `EIDO from the drop folder: ${d.action}`, { file: name, document: d.document, incident: d.incidentId, reason: d.reason, repairs: d.warnings.length });
      } else {
        this.log('warn', 'EIDO document in the drop folder refused', { file: name, document: d.document, code: d.code, path: d.path, message: d.message, problems: d.problems.length });
      }
    }
    const detail = (documents.find((d) => d.ok) ?? documents[0]) as LocalIntakeResult;
    const result: DropResult = { file: name, outcome, movedTo: null, detail, documents };
    const movedTo = this.move(file, outcome === 'rejected' ? this.rejectedDir : this.processedDir, name, documents);
    if (!movedTo) this.handled.set(name, result);
    result.movedTo = movedTo;
    return result;
  }

  /**
   * Moves a handled file. Beside a refused one goes `<name>.reason.txt` (the first problem,
   * then every problem of every document); beside a taken one with repairs or refused
   * documents, `<name>.repairs.txt`. Null when the move failed.
   */
  private move(file: string, toDir: string, name: string, documents: readonly LocalIntakeResult[]): string | null {
    const target = freeName(toDir, name);
    const base = target.slice(0, -'.json'.length);
    try {
      const first = documents.find((d) => !d.ok);
      const taken = documents.some((d) => d.ok);
      if (!taken && first && !first.ok) {
        const reason = [
          `Refused by Tandem at ${new Date(this.now()).toISOString()}`,
          `Code:   ${first.code}`,
          `Path:   ${first.path ?? '(document)'}`,
          `Reason: ${first.message}`,
          `File:   ${name}`,
          '',
          intakeReport(documents),
          '',
        ].join('\n');
        fs.writeFileSync(`${base}.reason.txt`, reason);
      } else if (documents.some((d) => !d.ok || d.warnings.length > 0)) {
        fs.writeFileSync(`${base}.repairs.txt`, [`Taken by Tandem at ${new Date(this.now()).toISOString()}`, `File:   ${name}`, '', intakeReport(documents), ''].join('\n'));
      }
      fs.renameSync(file, target);
      return target;
    } catch (err) {
      this.log('warn', 'cannot move a handled file out of the EIDO drop folder; will retry', { file, error: (err as Error).message });
      return null;
    }
  }
}

/** `dir/name`, or `dir/name-<n>.json` when taken. */
function freeName(dir: string, name: string): string {
  const base = name.replace(/\.json$/i, '');
  let candidate = path.join(dir, `${base}.json`);
  for (let n = 1; fs.existsSync(candidate); n++) candidate = path.join(dir, `${base}-${n}.json`);
  return candidate;
}

// ---------------------------------------------------------------------------------------
// Outcome back to CAD

export interface CadOutcomeConfig {
  /** The CAD's endpoint for EIDO updates. */
  postUrl?: string;
  /** Where update documents are written (always, when there is no postUrl; on a failed POST otherwise). */
  outboxDir?: string;
  /** Sent as the `authorization` header of the POST, e.g. "Bearer …". */
  authorization?: string;
  /** The ECC's agency id in the update; default: the agency that last updated the incident in CAD. */
  agencyId?: string;
  /** POST timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** How often updates that fell back to the outbox are POSTed again. Default 60 s; 0 never. */
  retryMs?: number;
}

export interface OutcomeDelivery {
  incidentId: string;
  via: 'post' | 'outbox';
  /** The outbox file, when written. */
  file: string | null;
  /** Why the POST did not go through, when it did not. */
  postError: string | null;
}

const PENDING_KEY = 'cadOutcomePending';
/**
 * Outcomes not yet delivered (to CAD, or to the outbox when CAD cannot be reached): each is
 * written here before it is sent and removed once it went, so neither a failure (an outbox
 * that cannot be written, a full disk) nor a crash mid-send loses a completed conference on
 * its way to CAD. Tried again with the outbox's updates; CAD takes an update twice harmlessly.
 */
const QUEUE_KEY = 'cadOutcomeQueue';

/** One handoff's outcome on its way to CAD. */
interface OutcomeToSend {
  handoffId: string;
  caseId: string;
  incidentId: string;
  outcome: HandoffOutcome;
  summary: string;
  clinicianName: string;
  at: string;
}

type Delivery = { result: 'delivered' } | { result: 'retry' | 'impossible'; error: unknown };

export class CadOutcomeSender {
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private inFlight = new Set<Promise<unknown>>();
  private listeners: ((d: OutcomeDelivery) => void)[] = [];

  constructor(
    private readonly ctx: CoreContext,
    private readonly cfg: CadOutcomeConfig,
    /** Outbox used when a POST fails and no outboxDir is configured. */
    private readonly fallbackDir: string,
    private readonly log: CoreLog,
    /** The machine policy's caFile: CAD's certificate may come from the ECC's private CA too. */
    private readonly trust?: Trust,
  ) {
    const retry = cfg.retryMs ?? 60_000;
    if (this.enabled && retry > 0) {
      this.retryTimer = setInterval(() => {
        this.retryPending().catch((err) => this.log('error', 'retrying CAD outcomes failed; they stay queued', { error: (err as Error).message }));
      }, retry);
      this.retryTimer.unref();
    }
  }

  get enabled(): boolean {
    return Boolean(this.cfg.postUrl || this.cfg.outboxDir);
  }

  onDelivery(listener: (d: OutcomeDelivery) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** The hook handoffs.complete calls; never throws, never blocks the clinician. */
  handoffCompleted(h: Handoff, info: CompletionInfo): void {
    if (!this.enabled || this.closed) return;
    const incident = this.ctx.store.read<Incident>('incident', h.incidentId);
    // A clinician's replica does not hold CAD's document (EntityDef.withheld): it is fetched when sent.
    if (!incident || incident.source !== 'eido') return;
    const outcome: OutcomeToSend = {
      handoffId: h.id,
      caseId: info.caseId,
      incidentId: incident.id,
      outcome: info.outcome,
      summary: info.shareableSummary ?? '',
      clinicianName: info.clinician.name,
      at: info.at.toISOString(),
    };
    this.setQueue([...this.queue().filter((o) => o.handoffId !== outcome.handoffId), outcome]);
    const p = this.attempt(outcome, true);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Handoffs whose outcome is being sent right now (a retry leaves them alone). */
  private readonly sending = new Set<string>();

  /**
   * Sends one queued outcome and settles it: gone from the queue once delivered (or once it
   * never can be), kept for the next retry otherwise; a failure is recorded the first time
   * (log, audit, a note on the case). Never throws. Resolves whether it was delivered.
   */
  private async attempt(o: OutcomeToSend, first: boolean): Promise<boolean> {
    this.sending.add(o.handoffId);
    try {
      const d = await this.deliver(o);
      if (this.closed) return d.result === 'delivered'; // the store is closed: it stays queued for the next start
      if (d.result !== 'retry') this.setQueue(this.queue().filter((q) => q.handoffId !== o.handoffId));
      if (d.result === 'delivered') return true;
      if (first || d.result === 'impossible') this.recordFailure(o, d);
      else this.log('warn', 'a CAD outcome still cannot be delivered; will retry', { handoff: o.handoffId, error: String(d.error) });
      return false;
    } catch (err) {
      this.log('error', 'could not settle a CAD outcome; it stays queued', { handoff: o.handoffId, error: (err as Error).message });
      return false;
    } finally {
      this.sending.delete(o.handoffId);
    }
  }

  /** Sends one outcome; never throws. `impossible`: it can never be sent (trying again would change nothing). */
  private async deliver(o: OutcomeToSend): Promise<Delivery> {
    try {
      const incident = this.ctx.store.read<Incident>('incident', o.incidentId);
      if (!incident) return { result: 'impossible', error: new Error(`the CAD incident ${o.incidentId} is no longer on this workstation`) };
      const eidoRaw = incident.eidoRaw ?? (await this.fetchDocument(o.incidentId));
      if (!eidoRaw) return { result: 'impossible', error: new Error(`the CAD incident ${o.incidentId} has no CAD document to answer`) };
      await this.send({ ...incident, eidoRaw }, o.outcome, o.summary, o.clinicianName, new Date(o.at));
      return { result: 'delivered' };
    } catch (error) {
      // The stored EIDO document cannot be read back: it will not read any better later.
      return { result: error instanceof EidoError ? 'impossible' : 'retry', error };
    }
  }

  /**
   * CAD's document of an incident this replica does not hold it for (a clinician's: see
   * EntityDef.withheld), asked of the sync server and not kept. Throws `unavailable` while the
   * server cannot be reached (the outcome stays queued); null when the server has none.
   */
  private async fetchDocument(incidentId: string): Promise<string | null> {
    if (!this.ctx.sync) return null;
    try {
      const r = (await this.ctx.sync.rpc('incident.document', { id: incidentId })) as { eidoRaw?: unknown };
      return typeof r?.eidoRaw === 'string' ? r.eidoRaw : null;
    } catch (err) {
      if (err instanceof RpcError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /** For the clinician (a note on the case) and IT (log, audit). */
  private recordFailure(o: OutcomeToSend, d: Exclude<Delivery, { result: 'delivered' }>): void {
    recordCompletionProblem(this.ctx, {
      handoffId: o.handoffId,
      caseId: o.caseId,
      stage: 'cad',
      error: d.error,
      note:
        d.result === 'retry'
          ? 'The outcome of this conference has not reached CAD yet; Tandem tries again.'
          : 'The outcome of this conference could not be sent back to CAD.',
    });
  }

  private queue(): OutcomeToSend[] {
    try {
      const v = JSON.parse(this.ctx.store.metaGet(QUEUE_KEY) ?? '[]');
      return Array.isArray(v) ? (v as OutcomeToSend[]) : [];
    } catch {
      this.log('error', `the queue of CAD outcomes to send (${QUEUE_KEY}) cannot be read; it starts over`);
      return [];
    }
  }

  private setQueue(list: OutcomeToSend[]): void {
    this.ctx.store.metaSet(QUEUE_KEY, JSON.stringify(list));
  }

  /** Outcomes not delivered yet (being sent, or waiting for a retry). */
  queuedCount(): number {
    return this.queue().length;
  }

  /** Sends the queued outcomes that are not under way; returns how many went. */
  private async retryQueued(): Promise<number> {
    let delivered = 0;
    for (const o of this.queue()) {
      if (this.closed) break;
      if (this.sending.has(o.handoffId)) continue;
      if (await this.attempt(o, false)) delivered++;
    }
    return delivered;
  }

  /** Waits for deliveries under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Builds the EIDO update and delivers it. */
  async send(incident: Incident, outcome: HandoffOutcome, summary: string, clinicianName: string, at: Date): Promise<OutcomeDelivery> {
    const normalized = parseEido(incident.eidoRaw ?? '');
    const doc = buildOutcomeUpdate({
      incidentId: normalized.incidentId,
      outcome,
      summary,
      clinicianName,
      at,
      agencyId: this.cfg.agencyId ?? normalized.updatedBy.agencyId,
      incidentType: normalized.type,
      incidentComponentId: incidentComponentIdOf(incident.eidoRaw ?? ''),
    });
    const body = JSON.stringify(doc, null, 2);
    const name = `${safeName(incident.number || incident.id)}-${compactTime(at)}.eido.json`;
    let postError: string | null = null;
    if (this.cfg.postUrl) {
      postError = await this.post(body);
      if (postError === null) return this.delivered({ incidentId: incident.id, via: 'post', file: null, postError: null }, 'info', 'outcome POSTed to CAD');
    }
    const file = writeAtomically(this.cfg.outboxDir ?? this.fallbackDir, name, body);
    if (postError !== null) {
      const pending = this.pending();
      pending.push(file);
      this.ctx.store.metaSet(PENDING_KEY, JSON.stringify(pending));
    }
    this.ctx.audit('incident.cad.outcome', 'incident', incident.id, { via: 'outbox', file: path.basename(file), postError });
    return this.delivered(
      { incidentId: incident.id, via: 'outbox', file, postError },
      postError ? 'warn' : 'info',
      postError ? 'CAD POST failed; outcome written to the outbox' : 'outcome written to the CAD outbox',
    );
  }

  private delivered(d: OutcomeDelivery, level: 'info' | 'warn', message: string): OutcomeDelivery {
    if (d.via === 'post') this.ctx.audit('incident.cad.outcome', 'incident', d.incidentId, { via: 'post' });
    this.log(level, message, { incident: d.incidentId, file: d.file, postError: d.postError });
    for (const l of this.listeners) l(d);
    return d;
  }

  /** null when CAD took it (2xx), else why not (a certificate problem named as one). */
  private async post(body: string): Promise<string | null> {
    const url = this.cfg.postUrl!;
    try {
      const res = await requestJson(url, {
        method: 'POST',
        headers: this.cfg.authorization ? { authorization: this.cfg.authorization } : {},
        text: body,
        timeoutMs: this.cfg.timeoutMs ?? 5000,
        trust: this.trust,
      });
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      if (isCertificateError(err)) return describeCertificateError(err, url, this.trust, 'the CAD endpoint');
      const e = err as Error & { code?: string };
      return e.code ?? e.name ?? 'network error';
    }
  }

  private pending(): string[] {
    try {
      const v = JSON.parse(this.ctx.store.metaGet(PENDING_KEY) ?? '[]');
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  /**
   * Tries again what could not be delivered at all, then POSTs again what fell back to the
   * outbox (a sent file moves to `sent/` beside it). Returns how many went.
   */
  async retryPending(): Promise<number> {
    if (this.closed) return 0;
    let sent = await this.retryQueued();
    if (!this.cfg.postUrl || this.closed) return sent;
    const list = this.pending();
    if (!list.length) return sent;
    const left: string[] = [];
    for (const file of list) {
      if (this.closed) {
        left.push(file);
        continue;
      }
      let body: string;
      try {
        body = fs.readFileSync(file, 'utf8');
      } catch (err) {
        // Taken away by hand (or unreadable): nothing left to resend, but said so.
        this.log('warn', 'an outbox update waiting to be resent to CAD is gone; it is not resent', { file, error: (err as Error).message });
        this.ctx.audit('incident.cad.outcome.missing', null, null, { file: path.basename(file), error: (err as Error).message });
        continue;
      }
      if ((await this.post(body)) !== null) {
        left.push(file);
        continue;
      }
      sent++;
      try {
        const sentDir = path.join(path.dirname(file), 'sent');
        fs.mkdirSync(sentDir, { recursive: true });
        fs.renameSync(file, path.join(sentDir, path.basename(file)));
      } catch {
        // Sent; the copy stays in the outbox, which is harmless (the update is idempotent).
      }
    }
    if (!this.closed) this.ctx.store.metaSet(PENDING_KEY, JSON.stringify(left));
    if (sent) this.log('info', 'outbox updates POSTed to CAD', { sent, left: left.length });
    return sent;
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
  }
}

/** The `$id` of the CAD's incident component, so the update merges into it. */
function incidentComponentIdOf(raw: string): string | undefined {
  try {
    const doc = JSON.parse(raw) as { incidentComponent?: unknown };
    const c = Array.isArray(doc.incidentComponent) ? doc.incidentComponent[0] : doc.incidentComponent;
    const id = (c as { $id?: unknown } | undefined)?.$id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 64) || 'incident';
}

/** 2026-01-02T03:04:05.678Z → 20260102T030405678Z */
function compactTime(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

/** Writes `dir/name` so that a reader never sees half of it; a taken name gets a suffix. */
function writeAtomically(dir: string, name: string, body: string): string {
  fs.mkdirSync(dir, { recursive: true });
  let target = path.join(dir, name);
  for (let n = 1; fs.existsSync(target); n++) target = path.join(dir, name.replace(/\.eido\.json$/, `-${n}.eido.json`));
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, body);
  fs.renameSync(tmp, target);
  return target;
}
