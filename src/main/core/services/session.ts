import { hash, verify } from '@node-rs/argon2';
import { MfaChallenge, RpcError, type SignedIn, type User } from '../../../shared/contract';
import type { Role } from '../../../shared/roles';
import { replicaScope } from '../../../shared/entities';
import type { ReplicaStore } from '../store/replica';
import { cachedUser, forgetUser, rememberUser } from '../store/queries/users';
import type { SyncClient } from '../sync/client';

/**
 * The people of the embedded demo. The demo host creates the same accounts on its
 * in-process sync server, with DEMO_PASSWORD.
 */
export const DEMO_PASSWORD = 'tandem-demo';

/** Console unlock and offline sign-in: wrong passwords before the first wait, and before a lockout. */
export const LOCAL_FREE_ATTEMPTS = 5;
export const LOCAL_LOCKOUT_AFTER = 10;
export const DEMO_USERS: User[] = [
  { id: 'u-dana', username: 'dana', name: 'Dana Reyes', role: 'dispatcher', directLine: null },
  { id: 'u-chris', username: 'chris', name: 'Chris Okafor', role: 'clinician', directLine: '+1 555 0142' },
  { id: 'u-sam', username: 'sam', name: 'Sam Patel', role: 'clinician', directLine: '+1 555 0143' },
  { id: 'u-morgan', username: 'morgan', name: 'Morgan Lee', role: 'supervisor', directLine: null },
  { id: 'u-pat', username: 'pat', name: 'Pat Moreau', role: 'program_manager', directLine: null },
];

export interface SessionDeps {
  store: ReplicaStore;
  sync: SyncClient | null;
  demo: boolean;
  /** The core's clock. */
  now: () => Date;
  /** Days an offline verifier stays good after its last online sign-in. Default 14. */
  offlineSignInDays?: number;
}

/**
 * Signing in. With a sync server the server checks the password; a successful sign-in
 * leaves an argon2 verifier (and the session token) in the encrypted store so the same
 * person can sign in again while the server is unreachable — the caseload never waits on it.
 */
