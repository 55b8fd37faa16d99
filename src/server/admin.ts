import type { User } from '../shared/contract';
import { Auth, toUser, type EnrollmentKeyInfo, type NewUser } from './auth';
import { createAuditLog, type ChainReport } from './audit';
import { cadKeyAdmin } from './eido';
import { ServerError } from './errors';
import type { CadKeyRecord, ServerStorage, StorageCounts, StoredEidoRejection, StoredRefusal } from './storage/types';

/**
 * Administration, usable with or without a running server (the CLI opens the storage
 * directly; `createSyncServer` hands out the same object).
 */
export interface WorkstationInfo {
  id: string;
  name: string;
  enrolledAt: string;
  revoked: boolean;
  revokedAt: string | null;
  /** The site enrollment key that enrolled it, or null for a one-time token. */
  enrollmentKeyId: string | null;
  /** Bound to the machine it enrolled on. */
  machineBound: boolean;
}

export interface SessionInfo {
  /** The first 16 hex digits of the session token's SHA-256: enough to name it, useless to sign in with. */
  id: string;
  userId: string;
  username: string | null;
  workstationId: string;
  workstationName: string | null;
  createdAt: string;
  expiresAt: string;
}

export interface ServerStatus extends StorageCounts {
  storage: string;
  location: string;
}

export interface ServerAdmin {
  addUser(input: NewUser): Promise<User>;
  /** A one-time enrollment token (shown once; only its hash is stored). */
  createEnrollmentToken(name?: string): Promise<string>;
  /** A site enrollment key for a fleet's machine policy (shown once). */
  addEnrollmentKey(name: string): Promise<{ key: string; info: EnrollmentKeyInfo }>;
  /** A new key under the name; the old ones enroll for `graceMs` more, then stop. */
  rotateEnrollmentKey(name: string, graceMs: number): Promise<{ key: string; info: EnrollmentKeyInfo; expiredOld: number }>;
  /** Revokes the key(s) with this id or name; with `workstations`, also every workstation they enrolled. */
  revokeEnrollmentKey(idOrName: string, opts?: { workstations?: boolean }): Promise<{ keys: string[]; workstations: string[] }>;
  listEnrollmentKeys(): Promise<EnrollmentKeyInfo[]>;
  listUsers(): Promise<User[]>;
  listWorkstations(): Promise<WorkstationInfo[]>;
  /** Revokes a workstation and ends its sessions; false when there is no such workstation. */
  revokeWorkstation(id: string): Promise<boolean>;
  /** Disables a user and ends every session of theirs (open sockets close within a second); null when there is no such user. */
  disableUser(username: string): Promise<User | null>;
  enableUser(username: string): Promise<User | null>;
  /** Sets a new password, ends the user's sessions and lifts any lockout; null when there is no such user. */
  resetPassword(username: string, password: string): Promise<User | null>;
  /** Lifts a username's sign-in backoff or lockout; false when it had none. */
  unlockUser(username: string): Promise<boolean>;
  /** Forgets the user's two-step sign-in (lost phone): sessions end; the next sign-in sets it up again when required. Null: no such user. */
  resetMfa(username: string): Promise<{ user: User; had: boolean } | null>;
  /** Requires two-step sign-in of this user (whatever the site's role policy), or no longer. Null: no such user. */
  setMfaRequired(username: string, required: boolean): Promise<User | null>;
  /** Live sessions, oldest first. */
  listSessions(): Promise<SessionInfo[]>;
  /** Ends the sessions whose id (see SessionInfo) starts with `id` (at least 8 hex digits); how many ended. */
  revokeSession(id: string): Promise<number>;
  /** Checks every audit chain (recorded as an admin action). */
  auditVerify(): Promise<ChainReport[]>;
  /** Writes the audit entries with from <= at < to as CSV (recorded as an admin action); how many. */
  auditExport(from: string, to: string, write: (chunk: string) => void): Promise<number>;
  /** The most recent refused ops, newest first, for review. */
  refusedOps(limit?: number): Promise<StoredRefusal[]>;
  status(): Promise<ServerStatus>;
  /** A new per-CAD API key for POST /eido, returned once (only its SHA-256 is stored). */
  addCadKey(name: string): Promise<string>;
  listCadKeys(): Promise<Omit<CadKeyRecord, 'keyHash'>[]>;
  /** False when there is no such key. */
  revokeCadKey(name: string): Promise<boolean>;
  /** EIDO documents refused at intake, newest first, with their raw input. */
  eidoRejections(limit?: number): Promise<StoredEidoRejection[]>;
}

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60_000;
export const DEFAULT_ENROLLMENT_TTL_MS = 24 * 60 * 60_000;

