import path from 'node:path';
import { DEFAULT_PRIORITY_CODES, RpcError, type LivePresence, type SessionInfo, type SyncStatus, type User } from '../../shared/contract';
import { may } from '../../shared/roles';
import type { Handoff } from '../../shared/entities';
import type { LoggedOp } from '../../shared/sync/protocol';
import { checkpointStoreInBackground } from './store/open';
import { openStoreForMachine } from './store/machine-bound';
import { ReplicaStore } from './store/replica';
import { SyncClient, type SyncClientOptions } from './sync/client';
import { createRouter, type Handlers } from './router';
import { createEventBus } from './events';
import { createAuditLog } from './audit';
import type { CoreContext } from './context';
import { sessionService, DEMO_USERS } from './services/session';
import { incidentService } from './services/incidents';
import { handoffService } from './services/handoffs';
import { caseService } from './services/cases';
import { caseloadService } from './services/caseload';
import { reportService } from './services/report';
import { directoryService } from './services/directory';
import { suggestionService } from './services/suggestions';
import { auditSearchService } from './services/audit-search';
import {
  CadOutcomeSender,
  DropFolder,
  defaultCoreLog,
  ingestEidoDocumentsLocally,
  ingestEidoLocally,
  loadCoreEligibilityRules,
  type CadOutcomeConfig,
  type CoreLog,
  type DropFolderOptions,
} from './services/cad';

export interface CoreConfig {
  /** Folder holding this workstation's store. */
  profileDir: string;
  /** 32-byte store key: from safeStorage in Electron, from configuration in the headless host. */
  key: Buffer;
  workstationName?: string;
  /** Demo profile: one-click sign-in as the demo users. */
  demo?: boolean;
  /** The ECC sync server. Without one the console works alone. */
  sync?: { serverUrl: string; serverUrls?: readonly string[]; enrollmentToken?: string; enrollmentKey?: string; ca?: string; caSource?: string; machineId?: string | null; protocol?: SyncClientOptions['protocol'] } | null;
  clinicianDirectLine?: string | null;
  /** Days an offline sign-in stays possible after the user's last online sign-in here. Default 14. */
  offlineSignInDays?: number;
  /** The dispatch floor's number, shown to a clinician whose console cannot take calls (machine policy). */
  dispatchFloorLine?: string | null;
  /** The ECC's priority codes (machine policy); default 1–4. */
  priorityCodes?: readonly string[];
  /** Minutes of inactivity before the console locks (at most 30). */
  lockAfterMinutes?: number;
  now?: () => number;
  /** The site's clinician-eligibility rule file (docs/ELIGIBILITY.md); default: the shipped config/eligibility-rules.json. */
  eligibilityRulesFile?: string | null;
  /** A folder CAD drops EIDO files into, for sites without a sync server (docs/CAD-INTAKE.md). */
  eidoDropDir?: string | null;
  eidoDrop?: DropFolderOptions;
  /** Refuse CAD documents with any problem, even ones Tandem could repair (a site's policy: --eido-strict). Default false. */
  eidoStrict?: boolean;
  /** Where the outcome of a handoff on a CAD incident goes back to CAD (docs/CAD-INTAKE.md). */
  cadOutcome?: CadOutcomeConfig | null;
  /** Default: warnings and errors to the console (silent under Vitest). */
  log?: CoreLog;
}

export type Core = Awaited<ReturnType<typeof createCore>>;

