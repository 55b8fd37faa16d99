import { EventEmitter } from 'node:events';
import { events, type EventName, type EventPayload } from '../../shared/contract';

/**
 * The events the core pushes to the UI (shared/contract.ts `events`). A transport forwards all
 * of them through onAny, which subscribes to every name the contract lists when it is called:
 * an event added to the contract reaches Electron and the headless host with no list to edit.
 */
export function createEventBus() {
  const emitter = new EventEmitter();
  // Every open console window or bridge socket listens; more than Node's default ten is normal.
  emitter.setMaxListeners(100);
  return {
    emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
      emitter.emit(event, payload);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
    onAny(listener: (event: EventName, payload: unknown) => void): () => void {
      const offs = (Object.keys(events) as EventName[]).map((name) => {
        const forward = (payload: unknown) => listener(name, payload);
        emitter.on(name, forward);
        return () => emitter.off(name, forward);
      });
      return () => offs.forEach((off) => off());
    },
    close(): void {
      emitter.removeAllListeners();
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
