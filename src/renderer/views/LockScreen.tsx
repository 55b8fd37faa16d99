import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CoreClient } from '../../shared/contract';
import { useData } from '../state/context';
import { errorMessage } from '../state/errors';

/**
 * The console locks after the site's inactivity time (at most 30 minutes). The core keeps that
 * time and locks itself (it refuses everything but unlocking while locked; the screen underneath
 * — and every draft — stays); the window tells it, at most every 15 s, that someone is there.
 * The window's own timer only locks sooner when it sees the idle time pass first.
 */
export function useIdleLock(client: CoreClient, minutes: number, active: boolean): void {
  useEffect(() => {
    if (!active || minutes <= 0) return;
    let last = Date.now();
    let lastSent = 0;
    const touch = () => {
      last = Date.now();
      if (last - lastSent < 15_000) return;
      lastSent = last;
      void client.call('session.activity', {}).catch(() => undefined);
    };
    const events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
    for (const e of events) window.addEventListener(e, touch, { passive: true });
    const timer = window.setInterval(() => {
      if (Date.now() - last >= minutes * 60_000) void client.call('session.lock', {}).catch(() => undefined);
    }, 15_000);
    return () => {
      window.clearInterval(timer);
      for (const e of events) window.removeEventListener(e, touch);
    };
  }, [client, minutes, active]);
}

export function LockScreen({ client, name }: { client: CoreClient; name: string }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const ringing = useData((s) => Object.values(s.handoffs).some((h) => h.state === 'ringing'));
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.call('session.unlock', { password });
      setPassword('');
    } catch (err) {
      setError(errorMessage(err));
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="lock-screen" role="dialog" aria-modal="true" aria-labelledby="lock-title">
      <form className="lock-form" onSubmit={(e) => void submit(e)}>
        <h1 id="lock-title">Console locked</h1>
        {ringing && (
          <p className="notice tone-warn" role="alert">
            <strong>A live call is ringing — unlock to answer it.</strong>
          </p>
        )}
        <p className="muted">Locked after inactivity. {name}, enter your password to go on; nothing you typed is lost.</p>
        <label className="field">
          <span>Password</span>
          <input ref={input} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || !password}>
          Unlock
        </button>
        <button type="button" className="btn" onClick={() => void client.call('session.signOut', {})}>
          Sign out instead
        </button>
      </form>
    </div>
  );
}
