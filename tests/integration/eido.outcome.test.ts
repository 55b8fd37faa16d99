import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core, CoreConfig } from '../../src/main/core';
import type { Handoff, Incident } from '../../src/shared/entities';
import { eidoIncidentRowId, parseEido } from '../../src/shared/eido';
import { mentalHealthIncident, type Json } from '../unit/eido.fixtures';
import { hasOpenssl, makeCa } from '../helpers/private-ca';
import { tempDir } from '../helpers/tmp';

/**
 * Back to CAD: when the clinician completes a handoff on a CAD incident, the outcome and the
 * shareable summary (never the private notes) go back as an EIDO update, POSTed to the CAD
 * endpoint or written to the outbox; a failed POST falls back to the outbox and is resent.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster | null = null;
let cad: FakeCad | null = null;

afterEach(async () => {
  await cluster?.close();
  await cad?.close();
  cluster = null;
  cad = null;
});

const PRIVATE = 'PRIVATE: history of two attempts, lives with mother, meds: sertraline';
const SUMMARY = 'Caller de-escalated by phone; safety plan agreed; clinician will call back tomorrow.';

interface FakeCad {
  url: string;
  received: { headers: http.IncomingHttpHeaders; body: string }[];
  /** The status the endpoint answers with. */
  status: number;
  close(): Promise<void>;
}