export function sessionService(deps: SessionDeps) {
  let current: { user: User; token: string | null } | null = null;
  let locked = false;

  function cacheUser(user: User, password: string, token: string): Promise<void> {
    return hash(password).then((passwordHash) => {
      deps.store.writes.transaction(() => {
        rememberUser(deps.store.writes, { ...user, passwordHash, updatedAt: deps.now().toISOString() });
        deps.store.metaSet(`sessionToken:${user.username}`, token);
      });
    });
  }

  /** Signs in from the cached credentials; `why` is the reason the server could not check them. */
  async function signInOffline(username: string, password: string, why: string): Promise<{ user: User; token: string | null }> {
    localGate(username);
    const row = cachedUser(deps.store.reads, username);
    const days = deps.offlineSignInDays ?? 14;
    if (row && deps.now().getTime() - Date.parse(row.updatedAt) > days * 86_400_000) {
      deps.store.writes.transaction(() => forgetUser(deps.store.writes, username));
      throw new RpcError(
        'unauthenticated',
        `Offline sign-in for ${username} expired: it needs an online sign-in at least every ${days} days. Sign in while the sync server can be reached`,
      );
    }
    if (!row || !(await verify(row.passwordHash, password))) {
      localFailed(username);
      // A plain network failure says so; anything IT must fix (a certificate, an enrollment
      // refused) is said as it is.
      if (why.startsWith('Cannot reach the sync server')) throw new RpcError('unauthenticated', 'The sync server cannot be reached, and this username and password have not signed in here before');
      throw new RpcError('unauthenticated', `${why.replace(/\.$/, '')}. This username and password have not signed in here before`);
    }
    localOk(username);
    const user: User = { id: row.id, username, name: row.name, role: row.role, directLine: row.directLine };
    return { user, token: deps.store.metaGet(`sessionToken:${username}`) || null };
  }

  /**
   * Wrong passwords typed on this console (unlock, offline sign-in), per user, kept in the
   * encrypted store so that a restart does not reset them: five free, then a wait that doubles
   * from 30 s, and after ten only a sign-in checked by the server (online) opens it again.
   */
  const key = (username: string) => `localFailures:${username.toLowerCase()}`;
  function localGate(username: string): void {
    const f = JSON.parse(deps.store.metaGet(key(username)) || '{"failures":0,"until":0}') as { failures: number; until: number };
    if (f.failures >= LOCAL_LOCKOUT_AFTER) {
      throw new RpcError('rate_limited', `Locked after ${f.failures} wrong passwords on this console: sign out, and sign in again while the sync server can be reached`);
    }
    const wait = f.until - deps.now().getTime();
    if (wait > 0) throw new RpcError('rate_limited', `Too many wrong passwords; try again in ${Math.ceil(wait / 1000)} s`, { retryAfterMs: wait });
  }
  function localFailed(username: string): void {
    const f = JSON.parse(deps.store.metaGet(key(username)) || '{"failures":0,"until":0}') as { failures: number; until: number };
    const failures = f.failures + 1;
    const past = failures - LOCAL_FREE_ATTEMPTS;
    const until = past >= 0 ? deps.now().getTime() + Math.min(15 * 60_000, 30_000 * 2 ** Math.min(past, 30)) : 0;
    deps.store.metaSet(key(username), JSON.stringify({ failures, until }));
  }
  function localOk(username: string): void {
    if (deps.store.metaGet(key(username))) deps.store.metaSet(key(username), '');
  }

  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  function stopRetry(): void {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
  }
  /** Tries the server again with backoff (up to 30 s) while this offline sign-in lasts; the password is held only until then. */
  function retryOnline(who: { user: User; token: string | null }, password: string, delayMs = 500): void {
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (current !== who || !deps.sync) return;
      deps.sync.signIn(who.user.username, password).then(
        async (session) => {
          if (current !== who) return void deps.sync?.endSession(session.token);
          await cacheUser(session.user, password, session.token);
          who.token = session.token;
          deps.sync?.start({ token: session.token, user: session.user });
        },
        (err) => {
          // Wrong password now (changed on the server): stay offline with what was verified here.
          if (current === who && err instanceof RpcError && err.code === 'unavailable') retryOnline(who, password, Math.min(delayMs * 2, 30_000));
        },
      );
    }, delayMs);
    (retryTimer as { unref?: () => void }).unref?.();
  }

  return {
    current(): User | null {
      return current?.user ?? null;
    },

    /**
     * Signs in; with two-step sign-in the server answers a right password with what it needs
     * (an `unauthenticated` error whose details are an MfaChallenge) and the window asks again
     * with `code`. Offline, the cached password verifier alone signs in (docs/SECURITY.md).
     */
    async signIn(username: string, password: string, code?: string): Promise<SignedIn> {
      if (!deps.sync) {
        const demoUser = deps.demo ? DEMO_USERS.find((u) => u.username === username) : undefined;
        if (!demoUser || password !== DEMO_PASSWORD) throw new RpcError('unauthenticated', 'Wrong username or password');
        current = { user: demoUser, token: null };
        return demoUser;
      }
      stopRetry();
      let recoveryCodes: string[] | undefined;
      try {
        const session = await deps.sync.signIn(username, password, code);
        await cacheUser(session.user, password, session.token);
        // The server checked the password: wrong ones typed here before no longer count.
        localOk(username);
        current = { user: session.user, token: session.token };
        recoveryCodes = session.recoveryCodes;
      } catch (err) {
        // The password was right and the server asks for the second step: nothing to forget.
        if (err instanceof RpcError && MfaChallenge.safeParse(err.details).success) throw err;
        // The server no longer signs these credentials in (wrong, changed, or the user disabled):
        // the offline verifier here must not outlive that.
        if (err instanceof RpcError && err.code === 'unauthenticated') deps.store.writes.transaction(() => forgetUser(deps.store.writes, username));
        if (!(err instanceof RpcError) || err.code !== 'unavailable') throw err;
        current = await signInOffline(username, password, err.message);
        // Signed in offline without a live session (signed out since, or never here with one):
        // sign in on the server once it answers, so that what is done offline still syncs.
        if (!current.token) retryOnline(current, password);
      }
      // What the store holds follows who is signed in (online or offline): issue 13.
      const scope = replicaScope(current!.user.role);
      deps.store.adoptScope(scope);
      // Another person's unpushed changes are parked under her, never pushed under this session;
      // this person's own parked ones come back (and are pushed once the server answers).
      deps.store.beginSession(current!.user.id, scope);
      if (current.token) deps.sync.start({ token: current.token, user: current.user });
      return recoveryCodes ? { ...current.user, recoveryCodes } : current.user;
    },

    async demoSignIn(role: Role): Promise<User> {
      if (!deps.demo) throw new RpcError('forbidden', 'Demo sign-in is only available in the demo profile');
      const demoUser = DEMO_USERS.find((u) => u.role === role);
      if (!demoUser) throw new RpcError('not_found', `No demo ${role}`);
      return this.signIn(demoUser.username, DEMO_PASSWORD);
    },

    isLocked(): boolean {
      return locked && current !== null;
    },

    lock(): void {
      if (current) locked = true;
    },

    /** The signed-in user's own password opens the console again; the session and every draft stay. */
    async unlock(password: string): Promise<void> {
      if (!current) throw new RpcError('unauthenticated', 'No one is signed in');
      const username = current.user.username;
      localGate(username);
      let ok: boolean;
      if (!deps.sync) ok = deps.demo && password === DEMO_PASSWORD;
      else {
        const row = cachedUser(deps.store.reads, username);
        ok = !!row && (await verify(row.passwordHash, password));
      }
      if (!ok) {
        localFailed(username);
        throw new RpcError('unauthenticated', 'Wrong password');
      }
      localOk(username);
      locked = false;
    },

    /**
     * Signs out: the session ends on the server now when it can be reached, else at the next
     * connection, and its token is no longer kept here. Resolves once the server was asked.
     */
    signOut(): Promise<void> {
      const was = current;
      stopRetry();
      locked = false;
      current = null;
      deps.sync?.stop();
      if (!was?.token || !deps.sync) return Promise.resolve();
      deps.store.metaSet(`sessionToken:${was.user.username}`, '');
      return deps.sync.endSession(was.token).then(() => undefined);
    },
  };
}
