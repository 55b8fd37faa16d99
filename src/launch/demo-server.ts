import pino from 'pino';
import { createSyncServer } from '../server/app';
import { DEMO_USERS, DEMO_PASSWORD } from '../main/core/services/session';

/** The clinician's direct line the demo tells a dispatcher to call when a handoff cannot go through. */
export const DEMO_DIRECT_LINE = '+1 555 0142';
/** The dispatch floor's number the demo gives a clinician whose console is offline. */
export const DEMO_FLOOR_LINE = '+1 555 0100';

/** An in-process sync server with the demo accounts, for the embedded demo and the e2e tests. */
export async function startDemoServer(dataDir: string, opts: { port?: number; handoffTimeoutMs?: number } = {}) {
  const server = await createSyncServer({
    dataDir,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    clinicianDirectLine: DEMO_DIRECT_LINE,
    handoffTimeoutMs: opts.handoffTimeoutMs,
    // The demo prints its URLs; the server's routine log lines would bury them.
    logger: pino({ level: process.env.TANDEM_LOG_LEVEL ?? 'warn', name: 'tandem-server' }),
  });
  for (const u of DEMO_USERS) {
    try {
      await server.admin.addUser({ username: u.username, password: DEMO_PASSWORD, name: u.name, role: u.role, directLine: u.directLine ?? undefined });
    } catch {
      // Already there from an earlier run of the same demo profile.
    }
  }
  return {
    url: server.url,
    enrollmentToken: (name: string) => server.admin.createEnrollmentToken(name),
    close: () => server.close(),
  };
}
