import { z } from 'zod';
import { requests, RpcError, type RequestName, type RequestInput, type RequestOutput, type User } from '../../shared/contract';
import { may } from '../../shared/roles';

/**
 * The core's one entry point. The caller's role is checked against the request's capability
 * (shared/roles.ts) and its input against the contract before any handler runs, so a handler
 * only ever sees a valid request from someone allowed to make it.
 */
export interface CallContext {
  user: User | null;
  /** A locked console answers only these until its user unlocks it. */
  locked?: boolean;
}

const OPEN_WHILE_LOCKED = new Set<string>(['session.get', 'session.unlock', 'session.signOut', 'sync.status']);

export type Handler<N extends RequestName> = (input: z.infer<(typeof requests)[N]['input']>, ctx: CallContext) => RequestOutput<N> | Promise<RequestOutput<N>>;
export type Handlers = { [N in RequestName]: Handler<N> };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requests, name);
}

export function createRouter(handlers: Handlers) {
  return async function dispatch(name: unknown, rawInput: unknown, ctx: CallContext): Promise<unknown> {
    if (!isRequestName(name)) throw new RpcError('unknown_request', `Unknown request ${JSON.stringify(name)}`);
    const def = requests[name];
    if (def.capability) {
      if (!ctx.user) throw new RpcError('unauthenticated', `Sign in to use ${name}`);
      if (!may(ctx.user.role, def.capability)) throw new RpcError('forbidden', `A ${ctx.user.role} may not use ${name}`);
    }
    if (ctx.locked && !OPEN_WHILE_LOCKED.has(name)) throw new RpcError('unauthenticated', 'The console is locked: enter your password to go on');
    const parsed = def.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      throw new RpcError('bad_request', `Invalid ${name}: ${describeIssues(parsed.error)}`, parsed.error.issues);
    }
    const handler = handlers[name] as (input: unknown, ctx: CallContext) => unknown;
    return await handler(parsed.data, ctx);
  };
}

export type Dispatch = ReturnType<typeof createRouter>;
export type { RequestInput };
