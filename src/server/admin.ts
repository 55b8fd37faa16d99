import type { User } from '../shared/contract';
import { Auth, toUser, type EnrollmentKeyInfo, type NewUser } from './auth';
import { cadKeyAdmin } from './eido';
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
  opts: { auth?: Auth; now?: () => number; onRevoke?: (workstationId: string) => void } = {},
): ServerAdmin {
  const now = opts.now ?? Date.now;
  const auth = opts.auth ?? new Auth(storage, { sessionTtlMs: DEFAULT_SESSION_TTL_MS, enrollmentTtlMs: DEFAULT_ENROLLMENT_TTL_MS, now });
  const onRevoke = opts.onRevoke ?? (() => {});
  const cad = cadKeyAdmin(storage, now);
  return {
    addUser: (input) => auth.addUser(input),
    createEnrollmentToken: async (name) => (await auth.createEnrollmentToken(name)).token,
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
      const ok = await auth.revokeWorkstation(id);
      if (ok) onRevoke(id);
      return ok;
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
    addCadKey: (name) => cad.add(name),
    listCadKeys: () => cad.list(),
    revokeCadKey: (name) => cad.revoke(name),
    eidoRejections: (limit) => cad.rejections(limit),
  };
}
