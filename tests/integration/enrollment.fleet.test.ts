import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncServer, type SyncServer } from '../../src/server/app';
import { createCore, type Core } from '../../src/main/core';
import { loadMachinePolicy, syncConfigFromPolicy, type MachinePolicy } from '../../src/main/electron/machine-policy';
import { hashMachineId } from '../../src/node/machine-id';
import { requestJson } from '../../src/node/trusted-http';
import { HEADER_MACHINE, HEADER_SECRET, HEADER_WORKSTATION } from '../../src/shared/sync/wire';
import { hasOpenssl, makeCa, type Ca } from '../helpers/private-ca';
import { randomKey, tempDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait-for';

/**
 * A fleet as IT deploys it: one policy file pushed to every machine (site enrollment key,
 * the ECC's private CA), each console enrolling itself on first start over TLS, its identity
 * bound to the machine; keys rotated and revoked from the server.
 */
const PASSWORD = 'pw-casey-123';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Site {
  dir: string;
  ca: Ca;
  server: SyncServer;
  /** Writes the policy file as IT pushes it and reads it as a packaged console does. */
  policy(extra: Record<string, unknown>): MachinePolicy;
  /** A console on `machine` with this profile folder, configured from the policy. */
  console(profile: string, machine: string, policy: MachinePolicy, key?: Buffer): Promise<Core>;
  /** What the consoles logged (IT's log). */
  logs: { level: string; message: string; detail?: Record<string, unknown> }[];
}

async function site(): Promise<Site> {
  const t = tempDir('tandem-fleet-');
  cleanups.push(() => t.cleanup());
  const ca = makeCa(path.join(t.dir, 'ca'), 'ECC Fleet Root CA');
  const server = await createSyncServer({ dataDir: path.join(t.dir, 'server'), host: '127.0.0.1', port: 0, tls: ca.issue('sync', 'IP:127.0.0.1'), pingIntervalMs: 0 });
  cleanups.push(() => server.close());
  await server.admin.addUser({ username: 'casey', password: PASSWORD, name: 'Casey', role: 'clinician', directLine: '+1 555 0100' });
  const policyFile = path.join(t.dir, 'etc', 'policy.json');
  const logs: Site['logs'] = [];
  return {
    logs,
    dir: t.dir,
    ca,
    server,
    policy(extra) {
      fs.mkdirSync(path.dirname(policyFile), { recursive: true });
      // As Notepad saves it: UTF-8 with a BOM.
      fs.writeFileSync(policyFile, `\uFEFF${JSON.stringify({ serverUrl: server.url, caFile: ca.certFile, ...extra }, null, 2)}`);
      const result = loadMachinePolicy({
        platform: 'linux',
        env: {},
        packaged: true,
        readFile: (f) => {
          const real = f === '/etc/tandem/policy.json' ? policyFile : f;
          return fs.existsSync(real) ? fs.readFileSync(real) : null;
        },
      });
      if (result.state !== 'configured') throw new Error(`policy not usable: ${JSON.stringify(result)}`);
      return result.policy;
    },
    async console(profile, machine, policy, key = randomKey()) {
      const core = await createCore({
        profileDir: path.join(t.dir, profile),
        key,
        workstationName: policy.workstationName ?? profile,
        sync: syncConfigFromPolicy(policy, (f) => fs.readFileSync(f, 'utf8'), hashMachineId(machine)),
        log: (level, message, detail) => logs.push({ level, message, detail }),
      });
      cleanups.push(() => core.close());
      return core;
    },
  };
}

const signIn = (core: Core) => core.call('session.signIn', { username: 'casey', password: PASSWORD });
const online = (core: Core, what: string) => waitFor(() => core.syncStatus().state === 'online', { timeout: 10_000, what });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: Error) => e.message,
  );

