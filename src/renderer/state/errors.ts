import { RpcError } from '../../shared/contract';

/**
 * How the renderer reads any failure: every store and view shows errors through these, so
 * a refused request reads the same wherever it appears.
 */

/**
 * The text to show for a failure of any shape: an RpcError or Error, a bare string, an
 * error that crossed a process boundary as a plain object; `unknownText` for anything else.
 */
export function errorMessage(err: unknown, unknownText?: string): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  if (typeof message === 'string') return message;
  return unknownText ?? String(err);
}

/** The contract's error code ('unauthenticated', 'conflict', …), or null for anything else. */
export function errorCode(err: unknown): string | null {
  return err instanceof RpcError ? err.code : null;
}

/** The structured details the core attached to an RpcError (undefined for anything else). */
export function errorDetails(err: unknown): unknown {
  return err instanceof RpcError ? err.details : undefined;
}

/** One text field of an RpcError's details (the clinician's direct line, who took a call), or null. */
export function errorDetail(err: unknown, key: string): string | null {
  const details = errorDetails(err);
  if (typeof details !== 'object' || details === null) return null;
  const value = (details as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
}
