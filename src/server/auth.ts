import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { User } from '../shared/contract';
import { HEADER_MACHINE, HEADER_SECRET, HEADER_WORKSTATION } from '../shared/sync/wire';
import { ServerError, describeZodIssues } from './errors';
import { hashPassword, newId, randomToken, sameHash, sha256, verifyPassword } from './secrets';
import type { EnrollmentKeyRecord, ServerStorage, SessionRecord, SignInFailureRecord, UserRecord, WorkstationRecord } from './storage/types';
import { Role } from '../shared/roles';
import { DEFAULT_MFA_POLICY, requireMfa, secondStep, type MfaPolicy } from './mfa';

/**
 * Who is calling: an enrolled workstation (id + secret headers) and, for everything but
 * enrollment and sign-in, a signed-in user (Bearer session token bound to that workstation).
 */
export interface Caller {
  workstation: WorkstationRecord;
  user: User;
  sessionHash: string;
  /** Epoch ms after which the session no longer counts. */
  expiresAt: number;
}

const MachineId = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');
export const EnrollBody = z
  .object({
    /** A one-time token (one machine). */
    token: z.string().min(1).max(200).optional(),
    /** A site enrollment key (a fleet). */
    key: z.string().min(1).max(200).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    machineId: MachineId.optional(),
  })
  .refine((b) => (b.token === undefined) !== (b.key === undefined), { message: 'give either token or key' });

/** A site key as printed: the prefix says what it is when it turns up in a policy file or a ticket. */
const KEY_PREFIX = 'tnd-site-';
export interface EnrollmentKeyInfo {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  uses: number;
  lastUsedAt: string | null;
}
const keyInfo = ({ keyHash: _hash, ...info }: EnrollmentKeyRecord): EnrollmentKeyInfo => info;
export const SessionBody = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
  /** The second step (mfa.ts): 6 digits from the authenticator app, or a recovery code. */
  code: z.string().max(40).optional(),
});

export const NewUser = z.object({
  username: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits and _ . @ - only'),
  password: z.string().min(8, 'at least 8 characters').max(200),
  name: z.string().trim().min(1).max(200),
  role: Role,
  directLine: z.string().trim().max(64).nullable().optional(),
});
export type NewUser = z.input<typeof NewUser>;