describe.skipIf(!hasOpenssl)('fleet enrollment from a machine policy, over a private CA', () => {
  it('every machine enrolls itself with the one site key, each as its own machine-bound workstation', async () => {
    const s = await site();
    const { key } = await s.server.admin.addEnrollmentKey('dispatch-floor');
    expect(key).toMatch(/^tnd-site-/);
    const policy = s.policy({ enrollmentKey: key });
    const a = await s.console('desk-a', 'machine-a', policy);
    const b = await s.console('desk-b', 'machine-b', policy);
    await signIn(a);
    await signIn(b);
    await online(a, 'A online over TLS');
    await online(b, 'B online over TLS');
    const made = (await a.call('case.create', { person: { name: 'Fleet' }, origin: 'manual', reason: 'fleet' })) as { id: string };
    await waitFor(() => b.store.read('case', made.id) !== null, { timeout: 10_000, what: 'B has the case A made' });

    const list = await s.server.admin.listWorkstations();
    expect(list).toHaveLength(2);
    const [keyInfo] = await s.server.admin.listEnrollmentKeys();
    expect(keyInfo).toMatchObject({ name: 'dispatch-floor', uses: 2, revokedAt: null });
    for (const w of list) expect(w).toMatchObject({ enrollmentKeyId: keyInfo.id, machineBound: true, revoked: false });
    expect(new Set(list.map((w) => w.id)).size).toBe(2);
  });

  it("a profile copied to another machine does not carry the console's identity there", async () => {
    const s = await site();
    const { key } = await s.server.admin.addEnrollmentKey('dispatch-floor');
    const policy = s.policy({ enrollmentKey: key });
    const storeKey = randomKey();
    const a = await s.console('desk-a', 'machine-a', policy, storeKey);
    await signIn(a);
    const original = { id: a.store.metaGet('workstationId')!, secret: a.store.metaGet('workstationSecret')! };
    a.close();
    // The copied credentials, presented from another machine, are refused by the server.
    const stolen = await requestJson(`${s.server.url}/v1/session`, {
      method: 'POST',
      headers: { [HEADER_WORKSTATION]: original.id, [HEADER_SECRET]: original.secret, [HEADER_MACHINE]: hashMachineId('machine-b') },
      body: { username: 'casey', password: PASSWORD },
      trust: { ca: s.ca.cert },
    });
    expect(stolen.status).toBe(401);
    expect(JSON.stringify(stolen.body)).toContain('belongs to another machine');
    // Without the machine header at all, too.
    const bare = await requestJson(`${s.server.url}/v1/session`, { method: 'POST', headers: { [HEADER_WORKSTATION]: original.id, [HEADER_SECRET]: original.secret }, body: { username: 'casey', password: PASSWORD }, trust: { ca: s.ca.cert } });
    expect(bare.status).toBe(401);

    // The roaming profile opens on machine B: the console enrolls B as itself.
    fs.cpSync(path.join(s.dir, 'desk-a'), path.join(s.dir, 'desk-a-roamed'), { recursive: true });
    const roamed = await s.console('desk-a-roamed', 'machine-b', policy, storeKey);
    await signIn(roamed);
    await online(roamed, 'the roamed profile online as machine B');
    expect(roamed.store.metaGet('workstationId')).not.toBe(original.id);
    expect(await s.server.admin.listWorkstations()).toHaveLength(2);
  });

  it('a store copied to another machine is set aside there: the copy never pushes as the same replica, and each machine keeps working', async () => {
    const s = await site();
    const { key } = await s.server.admin.addEnrollmentKey('dispatch-floor');
    const policy = s.policy({ enrollmentKey: key });
    const storeKey = randomKey();
    const a = await s.console('desk-a', 'machine-a', policy, storeKey);
    await signIn(a);
    await online(a, 'A online');
    const first = (await a.call('case.create', { person: { name: 'Before the copy' }, origin: 'manual', reason: 'copy' })) as { id: string };
    await waitFor(() => a.syncStatus().pending === 0, { timeout: 10_000, what: 'A pushed its case' });
    const replicaA = a.store.replicaId;
    // Written after the server has the first case, while A is offline: still only in A's outbox.
    await s.server.close();
    const unpushed = (await a.call('case.create', { person: { name: 'Only on A' }, origin: 'manual', reason: 'copy' })) as { id: string };
    expect(a.syncStatus().pending).toBeGreaterThan(0);
    a.close();

    // The whole store (its key too) copied onto machine B, as a roaming profile or a cloned disk would.
    fs.cpSync(path.join(s.dir, 'desk-a'), path.join(s.dir, 'desk-b'), { recursive: true });
    const restarted = await createSyncServer({ dataDir: path.join(s.dir, 'server'), host: '127.0.0.1', port: s.server.port, tls: s.ca.issue('sync2', 'IP:127.0.0.1'), pingIntervalMs: 0 });
    cleanups.push(() => restarted.close());
    const b = await s.console('desk-b', 'machine-b', policy, storeKey);
    expect(b.store.replicaId).not.toBe(replicaA);
    expect(b.store.pendingCount()).toBe(0);
    const aside = fs.readdirSync(s.dir).filter((f) => f.startsWith('desk-b.from-another-machine-'));
    expect(aside).toHaveLength(1);
    expect(fs.existsSync(path.join(s.dir, aside[0], 'tandem.db'))).toBe(true);
    // IT's log says what happened, where the copy is, and that it held changes the server lacks.
    expect(s.logs).toContainEqual({
      level: 'warn',
      message: expect.stringMatching(/made on another machine .*set aside/),
      detail: { setAside: path.join(s.dir, aside[0]), replica: replicaA, unpushed: expect.any(Number) },
    });
    expect(s.logs.find((l) => l.detail?.setAside)!.detail!.unpushed).toBeGreaterThan(0);
    await signIn(b);
    await online(b, 'B online as itself');
    // B gets what the server has (the first case), never A's unpushed change, and its own work goes through.
    await waitFor(() => b.store.read('case', first.id) !== null, { timeout: 10_000, what: 'B pulled the case A pushed' });
    expect(b.store.read('case', unpushed.id)).toBeNull();
    await b.call('case.create', { person: { name: 'Made on B' }, origin: 'manual', reason: 'copy' });
    await waitFor(() => b.syncStatus().pending === 0, { timeout: 10_000, what: 'B pushed its case' });
    expect(b.syncStatus().refused).toBe(0);

    // A, back on its own machine, is still replica A and pushes what it wrote offline.
    const again = await s.console('desk-a', 'machine-a', policy, storeKey);
    expect(again.store.replicaId).toBe(replicaA);
    await signIn(again);
    await online(again, 'A online again');
    await waitFor(() => again.syncStatus().pending === 0, { timeout: 10_000, what: 'A pushed what it wrote offline' });
    expect(again.syncStatus().refused).toBe(0);
    await waitFor(() => b.store.read('case', unpushed.id) !== null, { timeout: 10_000, what: "B has A's offline case, from A" });
  });

  it('rotation: the old key enrolls through the grace period, then is refused with what IT must do', async () => {
    const s = await site();
    const { key: oldKey } = await s.server.admin.addEnrollmentKey('dispatch-floor');
    const during = await s.server.admin.rotateEnrollmentKey('dispatch-floor', 60 * 60_000);
    expect(during.expiredOld).toBe(1);
    const late = await s.console('desk-late', 'machine-late', s.policy({ enrollmentKey: oldKey }));
    await signIn(late);
    await online(late, 'enrolled with the old key during the grace period');

    const after = await s.server.admin.rotateEnrollmentKey('dispatch-floor', 0);
    const stale = await s.console('desk-stale', 'machine-stale', s.policy({ enrollmentKey: during.key }));
    expect(await failure(signIn(stale))).toMatch(/enrollment key "dispatch-floor" was rotated out at .*push the current key/);
    const fresh = await s.console('desk-fresh', 'machine-fresh', s.policy({ enrollmentKey: after.key }));
    await signIn(fresh);
    await online(fresh, 'enrolled with the current key');
    // Machines enrolled before the rotation carry on.
    await waitFor(() => late.syncStatus().state === 'online', { timeout: 10_000, what: 'the late console still online' });
  });

  it('revocation stops the key at once and, when asked, every workstation it enrolled', async () => {
    const s = await site();
    const { key } = await s.server.admin.addEnrollmentKey('leaked');
    const policy = s.policy({ enrollmentKey: key });
    const a = await s.console('desk-a', 'machine-a', policy);
    await signIn(a);
    await online(a, 'A online');
    const r = await s.server.admin.revokeEnrollmentKey('leaked', { workstations: true });
    expect(r.keys).toHaveLength(1);
    expect(r.workstations).toEqual([a.store.metaGet('workstationId')]);
    const c = await s.console('desk-c', 'machine-c', policy);
    expect(await failure(signIn(c))).toMatch(/enrollment key "leaked" was revoked/);
    const again = await requestJson(`${s.server.url}/v1/enroll`, { method: 'POST', body: { key, name: 'x' }, trust: { ca: s.ca.cert } });
    expect(again.status).toBe(401);
    const unknown = await requestJson(`${s.server.url}/v1/enroll`, { method: 'POST', body: { key: 'tnd-site-guessed', name: 'x' }, trust: { ca: s.ca.cert } });
    expect(unknown.status).toBe(401);
    const both = await requestJson(`${s.server.url}/v1/enroll`, { method: 'POST', body: { key, token: 'also', name: 'x' }, trust: { ca: s.ca.cert } });
    expect(both.status).toBe(400);
  });
});
