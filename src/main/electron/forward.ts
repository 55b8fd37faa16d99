import type { Handoff } from '../../shared/entities';

/**
 * The shell's half of the event channel, kept free of Electron so it can be tested: every
 * event the core emits (all of shared/contract.ts `events`, see core/events.ts) goes to the
 * window as it comes, and a ringing handoff also alerts the desktop.
 */
export const EVENT_CHANNEL = 'tandem:event';

export interface EventSource {
  onAny(listener: (event: string, payload: unknown) => void): () => void;
}

/** The part of Electron's WebContents the shell sends through. */
export interface EventSink {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

export function forwardEvents(core: EventSource, sink: () => EventSink | null, onRinging: (handoff: Handoff) => void): () => void {
  return core.onAny((name, payload) => {
    const target = sink();
    if (target && !target.isDestroyed()) target.send(EVENT_CHANNEL, name, payload);
    // Only a live handoff interrupts: it alone reaches past the window.
    if (name === 'handoff.ringing') onRinging(payload as Handoff);
  });
}
