import { createSyncServer, type SyncServer, type SyncServerConfig } from '../../src/server/app';

/**
 * A sync server in its own process, as on a real ECC (the server never shares a process with
 * a console). Started by `startCluster({ serverProcess: true })`; the parent drives its
 * admin calls over IPC.
 */
type Request = { id: number; method: 'addUser' | 'createEnrollmentToken' | 'close'; args: unknown[] };

const config = JSON.parse(process.env.TANDEM_SERVER_CHILD_CONFIG ?? '{}') as SyncServerConfig;
// (no top-level await: the tests run this bundled as CommonJS, tests/helpers/fork-ts.ts)
createSyncServer(config).then(serve, (err: Error) => {
  console.error(err);
  process.exit(1);
});

function serve(server: SyncServer): void {
  process.send!({ t: 'ready', url: server.url, port: server.port });
  process.on('message', (req: Request) => onRequest(server, req));
}

function onRequest(server: SyncServer, req: Request): void {
  const run = async () => {
    if (req.method === 'close') return server.close();
    const admin = server.admin as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    return admin[req.method](...req.args);
  };
  run().then(
    (r) => {
      process.send!({ id: req.id, ok: true, r: r ?? null });
      if (req.method === 'close') process.disconnect();
    },
    (err: Error) => process.send!({ id: req.id, ok: false, message: err.message }),
  );
}