/** A CAD endpoint on 127.0.0.1 that records what it is sent (over https when given a certificate). */
async function startFakeCad(tls?: { cert: string; key: string }): Promise<FakeCad> {
  const received: FakeCad['received'] = [];
  const fake = { received, status: 200 } as FakeCad;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (fake.status >= 200 && fake.status < 300) received.push({ headers: req.headers, body });
      res.writeHead(fake.status, { 'content-type': 'application/json' }).end('{}');
    });
  };
  const server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/cad/eido`;
  fake.close = () => new Promise<void>((r) => server.close(() => r()));
  return fake;
}

/** A server, a dispatcher, a clinician configured with `cadOutcome` (and `sync`, e.g. caFile), and an EIDO incident posted by CAD. */
async function setup(cadOutcome: CoreConfig['cadOutcome'], sync?: Partial<NonNullable<CoreConfig['sync']>>) {
  cluster = await startCluster({ server: { clinicianDirectLine: '+1 555 0100' } });
  await cluster.addUser('dana', 'dispatcher', 'Dana Reyes');
  await cluster.addUser('chris', 'clinician', 'Chris Okafor');
  const dispatcher = await cluster.console('dispatch-1', 'dana');
  const clinician = await cluster.console('clin-1', 'chris', { cadOutcome, sync: sync as CoreConfig['sync'] });
  await until(() => dispatcher.syncStatus().state === 'online' && clinician.syncStatus().state === 'online', 5000, 'online');
  const key = await cluster.server.admin.addCadKey('cad');
  const doc: Json = mentalHealthIncident();
  doc.$id = 'urn:emergency:uid:incidentid:out1:bcf.state.pa.us';
  const res = await fetch(`${cluster.server.url}/eido`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(doc) });
  expect(res.status).toBe(201);
  const incidentId = eidoIncidentRowId(doc.$id);
  await until(() => dispatcher.store.read('incident', incidentId) !== null && clinician.store.read('incident', incidentId) !== null, 2000, 'incident everywhere');
  return { dispatcher, clinician, incidentId, doc };
}

async function conference(dispatcher: Core, clinician: Core, incidentId: string, summary: string | undefined = SUMMARY) {
  const h = (await dispatcher.call('handoff.request', { incidentId, mode: 'live' })) as Handoff;
  await until(() => clinician.store.read<Handoff>('handoff', h.id)?.state === 'ringing', 3000, 'ringing');
  await clinician.call('handoff.accept', { id: h.id });
  await until(() => clinician.store.read<Handoff>('handoff', h.id)?.state === 'accepted', 3000, 'accepted');
  await clinician.call('handoff.complete', { id: h.id, outcome: 'resolved_by_phone', notes: PRIVATE, shareableSummary: summary });
  return h;
}

/** The document CAD gets must be valid EIDO for this incident, carry the summary and the outcome, and nothing private. */
function checkUpdate(text: string, doc: Json) {
  expect(text).not.toContain('sertraline');
  expect(text).not.toContain('PRIVATE');
  const update = parseEido(text);
  expect(update.incidentId).toBe(doc.$id);
  expect(update.type).toEqual({ registryText: 'Behavioral Health', internalCode: '25-A-1', internalText: 'Psychiatric / suicidal, alert' });
  expect(update.dispositions).toEqual([expect.objectContaining({ code: 'resolved_by_phone', description: 'Resolved by phone', category: 'Mental health clinician', primary: true })]);
  expect(update.notes).toHaveLength(1);
  expect(update.notes[0].text).toContain(SUMMARY);
  expect(update.notes[0].text).toContain('Clinician: Chris Okafor');
  const json = JSON.parse(text);
  expect(json.incidentComponent.$id).toBe(doc.incidentComponent.$id);
  expect(json.updatedByAgencyReference.$ref).toBe('state.pa.us');
}

describe('handoff outcome back to CAD', () => {
  it('POSTs the EIDO update to the CAD endpoint: outcome and shareable summary, never the private notes', async () => {
    cad = await startFakeCad();
    const { dispatcher, clinician, incidentId, doc } = await setup({ postUrl: cad.url, authorization: 'Bearer cad-inbound-secret' });
    await conference(dispatcher, clinician, incidentId);
    await until(() => cad!.received.length === 1, 3000, 'CAD received the update');
    expect(cad.received[0].headers['content-type']).toBe('application/json');
    expect(cad.received[0].headers.authorization).toBe('Bearer cad-inbound-secret');
    checkUpdate(cad.received[0].body, doc);
    // The private notes are in the clinician's case, as before.
    expect(clinician.store.db.prepare('SELECT count(*) AS n FROM case_file').get()).toEqual({ n: 1 });
    // Nothing went to an outbox.
    expect(fs.existsSync(path.join(cluster!.dir, 'clin-1', 'cad-outbox'))).toBe(false);
  });

  it('writes <outboxDir>/<incident>-<time>.eido.json when there is no endpoint', async () => {
    const outbox = path.join(await tmpOutbox(), 'outbox');
    const { dispatcher, clinician, incidentId, doc } = await setup({ outboxDir: outbox });
    await conference(dispatcher, clinician, incidentId);
    await clinician.cad.outcome.idle();
    await until(() => fs.existsSync(outbox) && fs.readdirSync(outbox).length === 1, 3000, 'outbox file');
    const [name] = fs.readdirSync(outbox);
    expect(name).toMatch(/^CAD-2021-004411-\d{8}T\d{9}Z\.eido\.json$/);
    checkUpdate(fs.readFileSync(path.join(outbox, name), 'utf8'), doc);
  });

  it('a failed POST falls back to the outbox; the update is resent once CAD is back, and moved to sent/', async () => {
    cad = await startFakeCad();
    cad.status = 503;
    const outbox = path.join(await tmpOutbox(), 'outbox');
    const { dispatcher, clinician, incidentId, doc } = await setup({ postUrl: cad.url, outboxDir: outbox, retryMs: 0 });
    await conference(dispatcher, clinician, incidentId);
    await clinician.cad.outcome.idle();
    await until(() => fs.existsSync(outbox) && fs.readdirSync(outbox).some((f) => f.endsWith('.eido.json')), 3000, 'fell back to the outbox');
    const [name] = fs.readdirSync(outbox).filter((f) => f.endsWith('.eido.json'));
    checkUpdate(fs.readFileSync(path.join(outbox, name), 'utf8'), doc);
    expect(cad.received).toHaveLength(0);

    cad.status = 200;
    expect(await clinician.cad.outcome.retryPending()).toBe(1);
    expect(cad.received).toHaveLength(1);
    checkUpdate(cad.received[0].body, doc);
    expect(fs.existsSync(path.join(outbox, 'sent', name))).toBe(true);
    expect(fs.readdirSync(outbox).filter((f) => f.endsWith('.eido.json'))).toEqual([]);
    expect(await clinician.cad.outcome.retryPending()).toBe(0);
  });

  it('an unreachable endpoint also falls back, to the profile outbox when none is configured', async () => {
    const { dispatcher, clinician, incidentId } = await setup({ postUrl: 'http://127.0.0.1:9/nothing-listens-here', timeoutMs: 2000, retryMs: 0 });
    await conference(dispatcher, clinician, incidentId);
    await clinician.cad.outcome.idle();
    const fallback = path.join(cluster!.dir, 'clin-1', 'cad-outbox');
    await until(() => fs.existsSync(fallback) && fs.readdirSync(fallback).length === 1, 3000, 'profile outbox');
  });

  it.skipIf(!hasOpenssl)("CAD on https with a certificate from the ECC's private CA (caFile) gets the update", async () => {
    const t = tempDir('tandem-cad-ca-');
    try {
      const ca = makeCa(path.join(t.dir, 'ecc'), 'ECC Private Root CA');
      cad = await startFakeCad(ca.issue('cad', 'IP:127.0.0.1'));
      const { dispatcher, clinician, incidentId, doc } = await setup({ postUrl: cad.url, retryMs: 0 }, { ca: ca.cert, caSource: ca.certFile });
      const deliveries: { via: string; postError: string | null }[] = [];
      clinician.cad.outcome.onDelivery((d) => deliveries.push(d));
      await conference(dispatcher, clinician, incidentId);
      await until(() => cad!.received.length === 1, 5000, 'CAD received the update over TLS');
      checkUpdate(cad.received[0].body, doc);
      await clinician.cad.outcome.idle();
      expect(deliveries).toEqual([expect.objectContaining({ via: 'post', postError: null })]);
    } finally {
      t.cleanup();
    }
  });

  it.skipIf(!hasOpenssl)('CAD with a certificate the machine does not trust: the update waits in the outbox, and the reason names the certificate', async () => {
    const t = tempDir('tandem-cad-ca-');
    try {
      const ca = makeCa(path.join(t.dir, 'ecc'), 'ECC Private Root CA');
      const other = makeCa(path.join(t.dir, 'other'), 'Somebody Else CA');
      cad = await startFakeCad(other.issue('cad-other', 'IP:127.0.0.1'));
      const { dispatcher, clinician, incidentId } = await setup({ postUrl: cad.url, retryMs: 0 }, { ca: ca.cert, caSource: ca.certFile });
      const deliveries: { via: string; postError: string | null }[] = [];
      clinician.cad.outcome.onDelivery((d) => deliveries.push(d));
      await conference(dispatcher, clinician, incidentId);
      await until(() => deliveries.length === 1, 5000, 'the delivery settled');
      expect(deliveries[0].via).toBe('outbox');
      expect(deliveries[0].postError).toMatch(
        /^Certificate problem with the CAD endpoint at https:\/\/127\.0\.0\.1:\d+: its certificate "CN=cad-other" issued by "CN=Somebody Else CA" .* is not signed by the CA in .*ca\.pem and the system's trusted CAs \[(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\]$/,
      );
      expect(cad.received).toHaveLength(0);
      const fallback = path.join(cluster!.dir, 'clin-1', 'cad-outbox');
      expect(fs.readdirSync(fallback).filter((f) => f.endsWith('.eido.json'))).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });

  it('sends nothing for a hand-entered incident, and sends the outcome alone when there is no summary', async () => {
    const outbox = path.join(await tmpOutbox(), 'outbox');
    const { dispatcher, clinician, incidentId } = await setup({ outboxDir: outbox });
    const manual = (await dispatcher.call('incident.create', { type: 'Welfare check', location: '1 Main St', notes: 'Neighbor worried, sounds depressed' })) as Incident;
    expect(manual.eligibility).toMatchObject({ eligible: true, exclusions: [] });
    expect(manual.eligibility!.reasons[0]).toMatch(/Incident type is behavioral.*"welfare check" in type/);
    await until(() => clinician.store.read('incident', manual.id) !== null, 2000, 'manual incident on the clinician');
    await conference(dispatcher, clinician, manual.id);
    await clinician.cad.outcome.idle();
    expect(fs.existsSync(outbox)).toBe(false);

    await conference(dispatcher, clinician, incidentId, undefined);
    await clinician.cad.outcome.idle();
    const files = fs.readdirSync(outbox);
    expect(files).toHaveLength(1);
    const text = fs.readFileSync(path.join(outbox, files[0]), 'utf8');
    expect(text).not.toContain('sertraline');
    expect(parseEido(text).dispositions[0].code).toBe('resolved_by_phone');
  });
});

async function tmpOutbox(): Promise<string> {
  return fs.mkdtempSync(path.join(cluster?.dir ?? fs.realpathSync('/tmp'), 'cad-'));
}
