import type { RpcErrorCode } from '../shared/contract';

/**
 * The one error the server's handlers throw. `code` travels on the wire (WireError) and picks
 * the HTTP status; the codes are those of the shared contract's RpcErrorCode (but
 * `unknown_request`, which only the core's router answers) plus `gap`.
 */
export type ServerErrorCode = Exclude<RpcErrorCode, 'unknown_request'> | 'gap';

const STATUS: Record<ServerErrorCode, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gap: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class ServerError extends Error {
  constructor(
    readonly code: ServerErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ServerError';
  }

  get status(): number {
    return STATUS[this.code];
  }

  toWire(): { code: string; message: string; details?: unknown } {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** Any thrown value as a ServerError; unexpected ones become `internal` without leaking internals. */
export function asServerError(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  return new ServerError('internal', 'Internal server error');
}

export function describeZodIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
