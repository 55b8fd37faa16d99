import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';

/** Issue 14: a console's sign-out ends its session on the server, at once when online, at the next connection when not. */

type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
afterEach(async () => cluster?.close());

const sessionsOf = async (c: Cluster, username: string) => (await c.server.admin.listSessions()).filter((s) => s.username === username);

describe('console sign-out', () => {
  it('ends the session on the server when online, and forgets its token', async () => {
    cluster = await startCluster();
    await cluster.addUser('chris', 'clinician');
    const a = await cluster.console('ws-a', 'chris');
    await until(() => a.syncStatus().state === 'online', 5000, 'online');
    expect(await sessionsOf(cluster, 'chris')).toHaveLength(1);
    await a.call('session.signOut', {});
    await until(async () => (await sessionsOf(cluster, 'chris')).length === 0, 5000, 'the session to end on the server');
    expect(a.store.metaGet('sessionToken:chris')).toBe('');
  });

  it('ends it at the next connection when signed out offline', async () => {
    cluster = await startCluster();
    await cluster.addUser('sam', 'clinician');
    await cluster.addUser('morgan', 'supervisor');
    const a = await cluster.console('ws-a', 'sam');
    await until(() => a.syncStatus().state === 'online', 5000, 'online');
    await cluster.stopServer();
    await a.call('session.signOut', {});
    await until(() => (a.store.metaGet('pendingSignOuts') ?? '[]') !== '[]', 5000, 'the token kept for later');
    await cluster.restartServer();
    expect(await sessionsOf(cluster, 'sam')).toHaveLength(1);
    // The next person signs in on that console: the server is reached, and the old session ends.
    await a.call('session.signIn', { username: 'morgan', password: 'pw-morgan-123' });
    await until(async () => (await sessionsOf(cluster, 'sam')).length === 0, 5000, "sam's session to end");
    // The console forgets the token once the server's answer is back (just after the server ended it).
    await until(() => a.store.metaGet('pendingSignOuts') === '[]', 5000, 'the pending sign-out to be cleared');
  });

  it('tells the console when the server ends its session, and stops reconnecting with it', async () => {
    cluster = await startCluster();
    await cluster.addUser('dana', 'dispatcher');
    const a = await cluster.console('ws-a', 'dana');
    await until(() => a.syncStatus().state === 'online', 5000, 'online');
    await cluster.server.admin.disableUser('dana');
    await until(() => a.syncStatus().state === 'error', 5000, 'the console to hear it');
    // Disabling ended the user's sessions: the console is told, in words, and holds no socket.
    expect(a.syncStatus().error).toMatch(/The sync server ended this session: Your session is unknown or has ended/);
    expect(cluster.server.connections()).toEqual([]);
  });

  it('offline sign-in expires after the policy days without an online one, and is wiped when the server refuses the user', async () => {
    cluster = await startCluster();
    await cluster.addUser('chris', 'clinician');
    await cluster.addUser('sam', 'clinician');
    let shift = 0;
    const a = await cluster.console('ws-a', 'chris', { now: () => Date.now() + shift, offlineSignInDays: 7 });
    await until(() => a.syncStatus().state === 'online', 5000, 'online');
    await a.call('session.signOut', {});
    await a.call('session.signIn', { username: 'sam', password: 'pw-sam-123' });
    await a.call('session.signOut', {});
    // The server disables Sam; Sam's next sign-in is refused there, and the verifier here goes.
    await cluster.server.admin.disableUser('sam');
    await expect(a.call('session.signIn', { username: 'sam', password: 'pw-sam-123' })).rejects.toMatchObject({ code: 'unauthenticated' });
    await cluster.stopServer();
    await expect(a.call('session.signIn', { username: 'sam', password: 'pw-sam-123' })).rejects.toThrow(/have not signed in here before/);
    // Chris, offline, within seven days: fine. Past them: refused, and the verifier is gone.
    shift = 6 * 86_400_000;
    await a.call('session.signIn', { username: 'chris', password: 'pw-chris-123' });
    await a.call('session.signOut', {});
    shift = 8 * 86_400_000;
    await expect(a.call('session.signIn', { username: 'chris', password: 'pw-chris-123' })).rejects.toThrow(/Offline sign-in for chris expired: it needs an online sign-in at least every 7 days/);
    await expect(a.call('session.signIn', { username: 'chris', password: 'pw-chris-123' })).rejects.toThrow(/have not signed in here before/);
  });
});