export function toUser(u: UserRecord): User {
  return { id: u.id, username: u.username, name: u.name, role: u.role, directLine: u.directLine };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const WRONG_LOGIN = 'Wrong username or password';

/**
 * Backoff then lockout, per username as typed (known or not, so a lockout tells nothing about
 * which usernames exist). Every attempt is counted before its password is checked, so attempts
 * sent in parallel cannot all slip past the count; a right password clears it.
 */
export interface SignInPolicy {
  /** Attempts in a row that may fail before the first wait. Default 5. */
  freeAttempts: number;
  /** The wait after the first failure past the free ones, doubled after each further one. Default 30 s. */
  backoffMs: number;
  /** Longest wait. Default 15 min. */
  maxBackoffMs: number;
  /** After this many failures in a row only an administrator can unlock (`user unlock`). Default 10. */
  lockoutAfter: number;
}

export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = { freeAttempts: 5, backoffMs: 30_000, maxBackoffMs: 15 * 60_000, lockoutAfter: 10 };

/** Why a caller no longer counts, as told to its console. */
const SESSION_GONE = 'Your session is unknown or has ended; sign in again';

export class Auth {
  constructor(
    private readonly storage: ServerStorage,
    private readonly opts: { sessionTtlMs: number; enrollmentTtlMs: number; now: () => number; signIn?: SignInPolicy; mfa?: MfaPolicy },
  ) {}

  private get policy(): SignInPolicy {
    return this.opts.signIn ?? DEFAULT_SIGN_IN_POLICY;
  }

  async addUser(input: NewUser): Promise<User> {
    const parsed = NewUser.safeParse(input);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid user: ${describeZodIssues(parsed.error.issues)}`);
    const u = parsed.data;
    const passwordHash = await hashPassword(u.password);
    const rec: UserRecord = {
      id: newId('usr'),
      username: u.username,
      passwordHash,
      role: u.role,
      name: u.name,
      directLine: u.directLine ?? null,
      createdAt: new Date(this.opts.now()).toISOString(),
      disabled: false,
    };
    await this.storage.transaction(async (tx) => {
      if (await tx.getUserByUsername(u.username)) throw new ServerError('conflict', `A user named ${u.username} already exists`);
      await tx.insertUser(rec);
    });
    return toUser(rec);
  }

  /** A one-time enrollment token, shown once; only its hash is kept. */
  async createEnrollmentToken(name?: string, ttlMs = this.opts.enrollmentTtlMs): Promise<{ token: string; expiresAt: string }> {
    const token = `tnd-enr-${randomToken()}`;
    const now = this.opts.now();
    const expiresAt = new Date(now + ttlMs).toISOString();
    await this.storage.transaction((tx) =>
      tx.insertEnrollmentToken({
        tokenHash: sha256(token),
        name: name?.trim() || null,
        createdAt: new Date(now).toISOString(),
        expiresAt,
        usedAt: null,
        workstationId: null,
      }),
    );
    return { token, expiresAt };
  }

  /** A site enrollment key for a fleet's machine policy, shown once; only its hash is kept. */
  async createEnrollmentKey(name: string, opts: { expiresAt?: string | null } = {}): Promise<{ key: string; info: EnrollmentKeyInfo }> {
    const clean = name.trim();
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(clean)) throw new ServerError('bad_request', 'An enrollment key name is 1-100 letters, digits, _ . or -');
    const key = `${KEY_PREFIX}${randomToken()}`;
    const rec: EnrollmentKeyRecord = {
      id: newId('enk'),
      keyHash: sha256(key),
      name: clean,
      createdAt: new Date(this.opts.now()).toISOString(),
      expiresAt: opts.expiresAt ?? null,
      revokedAt: null,
      uses: 0,
      lastUsedAt: null,
    };
    await this.storage.transaction((tx) => tx.insertEnrollmentKey(rec));
    return { key, info: keyInfo(rec) };
  }

  /**
   * A new key under the same name; the old ones keep enrolling for `graceMs` (while the new
   * policy reaches every machine), then stop. Machines already enrolled are not affected.
   */
  async rotateEnrollmentKey(name: string, graceMs: number): Promise<{ key: string; info: EnrollmentKeyInfo; expiredOld: number }> {
    const at = new Date(this.opts.now() + Math.max(0, graceMs)).toISOString();
    const known = await this.storage.transaction((tx) => tx.listEnrollmentKeys(), { readOnly: true });
    if (!known.some((k) => k.name === name && !k.revokedAt)) throw new ServerError('not_found', `No live enrollment key named ${name}; create one with "enrollment-key add ${name}"`);
    const expiredOld = await this.storage.transaction((tx) => tx.expireEnrollmentKeys(name, at));
    const made = await this.createEnrollmentKey(name);
    return { ...made, expiredOld };
  }

  /** Revokes the key(s) with this id or name at once; returns the ids revoked. */
  async revokeEnrollmentKey(idOrName: string): Promise<string[]> {
    return this.storage.transaction((tx) => tx.revokeEnrollmentKeys(idOrName, new Date(this.opts.now()).toISOString()));
  }

  async listEnrollmentKeys(): Promise<EnrollmentKeyInfo[]> {
    return (await this.storage.transaction((tx) => tx.listEnrollmentKeys(), { readOnly: true })).map(keyInfo);
  }

  async workstationsEnrolledWith(keyId: string): Promise<WorkstationRecord[]> {
    return this.storage.transaction((tx) => tx.workstationsEnrolledWith(keyId), { readOnly: true });
  }

  async enroll(body: unknown): Promise<{ workstationId: string; secret: string }> {
    const parsed = EnrollBody.safeParse(body);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid enrollment: ${describeZodIssues(parsed.error.issues)}`);
    const secret = randomToken();
    const workstationId = newId('wst');
    const now = this.opts.now();
    const at = new Date(now).toISOString();
    const machineId = parsed.data.machineId ?? null;
    if (parsed.data.key !== undefined) {
      const keyHash = sha256(parsed.data.key);
      await this.storage.transaction(async (tx) => {
        const key = await tx.getEnrollmentKeyByHash(keyHash);
        if (!key) throw new ServerError('unauthenticated', 'Unknown enrollment key: check enrollmentKey in the machine policy against "enrollment-key list" on the server');
        if (key.revokedAt) throw new ServerError('unauthenticated', `The enrollment key "${key.name}" was revoked at ${key.revokedAt}; IT must push the current key in the machine policy`);
        if (key.expiresAt && Date.parse(key.expiresAt) <= now) {
          throw new ServerError('unauthenticated', `The enrollment key "${key.name}" was rotated out at ${key.expiresAt}; IT must push the current key in the machine policy`);
        }
        await tx.insertWorkstation({
          id: workstationId,
          name: parsed.data.name ?? 'Workstation',
          secretHash: sha256(secret),
          enrolledAt: at,
          revoked: false,
          revokedAt: null,
          enrollmentKeyId: key.id,
          machineId,
        });
        await tx.touchEnrollmentKey(key.id, at);
      });
      return { workstationId, secret };
    }
    const tokenHash = sha256(parsed.data.token!);
    await this.storage.transaction(async (tx) => {
      const token = await tx.getEnrollmentToken(tokenHash);
      if (!token) throw new ServerError('unauthenticated', 'Unknown enrollment token; ask IT for a new one');
      if (token.usedAt) throw new ServerError('unauthenticated', 'This enrollment token has already been used; ask IT for a new one');
      if (Date.parse(token.expiresAt) <= now) {
        throw new ServerError('unauthenticated', `This enrollment token expired at ${token.expiresAt}; ask IT for a new one`);
      }
      await tx.insertWorkstation({
        id: workstationId,
        name: parsed.data.name ?? token.name ?? 'Workstation',
        secretHash: sha256(secret),
        enrolledAt: at,
        revoked: false,
        revokedAt: null,
        enrollmentKeyId: null,
        machineId,
      });
      if (!(await tx.useEnrollmentToken(tokenHash, at, workstationId))) {
        throw new ServerError('unauthenticated', 'This enrollment token has already been used; ask IT for a new one');
      }
    });
    return { workstationId, secret };
  }

  /** The enrolled, unrevoked workstation named by the request's headers, or 401. */
  async workstation(headers: IncomingHttpHeaders): Promise<WorkstationRecord> {
    const id = header(headers, HEADER_WORKSTATION);
    const secret = header(headers, HEADER_SECRET);
    if (!id || !secret) {
      throw new ServerError('unauthenticated', `This workstation is not enrolled (missing ${HEADER_WORKSTATION} / ${HEADER_SECRET})`);
    }
    const ws = await this.storage.transaction((tx) => tx.getWorkstation(id), { readOnly: true });
    if (!ws || !sameHash(ws.secretHash, sha256(secret))) throw new ServerError('unauthenticated', 'This workstation is not enrolled with this server');
    if (ws.revoked) throw new ServerError('unauthenticated', "This workstation's enrollment was revoked; ask IT to enroll it again");
    // An identity enrolled on one machine does not work from another (a copied or roaming profile).
    if (ws.machineId && header(headers, HEADER_MACHINE) !== ws.machineId) {
      throw new ServerError('unauthenticated', "This workstation's identity belongs to another machine (a copied or roaming profile); this machine must enroll itself");
    }
    return ws;
  }

  async signIn(headers: IncomingHttpHeaders, body: unknown): Promise<{ token: string; user: User; expiresAt: string; recoveryCodes?: string[] }> {
    const ws = await this.workstation(headers);
    const parsed = SessionBody.safeParse(body);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid sign-in: ${describeZodIssues(parsed.error.issues)}`);
    const { username, password, code } = parsed.data;
    const { user: rec, prior, counted } = await this.countAttempt(username);
    const ok = await verifyPassword(rec?.passwordHash ?? null, password);
    if (!rec || !ok || rec.disabled) throw new ServerError('unauthenticated', WRONG_LOGIN);
    // The second step, when this user has or must have it (mfa.ts). A wrong code stays counted
    // as a failed sign-in; a right password that is only asked for its code does not.
    const step = await this.storage.transaction(async (tx) => {
      const out = await secondStep(tx, this.mfaPolicy, rec, code, this.opts.now());
      if ('challenge' in out && !out.wrong) {
        const mine = await tx.getSignInFailures(username);
        if (mine && mine.failures === counted.failures && mine.lastFailedAt === counted.lastFailedAt) {
          if (prior) await tx.putSignInFailures(prior);
          else await tx.clearSignInFailures(username);
        }
      }
      return out;
    });
    if ('challenge' in step) {
      const ask = step.challenge.mfa === 'setup' ? 'Set up two-step sign-in: scan the QR code with your authenticator app, then type the 6-digit code it shows' : 'Type the 6-digit code from your authenticator app';
      throw new ServerError('unauthenticated', step.wrong ?? ask, { ...step.challenge, wrong: step.wrong !== null });
    }
    const token = `tnd-ses-${randomToken()}`;
    const now = this.opts.now();
    const expiresAt = new Date(now + this.opts.sessionTtlMs).toISOString();
    await this.storage.transaction(async (tx) => {
      await tx.clearSignInFailures(username);
      await tx.deleteExpiredSessions(new Date(now).toISOString());
      await tx.insertSession({
        tokenHash: sha256(token),
        userId: rec.id,
        workstationId: ws.id,
        createdAt: new Date(now).toISOString(),
        expiresAt,
      });
    });
    return step.recoveryCodes.length ? { token, user: toUser(rec), expiresAt, recoveryCodes: step.recoveryCodes } : { token, user: toUser(rec), expiresAt };
  }

  private get mfaPolicy(): MfaPolicy {
    return this.opts.mfa ?? DEFAULT_MFA_POLICY;
  }

  /**
   * `user reset-mfa`: forgets the user's secret and recovery codes (a lost phone); the next
   * sign-in sets up again if the site requires it. Null when there is no such user.
   */
  async resetMfa(username: string): Promise<{ user: User; had: boolean } | null> {
    return this.storage.transaction(async (tx) => {
      const u = await tx.getUserByUsername(username);
      if (!u) return null;
      const rec = await tx.getMfa(u.id);
      const had = !!rec?.secret;
      if (rec) await tx.putMfa({ ...rec, secret: null, pendingSecret: null, lastStep: null, recovery: [], enrolledAt: null });
      await tx.deleteSessionsOfUser(u.id);
      await tx.clearSignInFailures(username);
      return { user: toUser(u), had };
    });
  }

  /** `user require-mfa` / `user no-require-mfa`: whether this user must use two-step sign-in whatever the role policy. */
  async setMfaRequired(username: string, required: boolean): Promise<User | null> {
    return this.storage.transaction(async (tx) => {
      const u = await tx.getUserByUsername(username);
      if (!u) return null;
      await requireMfa(tx, u.id, required);
      return toUser(u);
    });
  }

  /**
   * Refuses the attempt (429) while the username is in backoff or locked out; otherwise counts
   * it as a failure before the password is checked (a right password clears the count) and
   * returns the user it names, if any.
   */
  private countAttempt(username: string): Promise<{ user: UserRecord | null; prior: SignInFailureRecord | null; counted: SignInFailureRecord }> {
    const p = this.policy;
    const now = this.opts.now();
    return this.storage.transaction(async (tx) => {
      const prior = await tx.getSignInFailures(username);
      if (prior?.locked) {
        throw new ServerError(
          'rate_limited',
          `Locked after ${prior.failures} failed sign-ins in a row; an administrator must unlock it (npm run server -- user unlock ${username})`,
        );
      }
      const until = prior?.lockedUntil ? Date.parse(prior.lockedUntil) : 0;
      if (until > now) {
        const retryAfterMs = until - now;
        throw new ServerError('rate_limited', `Too many failed sign-ins; try again in ${Math.ceil(retryAfterMs / 1000)} s`, { retryAfterMs });
      }
      const failures = (prior?.failures ?? 0) + 1;
      // The free attempts' last failure starts the first wait; each failure after it doubles it.
      const past = failures - p.freeAttempts;
      const wait = past >= 0 ? Math.min(p.maxBackoffMs, p.backoffMs * 2 ** Math.min(past, 30)) : 0;
      const counted = {
        username,
        failures,
        lastFailedAt: new Date(now).toISOString(),
        lockedUntil: wait ? new Date(now + wait).toISOString() : null,
        locked: failures >= p.lockoutAfter,
      };
      await tx.putSignInFailures(counted);
      return { user: await tx.getUserByUsername(username), prior, counted };
    });
  }

  /** Workstation headers plus `authorization: Bearer <session>`; 401 otherwise. */
  async authenticate(headers: IncomingHttpHeaders): Promise<Caller> {
    const ws = await this.workstation(headers);
    const auth = header(headers, 'authorization');
    const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
    if (!m) throw new ServerError('unauthenticated', 'Sign in first (missing session token)');
    return this.session(ws, sha256(m[1]));
  }

  /**
   * The caller as storage has it now: since its socket opened, the session may have ended or
   * expired, its user been removed or disabled, or given another role, its workstation been
   * revoked. A 401 when it no longer counts.
   */
  async recheck(caller: Caller): Promise<Caller> {
    const [one] = await this.recheckAll([caller]);
    if (one instanceof ServerError) throw one;
    return one;
  }

  /** `recheck` for many callers in one read (the open sockets, every revocation sweep). */
  recheckAll(callers: readonly Caller[]): Promise<(Caller | ServerError)[]> {
    const now = this.opts.now();
    return this.storage.transaction(
      async (tx) => {
        const out: (Caller | ServerError)[] = [];
        for (const c of callers) {
          const ws = await tx.getWorkstation(c.workstation.id);
          if (!ws || ws.revoked) {
            out.push(new ServerError('unauthenticated', "This workstation's enrollment was revoked; ask IT to enroll it again"));
            continue;
          }
          const session = await tx.getSession(c.sessionHash);
          out.push(this.check(ws, c.sessionHash, session, session ? await tx.getUser(session.userId) : null, now));
        }
        return out;
      },
      { readOnly: true },
    );
  }

  private async session(ws: WorkstationRecord, sessionHash: string): Promise<Caller> {
    const now = this.opts.now();
    const found = await this.storage.transaction(
      async (tx) => {
        const session = await tx.getSession(sessionHash);
        return { session, user: session ? await tx.getUser(session.userId) : null };
      },
      { readOnly: true },
    );
    const c = this.check(ws, sessionHash, found.session, found.user, now);
    if (c instanceof ServerError) throw c;
    return c;
  }

  private check(ws: WorkstationRecord, sessionHash: string, session: SessionRecord | null, user: UserRecord | null, now: number): Caller | ServerError {
    if (!session || session.workstationId !== ws.id) return new ServerError('unauthenticated', SESSION_GONE);
    // A session outliving its user (removed, or disabled) signs nobody in.
    if (!user || user.disabled) return new ServerError('unauthenticated', 'The user of this session no longer exists or is disabled; sign in again');
    const expiresAt = Date.parse(session.expiresAt);
    if (expiresAt <= now) return new ServerError('unauthenticated', 'Your session has expired; sign in again');
    return { workstation: ws, user: toUser(user), sessionHash, expiresAt };
  }

  /** Disables (ending every session of) or enables a user; null when there is no such user. */
  async setDisabled(username: string, disabled: boolean): Promise<User | null> {
    return this.storage.transaction(async (tx) => {
      const u = await tx.getUserByUsername(username);
      if (!u) return null;
      await tx.setUserDisabled(u.id, disabled);
      if (disabled) await tx.deleteSessionsOfUser(u.id);
      else await tx.clearSignInFailures(username);
      return toUser({ ...u, disabled });
    });
  }

  /** A new password: every session of the user ends and any lockout is lifted. Null when there is no such user. */
  async resetPassword(username: string, password: string): Promise<User | null> {
    const parsed = NewUser.shape.password.safeParse(password);
    if (!parsed.success) throw new ServerError('bad_request', `Invalid password: ${describeZodIssues(parsed.error.issues)}`);
    const hash = await hashPassword(parsed.data);
    return this.storage.transaction(async (tx) => {
      const u = await tx.getUserByUsername(username);
      if (!u) return null;
      await tx.setUserPasswordHash(u.id, hash);
      await tx.deleteSessionsOfUser(u.id);
      await tx.clearSignInFailures(username);
      return toUser(u);
    });
  }

  /** Lifts a username's backoff or lockout; false when it had none. */
  unlock(username: string): Promise<boolean> {
    return this.storage.transaction((tx) => tx.clearSignInFailures(username));
  }

  async revokeWorkstation(id: string): Promise<boolean> {
    const at = new Date(this.opts.now()).toISOString();
    return this.storage.transaction(async (tx) => {
      const ok = await tx.revokeWorkstation(id, at);
      if (ok) await tx.deleteSessionsOfWorkstation(id);
      return ok;
    });
  }
}
