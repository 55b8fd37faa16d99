import { createStore, type StoreApi } from 'zustand/vanilla';
import { MfaChallenge, type SessionInfo, type SignedIn, type User } from '../../shared/contract';
import type { Role } from '../../shared/roles';
import type { ConsoleClient } from '../client';
import { errorCode, errorDetails, errorMessage } from './errors';

/** Who is signed in at this workstation, and signing in and out. */
export interface SessionState {
  info: SessionInfo | null;
  loading: boolean;
  loadError: string | null;
  busy: boolean;
  signInError: string | null;
  /** The second step the server asks of this sign-in (two-step sign-in), until it is done or abandoned. */
  mfa: MfaChallenge | null;
  /** Recovery codes from setting up two-step sign-in: shown once, until the person says they have kept them. */
  recoveryCodes: string[] | null;
  load(): Promise<void>;
  apply(info: SessionInfo): void;
  signIn(username: string, password: string, code?: string): Promise<boolean>;
  /** Back to username and password (another person, or a typo). */
  cancelMfa(): void;
  /** The recovery codes were written down: on to the console. */
  keptRecoveryCodes(): void;
  demoSignIn(role: Role): Promise<boolean>;
  signOut(): Promise<void>;
  switchRole(role: Role): Promise<void>;
}

export type SessionStore = StoreApi<SessionState>;

export function createSessionStore({ client }: { client: ConsoleClient }): SessionStore {
  return createStore<SessionState>()((set, get) => {
    /** Both ways of signing in end the same: the user in the session, or the reason on the form. */
    async function signInWith(request: () => Promise<SignedIn>): Promise<boolean> {
      set({ busy: true, signInError: null });
      try {
        const { recoveryCodes, ...u } = await request();
        set((s) => ({ busy: false, mfa: null, recoveryCodes: recoveryCodes?.length ? recoveryCodes : null, info: s.info ? { ...s.info, user: u } : s.info }));
        if (!get().info) void get().load();
        return true;
      } catch (err) {
        const challenge = MfaChallenge.safeParse(errorDetails(err));
        if (challenge.success) {
          // Asked for the second step: the question is the form, not an error, unless a code was refused.
          const keep = get().mfa;
          // A setup refused again keeps the key already shown (the server shows the same one).
          set({ busy: false, mfa: challenge.data.mfa === 'setup' || !keep ? challenge.data : keep, signInError: challenge.data.wrong ? errorMessage(err) : null });
        } else set({ busy: false, signInError: errorMessage(err) });
        return false;
      }
    }

    return {
      info: null,
      loading: false,
      loadError: null,
      busy: false,
      signInError: null,
      mfa: null,
      recoveryCodes: null,
      async load() {
        set({ loading: true });
        try {
          const info = await client.call('session.get', {});
          set({ info, loading: false, loadError: null });
        } catch (err) {
          set({ loading: false, loadError: errorMessage(err) });
        }
      },
      apply(info) {
        set({ info, loadError: null });
      },
      signIn(username, password, code) {
        return signInWith(() => client.call('session.signIn', code ? { username, password, code } : { username, password }));
      },
      cancelMfa() {
        set({ mfa: null, signInError: null });
      },
      keptRecoveryCodes() {
        set({ recoveryCodes: null });
      },
      demoSignIn(role) {
        return signInWith(() => client.call('session.demoSignIn', { role }));
      },
      async signOut() {
        set({ busy: true });
        try {
          await client.call('session.signOut', {});
        } catch (err) {
          if (errorCode(err) !== 'unauthenticated') {
            set({ busy: false, signInError: `Could not sign out: ${errorMessage(err)}` });
            return;
          }
        }
        set((s) => ({ busy: false, signInError: null, mfa: null, recoveryCodes: null, info: s.info ? { ...s.info, user: null } : s.info }));
      },
      async switchRole(role) {
        await get().signOut();
        if (get().info?.user) return;
        await get().demoSignIn(role);
      },
    };
  });
}

/** The signed-in user, or null. */
export function currentUser(session: SessionStore): User | null {
  return session.getState().info?.user ?? null;
}

/** Any call can find the session gone (signed out elsewhere, locked): then look again. */
export function recheckSessionOn(session: SessionStore, err: unknown): void {
  if (errorCode(err) === 'unauthenticated') void session.getState().load();
}