export function createAdmin(
  storage: ServerStorage,
  opts: {
    auth?: Auth;
    now?: () => number;
    onRevoke?: (workstationId: string) => void;
    /** A user, session or workstation lost its access: the running server closes their sockets now. */
    onAccessChanged?: () => void;
    /** Who the audit log names for these actions (the CLI: `cli:<os user>`). Default `admin`. */
    actor?: string;
  } = {},
): ServerAdmin {
  const now = opts.now ?? Date.now;
  const auth = opts.auth ?? new Auth(storage, { sessionTtlMs: DEFAULT_SESSION_TTL_MS, enrollmentTtlMs: DEFAULT_ENROLLMENT_TTL_MS, now });
  const onRevoke = opts.onRevoke ?? (() => {});
  const changed = <T>(v: T): T => {
    opts.onAccessChanged?.();
    return v;
  };
  const audit = createAuditLog(storage, now);
  const actor = opts.actor ?? 'admin';
  /** Records the action once it is done (when it found its subject), then returns its result. */
  const audited = async <T>(action: string, subject: string | null, run: Promise<T>, detail?: Record<string, unknown>): Promise<T> => {
    const v = await run;
    if (v !== null && v !== false && v !== 0) await audit.record({ action, actor, subject, detail });
    return v;
  };
  const cad = cadKeyAdmin(storage, now);
  return {
    addUser: async (input) => {
      const u = await auth.addUser(input);
      await audit.record({ action: 'user.add', actor, subject: u.username, detail: { role: u.role, id: u.id } });
      return u;
    },
    createEnrollmentToken: async (name) => audited('workstation.enrollment_token', name ?? null, auth.createEnrollmentToken(name).then((t) => t.token)),
    listUsers: async () => (await storage.transaction((tx) => tx.listUsers(), { readOnly: true })).map(toUser),
    listWorkstations: async () =>
      (await storage.transaction((tx) => tx.listWorkstations(), { readOnly: true })).map((w) => ({
        id: w.id,
        name: w.name,
        enrolledAt: w.enrolledAt,
        revoked: w.revoked,
        revokedAt: w.revokedAt,
        enrollmentKeyId: w.enrollmentKeyId ?? null,
        machineBound: !!w.machineId,
      })),
    revokeWorkstation: async (id) => {
      const ok = await audited('workstation.revoke', id, auth.revokeWorkstation(id));
      if (ok) onRevoke(id);
      return changed(ok);
    },
    disableUser: async (username) => changed(await audited('user.disable', username, auth.setDisabled(username, true))),
    enableUser: (username) => audited('user.enable', username, auth.setDisabled(username, false)),
    resetPassword: async (username, password) => changed(await audited('user.reset_password', username, auth.resetPassword(username, password))),
    unlockUser: (username) => audited('user.unlock', username, auth.unlock(username)),
    resetMfa: async (username) => changed(await audited('user.reset_mfa', username, auth.resetMfa(username))),
    setMfaRequired: (username, required) => audited(required ? 'user.require_mfa' : 'user.unrequire_mfa', username, auth.setMfaRequired(username, required)),
    listSessions: () =>
      storage.transaction(
        async (tx) => {
          const out: SessionInfo[] = [];
          for (const s of await tx.listSessions(new Date(now()).toISOString())) {
            const [u, w] = [await tx.getUser(s.userId), await tx.getWorkstation(s.workstationId)];
            out.push({
              id: s.tokenHash.slice(0, 16),
              userId: s.userId,
              username: u?.username ?? null,
              workstationId: s.workstationId,
              workstationName: w?.name ?? null,
              createdAt: s.createdAt,
              expiresAt: s.expiresAt,
            });
          }
          return out;
        },
        { readOnly: true },
      ),
    revokeSession: async (id) => {
      if (!/^[0-9a-f]{8,64}$/.test(id)) throw new ServerError('bad_request', `A session id is 8 to 64 lower-case hex digits (see "session list"), got ${JSON.stringify(id)}`);
      const n = await storage.transaction(async (tx) => {
        const hits = (await tx.listSessions(new Date(0).toISOString())).filter((s) => s.tokenHash.startsWith(id));
        if (hits.length > 1) throw new ServerError('conflict', `${hits.length} sessions start with ${id}; give more digits`);
        for (const h of hits) await tx.deleteSession(h.tokenHash);
        return hits.length;
      });
      if (n) await audit.record({ action: 'session.revoke', actor, subject: id });
      return changed(n);
    },
    auditVerify: async () => {
      const report = await audit.verify();
      await audit.record({ action: 'audit.verify', actor, detail: { ok: report.every((r) => r.ok), chains: report.length } });
      return report;
    },
    auditExport: async (from, to, write) => {
      const n = await audit.exportCsv(from, to, write);
      await audit.record({ action: 'audit.export', actor, detail: { from, to, entries: n } });
      return n;
    },
    addEnrollmentKey: (name) => auth.createEnrollmentKey(name),
    rotateEnrollmentKey: (name, graceMs) => auth.rotateEnrollmentKey(name, graceMs),
    listEnrollmentKeys: () => auth.listEnrollmentKeys(),
    revokeEnrollmentKey: async (idOrName, o = {}) => {
      const keys = await auth.revokeEnrollmentKey(idOrName);
      const workstations: string[] = [];
      if (o.workstations) {
        for (const k of keys) {
          for (const w of await auth.workstationsEnrolledWith(k)) {
            if (!w.revoked && (await auth.revokeWorkstation(w.id))) {
              onRevoke(w.id);
              workstations.push(w.id);
            }
          }
        }
      }
      return { keys, workstations };
    },
    refusedOps: (limit = 100) => storage.transaction((tx) => tx.listRefused(Math.max(1, Math.min(limit, 10_000))), { readOnly: true }),
    status: async () => {
      const counts = await storage.transaction((tx) => tx.counts(new Date(now()).toISOString()), { readOnly: true });
      return { storage: storage.kind, location: storage.location, ...counts };
    },
    addCadKey: (name) => audited('cad_key.add', name, cad.add(name)),
    listCadKeys: () => cad.list(),
    revokeCadKey: (name) => audited('cad_key.revoke', name, cad.revoke(name)),
    eidoRejections: (limit) => cad.rejections(limit),
  };
}
