import type { ReactNode } from 'react';
import type { Incident } from '../../shared/entities';
import type { KeyHint } from '../logic/keys';
import type { Tone } from '../logic/tone';

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}

export function Chip({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`chip tone-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** The always-visible strip of keyboard shortcuts for the current screen. */
export function KeyHints({ hints, label }: { hints: readonly KeyHint[]; label: string }) {
  return (
    <footer className="keyhints" aria-label={label}>
      <ul>
        {hints.map((h) => (
          <li key={h.label}>
            {h.keys.map((k, i) => (
              <span key={k}>
                {i > 0 && <span className="keyhint-or">/</span>}
                <Kbd>{k}</Kbd>
              </span>
            ))}{' '}
            <span className="keyhint-label">{h.label}</span>
          </li>
        ))}
      </ul>
    </footer>
  );
}

/** Safety cautions, wherever an incident is shown; `strong` where they must stop the eye (a ringing call). */
export function CautionList({ cautions, strong = false }: { cautions: Incident['cautions']; strong?: boolean }) {
  if (!cautions?.length) return null;
  return (
    <ul className={strong ? 'cautions cautions-strong' : 'cautions'} aria-label="Safety cautions">
      {cautions.map((c, i) => (
        <li key={i}>
          <span aria-hidden>⚠ </span>
          {c.severity && <strong>{c.severity}: </strong>}
          {c.text}
        </li>
      ))}
    </ul>
  );
}
