import type { ServerStorage } from './storage/types';

/**
 * GET /v1/health, for a load balancer (and a console checking its server): 200 only when this
 * instance can serve, that is the database answers within `timeoutMs` and is at exactly the
 * schema this server was built for; 503 with the reason otherwise. It names no file or URL
 * (anyone may call it).
 */
export interface HealthReport {
  ok: boolean;
  version: string;
  /** The change log's head, when the database answered. */
  cursor?: number;
  database: { kind: ServerStorage['kind']; reachable: boolean; schema?: number; latest?: number };
  /** Why not ok, in words. */
  message?: string;
}

export const HEALTH_TIMEOUT_MS = 2_000;

/** `onError` gets the cause of an unreachable database (for the log; the answer never carries it). */
export async function checkHealth(
  storage: ServerStorage,
  version: string,
  timeoutMs = HEALTH_TIMEOUT_MS,
  onError: (err: Error) => void = () => undefined,
): Promise<HealthReport> {
  const kind = storage.kind;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const { schema, latest } = await Promise.race([storage.health(), timeout]);
    if (schema !== latest) {
      const why =
        schema > latest
          ? `The database is at schema ${schema}, newer than this server's ${latest}: upgrade this instance`
          : `The database is at schema ${schema}, older than this server's ${latest}: restart this instance to migrate it`;
      return { ok: false, version, database: { kind, reachable: true, schema, latest }, message: why };
    }
    const cursor = await Promise.race([storage.transaction((tx) => tx.getCursor(), { readOnly: true }), timeout]);
    return { ok: true, version, cursor, database: { kind, reachable: true, schema, latest } };
  } catch (err) {
    onError(err as Error);
    const message = (err as Error).message?.startsWith('The database did not answer') ? (err as Error).message : 'The database cannot be reached';
    return { ok: false, version, database: { kind, reachable: false }, message };
  } finally {
    clearTimeout(timer);
  }
}