/** The workstation core: everything but the window. Electron and the headless host both wrap this. */
export async function createCore(config: CoreConfig) {
  const now = config.now ?? Date.now;
  /** The one clock of the core: every time it writes or compares comes from here. */
  const clock = () => new Date(now());
  const log = config.log ?? defaultCoreLog;
  const eligibilityRules = loadCoreEligibilityRules(config.eligibilityRulesFile);
  // A store copied from another machine is set aside: never two machines pushing as one replica.
  const { db } = openStoreForMachine(config.profileDir, { key: config.key }, config.sync?.machineId, log, now);
  const checkpointer = checkpointStoreInBackground(db, config.key, (err) =>
    log('warn', 'Background checkpoints stopped; SQLite checkpoints the store itself again', { error: err.message }),
  );
  const store = new ReplicaStore(db, now);
  const workstation = config.workstationName ?? store.replicaId;
  const bus = createEventBus();
  const emit = bus.emit;
  // The chain goes to the server soon after each entry (the sync client batches them).
  const writeAudit = createAuditLog(store.writes, workstation, clock, () => sync?.auditWritten());

  /** The machine policy's caFile, trusted with the system's CAs by every connection the console makes (sync server, CAD). */
  const trust = config.sync?.ca ? { ca: config.sync.ca, caSource: config.sync.caSource } : undefined;
  let handoffs: ReturnType<typeof handoffService> | null = null;
  /** Who F9 would ring now, as the sync server last said; unknown while the link is down. */
  let live: LivePresence = { known: false, answerers: [] };
  const sync = config.sync
    ? new SyncClient({
        serverUrl: config.sync.serverUrl,
        serverUrls: config.sync.serverUrls,
        enrollmentToken: config.sync.enrollmentToken,
        enrollmentKey: config.sync.enrollmentKey,
        machineId: config.sync.machineId,
        protocol: config.sync.protocol,
        workstationName: workstation,
        store,
        tls: trust,
        now,
        onStatus: (status: SyncStatus) => {
          emit('sync.status', status);
          if (status.state === 'online') {
            handoffs?.flushCompletions().catch((err) => log('error', 'could not retry the queued handoff completions; they stay queued', { error: (err as Error).message }));
          }
        },
        onRemoteOps: (ops) => onRemoteOps(ops),
        onRing: (h) => ring(h),
        onAnswerers: (users) => {
          live = users ? { known: true, answerers: users } : { known: false, answerers: [] };
          emit('presence.live', live);
        },
      })
    : null;

  const session = sessionService({ store, sync, demo: config.demo ?? false, now: clock, offlineSignInDays: config.offlineSignInDays });
  const ctx: CoreContext = {
    store,
    sync,
    workstation,
    now: clock,
    emit,
    user: () => session.current(),
    audit: (action, entity, entityId, detail) => writeAudit(session.current(), action, entity, entityId, detail),
    log,
    config: {
      clinicianDirectLine: config.clinicianDirectLine ?? null,
      demo: config.demo ?? false,
      eligibilityRules,
      priorityCodes: config.priorityCodes?.length ? config.priorityCodes : DEFAULT_PRIORITY_CODES,
    },
  };
  const incidents = incidentService(ctx);
  const cadOutcome = new CadOutcomeSender(ctx, config.cadOutcome ?? {}, path.join(config.profileDir, 'cad-outbox'), log, trust);
  handoffs = handoffService(ctx, { completed: (h, info) => cadOutcome.handoffCompleted(h, info) });
  const cases = caseService(ctx);
  const caseload = caseloadService(ctx);
  const directory = directoryService(ctx, { problemsDir: path.join(config.profileDir, 'directory-imports') });
  const suggestions = suggestionService(ctx);
  const reports = reportService(ctx);
  const auditLog = auditSearchService(ctx);

  store.onChange((entities) => {
    emit('data.changed', { entities: [...entities] });
    if (sync) {
      sync.announce();
      void sync.push();
    }
  });

  const dropFolder = config.eidoDropDir
    ? new DropFolder(path.resolve(config.eidoDropDir), (text, file) => ingestEidoDocumentsLocally(ctx, text, `CAD drop folder (${file})`, { strict: config.eidoStrict === true, maxBytes: config.eidoDrop?.maxBytes }), log, { now, ...config.eidoDrop })
    : null;
  dropFolder?.start();

  /** Each live handoff rings once, whichever arrives first: the server's ring or the change log. */
  const rung = new Set<string>();
  function ring(h: Handoff): void {
    if (!may(session.current()?.role, 'handoff.answer') || rung.has(h.id)) return;
    rung.add(h.id);
    emit('handoff.ringing', h);
  }

  /** Handoff rows from the server: ring the clinician, update the dispatcher, adopt follow-ups. */
  function onRemoteOps(ops: LoggedOp[]): void {
    const answers = may(session.current()?.role, 'handoff.answer');
    const seen = new Set<string>();
    for (const op of ops) {
      if (op.entity !== 'handoff' || seen.has(op.id)) continue;
      seen.add(op.id);
      const h = store.read<Handoff>('handoff', op.id);
      if (!h) continue;
      if (answers && h.state === 'ringing' && op.fields.state === 'ringing' && !rung.has(h.id)) ring(h);
      else emit('handoff.updated', h);
      if (answers) handoffs!.adoptFollowup(h);
    }
  }

  function syncStatusNow(): SyncStatus {
    return sync?.getStatus() ?? { state: 'disabled', offlineSince: null, pending: 0, refused: 0, lastSyncedAt: null, error: null, serverUrl: null };
  }

  function sessionInfo(): SessionInfo {
    return {
      user: session.current(),
      workstation,
      demo: config.demo ?? false,
      demoUsers: config.demo ? DEMO_USERS : [],
      lockAfterMinutes: Math.min(config.lockAfterMinutes ?? 10, 30),
      locked: session.isLocked(),
      lines: { clinician: config.clinicianDirectLine ?? null, dispatchFloor: config.dispatchFloorLine ?? null },
      priorityCodes: [...ctx.config.priorityCodes],
    };
  }

  const handlers: Handlers = {
    'session.get': () => sessionInfo(),
    'session.signIn': async (i) => {
      const u = await session.signIn(i.username, i.password, i.code);
      emit('session.changed', sessionInfo());
      return u;
    },
    'session.demoSignIn': async (i) => {
      const u = await session.demoSignIn(i.role);
      emit('session.changed', sessionInfo());
      return u;
    },
    'session.signOut': () => {
      // The server is asked in the background: signing out never waits on the network.
      void session.signOut();
      emit('session.changed', sessionInfo());
      return { ok: true as const };
    },
    'sync.status': () => syncStatusNow(),
    'session.lock': () => {
      session.lock();
      ctx.audit('session.lock', null, null);
      emit('session.changed', sessionInfo());
      return { ok: true as const };
    },
    'session.activity': () => {
      lastActivity = now();
      return { ok: true as const };
    },
    'session.unlock': async (i) => {
      await session.unlock(i.password);
      ctx.audit('session.unlock', null, null);
      emit('session.changed', sessionInfo());
      return { ok: true as const };
    },
    'incident.list': (i) => incidents.list(i.includeClosed),
    'incident.create': (i) => incidents.create(i),
    'incident.update': (i) => incidents.update(i.id, i.patch),
    'handoff.request': (i) => handoffs!.request(i.incidentId, i.mode, i.note),
    'handoff.cancel': (i) => handoffs!.cancel(i.id),
    'handoff.accept': (i) => handoffs!.accept(i.id),
    'handoff.decline': (i) => handoffs!.decline(i.id, i.reason),
    'handoff.complete': (i) => handoffs!.complete(i.id, i.outcome, i.notes, i.personName, i.shareableSummary, i.transfer),
    'handoff.list': (i) => handoffs!.list(i.live),
    'presence.set': (i) => handoffs!.setPresence(i.status),
    'presence.list': () => handoffs!.presence(),
    'presence.live': () => live,
    'case.queue': (i) => cases.queue(i),
    'case.get': (i) => cases.get(i.id),
    'case.create': (i) => cases.create(i),
    'case.addNote': (i) => cases.addEvent(i.caseId, 'note', { text: i.text }),
    'case.logContact': (i) => caseload.logContact(i),
    'case.screening': (i) => caseload.screening(i),
    'case.refer': (i) => caseload.refer(i),
    'referral.update': (i) => caseload.updateReferral(i),
    'case.addTask': (i) => caseload.addTask(i),
    'task.complete': (i) => caseload.completeTask(i.id),
    'case.setConsent': (i) => caseload.setConsent(i),
    'case.correct': (i) => caseload.correct(i),
    'case.update': (i) => caseload.update(i),
    'case.close': (i) => caseload.close(i),
    'case.safetyPlan': (i) => caseload.safetyPlan(i),
    'case.logTransfer': (i) => caseload.logTransfer(i),
    'directory.search': (i) => directory.search(i),
    'directory.get': (i) => directory.get(i.id),
    'directory.facets': () => directory.facets(),
    'directory.import': (i) => directory.importPackage(i.dir),
    'directory.suggest': (i) => suggestions.suggest(i),
    'directory.suggestions': (i) => suggestions.list(i.status),
    'directory.suggestion.accept': (i) => suggestions.decide('directory.suggestion.accept', { id: i.id }),
    'directory.suggestion.decline': (i) => suggestions.decide('directory.suggestion.decline', { id: i.id, reason: i.reason }),
    'report.own': (i) => reports.own(i),
    'report.program': (i) => reports.program(i),
    'audit.search': (i) => auditLog.search(i),
    'audit.export': (i) => auditLog.export(i),
  };
  const dispatch = createRouter(handlers);

  /**
   * The inactivity lock lives here, not in the window: the core locks itself once nobody has
   * touched the console (reported by the UI as `session.activity`) for the site's idle time,
   * whether or not a renderer is there to notice; drafts stay, as with a lock by hand.
   */
  const idleMs = Math.min(config.lockAfterMinutes ?? 10, 30) * 60_000;
  let lastActivity = now();
  let lockedBefore = false;
  function checkIdle(): void {
    const isLocked = session.isLocked();
    // Just unlocked, or someone new signed in: the idle time starts over.
    if ((lockedBefore && !isLocked) || !session.current()) lastActivity = now();
    lockedBefore = isLocked;
    if (!session.current() || isLocked || idleMs <= 0) return;
    if (now() - lastActivity < idleMs) return;
    session.lock();
    lockedBefore = true;
    ctx.audit('session.lock', null, null, { reason: 'idle', idleMinutes: idleMs / 60_000 });
    emit('session.changed', sessionInfo());
  }
  const idleTimer = setInterval(checkIdle, 5_000);
  idleTimer.unref();
  /** Windows (or browser tabs) showing this console now; see attach(). */
  let windows = 0;

  return {
    store,
    sync,
    workstation,
    /** CAD intake (drop folder, when configured) and the outcome sender, for the shells and tests. */
    cad: {
      dropFolder,
      outcome: cadOutcome,
      /** Takes one EIDO document as the drop folder does (e.g. a file a shell was asked to import). */
      ingest: (text: string, receivedBy: string) => ingestEidoLocally(ctx, text, receivedBy, { strict: config.eidoStrict === true }),
    },
    /** Every request from the UI, whichever transport carried it. */
    call(name: unknown, input: unknown): Promise<unknown> {
      return dispatch(name, input, { user: session.current(), locked: session.isLocked() });
    },
    on: bus.on,
    /** All events, for a transport that forwards them as they come. */
    onAny: bus.onAny,
    syncStatus: syncStatusNow,
    /** Locks the console now if it has been idle for the site's time (run every 5 s; tests call it). */
    checkIdle,
    /**
     * A window of this console opened; call the returned function when it closes. A console
     * with no window open is not a present clinician: the server stops ringing it. (A core
     * no shell ever attaches, as in tests and tools, is taken as attended.)
     */
    attach(): () => void {
      windows++;
      sync?.setAttended(true);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        windows--;
        if (windows === 0) sync?.setAttended(false);
      };
    },
    /** A shell that shows this console in windows serves it: until one opens, nobody is at it. */
    expectWindows(): void {
      if (windows === 0) sync?.setAttended(false);
    },
    currentUser(): User | null {
      return session.current();
    },
    /** Idempotent: a shell may close on several paths. */
    close(): void {
      if (!db.open) return;
      clearInterval(idleTimer);
      dropFolder?.close();
      cadOutcome.close();
      sync?.stop();
      bus.close();
      void checkpointer?.close();
      db.close();
    },
  };
}

export { RpcError };
