import { z } from 'zod';
import { RpcErrorShape } from './contract';

/**
 * The headless host's bridge: the same requests and events as Electron's IPC, carried over
 * a WebSocket on 127.0.0.1. The page learns the per-launch token from its URL
 * (`?token=…`); the host refuses any socket without it.
 */
export const BRIDGE_PATH = '/bridge';

export const BridgeCall = z.object({ t: z.literal('call'), id: z.number().int(), name: z.string(), input: z.unknown() });
export type BridgeCall = z.infer<typeof BridgeCall>;

export const BridgeReply = z.discriminatedUnion('t', [
  z.object({ t: z.literal('result'), id: z.number().int(), value: z.unknown() }),
  z.object({ t: z.literal('error'), id: z.number().int(), error: RpcErrorShape }),
  z.object({ t: z.literal('event'), name: z.string(), payload: z.unknown() }),
]);
export type BridgeReply = z.infer<typeof BridgeReply>;

/** What Electron's preload exposes on `window.tandem`. */
export interface PreloadApi {
  call(name: string, input: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: RpcErrorShape }>;
  on(listener: (name: string, payload: unknown) => void): () => void;
}
