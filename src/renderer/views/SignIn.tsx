import { useState, type FormEvent } from 'react';
import type { User } from '../../shared/contract';
import type { Role } from '../../shared/roles';
import { ROLE_LABELS } from '../logic/status';
import { useSession, useStores } from '../state/context';

export function SignIn() {
  const { session } = useStores();
  const info = useSession((s) => s.info);
  const busy = useSession((s) => s.busy);
  const error = useSession((s) => s.signInError);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    void session.getState().signIn(username.trim(), password).then((ok) => ok && setPassword(''));
  };

  // One demo button per role, the first demo user of each.
  const demo: User[] = [];
  for (const u of info?.demoUsers ?? []) if (!demo.some((d) => d.role === u.role)) demo.push(u);

  return (
    <main className="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Tandem</h1>
      {info && <p className="muted">Workstation {info.workstation}</p>}
      {info?.demo && demo.length > 0 && (
        <section className="demo-signin" aria-labelledby="demo-title">
          <h2 id="demo-title">Demo: sign in as</h2>
          <div className="demo-buttons">
            {demo.map((u) => (
              <button
                key={u.role}
                type="button"
                className="btn btn-primary"
                disabled={busy}
                onClick={() => void session.getState().demoSignIn(u.role as Role)}
              >
                {ROLE_LABELS[u.role]} <span className="btn-sub">{u.name}</span>
              </button>
            ))}
          </div>
        </section>
      )}
      <form className="form" onSubmit={submit} aria-describedby={error ? 'signin-error' : undefined}>
        <label className="field">
          <span>Username</span>
          <input autoFocus={!info?.demo} autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p id="signin-error" className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || !username.trim() || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
