import { useState, type FormEvent } from 'react';
import type { MfaChallenge, User } from '../../shared/contract';
import type { Role } from '../../shared/roles';
import { ROLE_LABELS } from '../logic/status';
import { useSession, useStores } from '../state/context';

export function SignIn() {
  const { session } = useStores();
  const info = useSession((s) => s.info);
  const busy = useSession((s) => s.busy);
  const error = useSession((s) => s.signInError);
  const mfa = useSession((s) => s.mfa);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    void session.getState().signIn(username.trim(), password).then((ok) => ok && setPassword(''));
  };

  if (mfa) {
    return (
      <SecondStep
        mfa={mfa}
        username={username.trim()}
        onSubmit={(code) => void session.getState().signIn(username.trim(), password, code).then((ok) => ok && setPassword(''))}
        onCancel={() => {
          setPassword('');
          session.getState().cancelMfa();
        }}
      />
    );
  }

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

/** The key as a person types it: groups of four. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

/** Two-step sign-in: the code from the authenticator app, or setting one up first. */
function SecondStep({ mfa, username, onSubmit, onCancel }: { mfa: MfaChallenge; username: string; onSubmit: (code: string) => void; onCancel: () => void }) {
  const busy = useSession((s) => s.busy);
  const error = useSession((s) => s.signInError);
  const [code, setCode] = useState('');
  const setup = mfa.mfa === 'setup' ? mfa : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy || !code.trim()) return;
    onSubmit(code.trim());
    setCode('');
  };
  return (
    <main className="signin" aria-labelledby="mfa-title">
      <h1 id="mfa-title">{setup ? 'Set up two-step sign-in' : 'Two-step sign-in'}</h1>
      <p className="muted">Signing in as {username}</p>
      {setup && (
        <section className="mfa-setup" aria-label="Your authenticator app">
          <p>Your account needs a code from an authenticator app on your phone at each sign-in. Open the app and scan this code:</p>
          <img className="mfa-qr" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qrSvg)}`} alt="QR code to add Tandem to your authenticator app" width={200} height={200} />
          <p>
            Or type this key into the app: <code className="mfa-secret" data-testid="mfa-secret">{grouped(setup.secret)}</code>
          </p>
          <p className="muted">The key is shown only now. Then type the 6 digits the app shows.</p>
        </section>
      )}
      <form className="form" onSubmit={submit} aria-describedby={error ? 'mfa-error' : undefined}>
        <label className="field">
          <span>{setup ? 'Code from the app' : 'Code from your authenticator app'}</span>
          <input
            autoFocus
            autoComplete="one-time-code"
            inputMode={setup ? 'numeric' : 'text'}
            maxLength={40}
            value={code}
            aria-invalid={error ? true : undefined}
            onChange={(e) => setCode(e.target.value)}
          />
        </label>
        {!setup && <p className="muted">Lost your phone? Type one of your recovery codes instead, or ask an administrator to reset two-step sign-in.</p>}
        {error && (
          <p id="mfa-error" className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !code.trim()}>
            {busy ? 'Checking…' : setup ? 'Confirm and sign in' : 'Sign in'}
          </button>
          <button type="button" className="btn" disabled={busy} onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </main>
  );
}

/** Once, after setting up two-step sign-in: the recovery codes, until the person has kept them. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  const { session } = useStores();
  return (
    <main className="signin" aria-labelledby="recovery-title">
      <h1 id="recovery-title">Keep your recovery codes</h1>
      <p>Two-step sign-in is set up. If you lose your phone, each of these codes signs you in once in place of a code from the app.</p>
      <p>
        <strong>They are not shown again.</strong> Write them down and keep them somewhere safe, away from this workstation.
      </p>
      <ol className="recovery-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <button type="button" className="btn btn-primary" autoFocus onClick={() => session.getState().keptRecoveryCodes()}>
        I have kept them: continue
      </button>
    </main>
  );
}
