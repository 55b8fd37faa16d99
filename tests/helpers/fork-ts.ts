import { fork, type ChildProcess } from 'node:child_process';

/**
 * A TypeScript module in a child Node process with an IPC channel (tsx as the loader). Extra
 * Node flags for the child come from TANDEM_CHILD_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
 * to profile a server or console process under a benchmark.
 */
export function forkTs(module: URL, env: Record<string, string>): ChildProcess {
  return fork(module.pathname, [], {
    execArgv: ['--import', 'tsx', ...(process.env.TANDEM_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
