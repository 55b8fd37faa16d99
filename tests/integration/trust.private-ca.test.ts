import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncServer, type SyncServer } from '../../src/server/app';
import { createCore, type Core } from '../../src/main/core';
import { RpcError } from '../../src/shared/contract';
import { requestJson } from '../../src/node/trusted-http';
import { hasOpenssl, makeCa, type Ca } from '../helpers/private-ca';
import { randomKey, tempDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait-for';

/**
 * An ECC whose sync server has a certificate from its own CA: the console trusts caFile for
 * enrollment, sign-in and the socket alike, and a certificate problem is said as one, naming
 * the certificate, instead of "the sync server cannot be reached".
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverWith(dir: string, tls: { cert: string; key: string }): Promise<SyncServer> {
  const server = await createSyncServer({ dataDir: path.join(dir, 'server'), host: '127.0.0.1', port: 0, tls, pingIntervalMs: 0 });
  cleanups.push(() => server.close());
  await server.admin.addUser({ username: 'casey', password: 'pw-casey-123', name: 'Casey', role: 'clinician', directLine: '+1 555 0100' });
  return server;
}

async function consoleFor(dir: string, name: string, server: SyncServer, trust: { ca?: string; caSource?: string }): Promise<Core> {
  const core = await createCore({
    profileDir: path.join(dir, name),
    key: randomKey(),
    workstationName: name,
    sync: { serverUrl: server.url, enrollmentToken: await server.admin.createEnrollmentToken(name), ...trust },
  });
  cleanups.push(() => core.close());
  return core;
}

async function signInError(core: Core): Promise<RpcError> {
  const err = await core.call('session.signIn', { username: 'casey', password: 'pw-casey-123' }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RpcError);
  return err as RpcError;
}

describe.skipIf(!hasOpenssl)('private CA', () => {
  let t: ReturnType<typeof tempDir>;
  let ca: Ca;
  afterEach(() => t?.cleanup());

  it('enrolls, signs in and syncs over a certificate from the caFile CA', async () => {
    t = tempDir('tandem-ca-');
    ca = makeCa(path.join(t.dir, 'ca'), 'ECC Test Root CA');
    const server = await serverWith(t.dir, ca.issue('sync', 'IP:127.0.0.1'));
    expect(server.url).toMatch(/^https:/);
    const core = await consoleFor(t.dir, 'desk-1', server, { ca: ca.cert, caSource: ca.certFile });
    await core.call('session.signIn', { username: 'casey', password: 'pw-casey-123' });
    await waitFor(() => core.syncStatus().state === 'online', { timeout: 10_000, what: 'the socket online over the private CA' });
    const made = (await core.call('case.create', { person: { name: 'Over TLS' }, origin: 'manual', reason: 'private CA' })) as { id: string };
    await waitFor(() => core.syncStatus().pending === 0, { timeout: 10_000, what: `case ${made.id} pushed` });
    // The public roots still work beside the private CA (the list adds, it does not replace).
    const { trustedCa } = await import('../../src/node/trusted-http');
    expect(trustedCa({ ca: ca.cert })!.length).toBeGreaterThan(100);
  });

  it('without caFile, sign-in says it is a certificate problem and names the certificate', async () => {
    t = tempDir('tandem-ca-');
    ca = makeCa(path.join(t.dir, 'ca'), 'ECC Test Root CA');
    const server = await serverWith(t.dir, ca.issue('sync', 'IP:127.0.0.1'));
    const core = await consoleFor(t.dir, 'desk-2', server, {});
    const err = await signInError(core);
    expect(err.message).toMatch(/^Certificate problem with the sync server at https:\/\/127\.0\.0\.1:\d+/);
    expect(err.message).toContain('"CN=sync" issued by "CN=ECC Test Root CA"');
    expect(err.message).toContain('no caFile is set in the machine policy');
    expect(err.message).not.toMatch(/cannot be reached/i);
    expect(core.store.metaGet('workstationId') ?? null).toBeNull();
  });

  it('with the wrong CA in caFile, names the file it trusted', async () => {
    t = tempDir('tandem-ca-');
    ca = makeCa(path.join(t.dir, 'ca'), 'ECC Test Root CA');
    const other = makeCa(path.join(t.dir, 'other'), 'Someone Else CA');
    const server = await serverWith(t.dir, ca.issue('sync', 'IP:127.0.0.1'));
    const core = await consoleFor(t.dir, 'desk-3', server, { ca: other.cert, caSource: other.certFile });
    const err = await signInError(core);
    expect(err.message).toContain(`is not signed by the CA in ${other.certFile}`);
    expect(err.message).toContain('issued by "CN=ECC Test Root CA"');
  });

  it('a certificate for another host is named as such', async () => {
    t = tempDir('tandem-ca-');
    ca = makeCa(path.join(t.dir, 'ca'), 'ECC Test Root CA');
    const server = await serverWith(t.dir, ca.issue('other-host', 'DNS:other.ecc.example'));
    const core = await consoleFor(t.dir, 'desk-4', server, { ca: ca.cert, caSource: ca.certFile });
    const err = await signInError(core);
    expect(err.message).toContain('is not for the host name 127.0.0.1');
    expect(err.message).toContain('DNS:other.ecc.example');
    expect(err.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('plain requests carry the trust too, and an untrusted server is refused', async () => {
    t = tempDir('tandem-ca-');
    ca = makeCa(path.join(t.dir, 'ca'), 'ECC Test Root CA');
    const server = await serverWith(t.dir, ca.issue('sync', 'IP:127.0.0.1'));
    const ok = await requestJson(`${server.url}/v1/health`, { method: 'GET', trust: { ca: ca.cert } });
    expect(ok).toMatchObject({ status: 200, ok: true, body: { ok: true } });
    await expect(requestJson(`${server.url}/v1/health`, { method: 'GET' })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
