import type { Role } from '../../../../shared/roles';
import type { ReadHandle, WriteHandle } from '../handles';

/** Users who signed in here online, kept (with an argon2 verifier) so that they can sign in again offline. */
export interface CachedUser {
  username: string;
  id: string;
  name: string;
  role: Role;
  directLine: string | null;
  passwordHash: string;
  updatedAt: string;
}

export function rememberUser(w: WriteHandle, u: CachedUser): void {
  w.writer<[string, string, string, string, string | null, string, string]>(
    `INSERT INTO user_cache(username, id, name, role, directLine, passwordHash, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(username) DO UPDATE SET id = excluded.id, name = excluded.name, role = excluded.role,
       directLine = excluded.directLine, passwordHash = excluded.passwordHash, updatedAt = excluded.updatedAt`,
  ).run(u.username, u.id, u.name, u.role, u.directLine, u.passwordHash, u.updatedAt);
}

export function cachedUser(r: ReadHandle, username: string): CachedUser | undefined {
  return r
    .statement<[string], CachedUser>('SELECT username, id, name, role, directLine, passwordHash, updatedAt FROM user_cache WHERE username = ?')
    .get(username);
}

/** The name of a user by id, when they have signed in here. */
export function cachedUserName(r: ReadHandle, id: string): string | undefined {
  return r.statement<[string], string>('SELECT name FROM user_cache WHERE id = ?', 'value').get(id);
}

/** Forgets a user's offline verifier (expired, or the server no longer signs them in). */
export function forgetUser(w: WriteHandle, username: string): void {
  w.writer<[string]>('DELETE FROM user_cache WHERE username = ?').run(username);
}
