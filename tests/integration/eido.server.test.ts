import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';
import type { Incident } from '../../src/shared/entities';
import { eidoIncidentRowId } from '../../src/shared/eido';
import { SAMPLE_TEXT, mentalHealthIncident, pidfWith, prologue, sample, type Json } from '../unit/eido.fixtures';

/**
 * POST /eido end to end on loopback: a real server, real consoles. The NENA sample and
 * variations of it go in; the incident must be on a dispatcher's console within a second,
 * a repairable document must come through saying what was repaired, every fatal input must
 * be refused precisely (every problem named), kept for review, and leave nothing behind.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster;
let dispatcher: Core;
let clinician: Core;
let key: string;

const SAMPLE_ID = eidoIncidentRowId('urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us');

beforeAll(async () => {
  cluster = await startCluster();
  await cluster.addUser('dana', 'dispatcher', 'Dana Reyes');
  await cluster.addUser('chris', 'clinician', 'Chris Okafor');
  dispatcher = await cluster.console('dispatch-1', 'dana');
  clinician = await cluster.console('clin-1', 'chris');
  await until(() => dispatcher.syncStatus().state === 'online' && clinician.syncStatus().state === 'online', 5000, 'online');
  key = await cluster.server.admin.addCadKey('cad-north');
});
afterAll(() => cluster?.close());

interface Answer {
  status: number;
  body: Json;
}

async function post(body: string | Buffer, headers: Record<string, string> = { authorization: `Bearer ${key}` }, route = '/eido'): Promise<Answer> {
  const res = await fetch(cluster.server.url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const incidentOn = (core: Core, id: string) => core.store.read<Incident>('incident', id);
const cursor = async () => ((await (await fetch(`${cluster.server.url}/v1/health`)).json()) as { cursor: number }).cursor;

function withIncidentId(doc: Json, suffix: string): Json {
  doc.$id = `urn:emergency:uid:incidentid:${suffix}:bcf.state.pa.us`;
  return doc;
}

describe('POST /eido', () => {
  it('takes the NENA sample with a CAD key; it is on the dispatcher console within a second, with its eligibility', async () => {
    const started = performance.now();
    const res = await post(SAMPLE_TEXT);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ applied: true, action: 'created', incidentId: SAMPLE_ID, number: 'a56e556d871' });
    await until(() => incidentOn(dispatcher, SAMPLE_ID) !== null, 1000, 'the incident on the dispatcher console');
    const latency = performance.now() - started;
    console.log(`POST /eido → dispatcher console: ${latency.toFixed(1)} ms`);

    const i = incidentOn(dispatcher, SAMPLE_ID)!;
    expect(i).toMatchObject({
      id: SAMPLE_ID,
      number: 'a56e556d871',
      source: 'eido',
      type: 'Emergency call (no incident type from CAD)',
      priority: null,
      status: 'open',
      location: '42 W Cellular Street, Wilmington, DE',
      callbackNumber: '8195551212',
      callerName: null,
      notes: null,
      cautions: null,
      eligibility: { eligible: false, reasons: [], exclusions: [] },
      eidoUpdatedAt: '2021-04-30T18:43:49.439Z',
      createdBy: 'CAD (cad-north)',
    });
    expect(i.eidoRaw).toBe(SAMPLE_TEXT);
    // Shown in the dispatcher's list like any other incident.
    const list = (await dispatcher.call('incident.list', {})) as Incident[];
    expect(list.map((x) => x.id)).toContain(SAMPLE_ID);
    const keys = await cluster.server.admin.listCadKeys();
    expect(keys[0].lastUsedAt).not.toBeNull();
  });

  it('flags a behavioral-health incident with its reasons, on dispatcher and clinician consoles alike', async () => {
    // The same CAD incident as the sample would be the same row: this one is another incident.
    const doc = withIncidentId(mentalHealthIncident(), 'mh1');
    const res = await post(JSON.stringify(doc), { 'x-tandem-cad-key': key }, '/v1/eido');
    expect(res.status).toBe(201);
    const id = res.body.incidentId as string;
    expect(id).toBe(eidoIncidentRowId(doc.$id));
    await until(() => incidentOn(dispatcher, id) !== null && incidentOn(clinician, id) !== null, 1000, 'on both consoles');
    const i = incidentOn(dispatcher, id)!;
    expect(i.number).toBe('CAD-2021-004411');
    expect(i.type).toBe('Behavioral Health — Psychiatric / suicidal, alert (25-A-1)');
    expect(i.priority).toBe('2');
    expect(i.location).toBe('39.74470, -75.54840 ±850 m (Parking lot behind the library)');
    expect(i.callerName).toBe('Dana Whitfield');
    expect(i.notes).toBe(
      '[18:42Z] Caller reports brother is suicidal, locked in his car.\n[18:44Z] Brother says Luis is off his meds, anxiety & panic.',
    );
    expect(i.cautions).toEqual([
      { text: 'Dog on premises', severity: 'low' },
      { text: 'Subject previously fled on foot', severity: 'high' },
    ]);
    expect(i.eligibility?.eligible).toBe(true);
    expect(i.eligibility?.exclusions).toEqual([]);
    expect(i.eligibility?.reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Incident type is behavioral/),
        expect.stringMatching(/^EMD Protocol 25.*code 25-A-1/),
        expect.stringMatching(/^Notes describe a mental-health concern: "suicid\*" in notes/),
      ]),
    );
    expect(res.body.eligibility).toEqual(i.eligibility);
  });

  it('POST-to-console latency stays well under a second (20 incidents, one after another)', async () => {
    const times: number[] = [];
    for (let k = 0; k < 20; k++) {
      const doc = withIncidentId(mentalHealthIncident(), `lat${k}`);
      const id = eidoIncidentRowId(doc.$id);
      const t0 = performance.now();
      expect((await post(JSON.stringify(doc))).status).toBe(201);
      await until(() => incidentOn(dispatcher, id) !== null, 1000, `incident ${k} on the console`);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`POST /eido → dispatcher console over 20: median ${times[10].toFixed(1)} ms, max ${times[19].toFixed(1)} ms`);
    expect(times[19]).toBeLessThan(1000);
  });

  it('shows an exclusion from the run card, and it wins', async () => {
    const doc = withIncidentId(mentalHealthIncident(), 'excl1');
    doc.notesComponent[0].notesActionComments = 'Brother has a knife and is threatening to kill the neighbor.';
    const res = await post(JSON.stringify(doc));
    expect(res.status).toBe(201);
    expect(res.body.eligibility.eligible).toBe(false);
    expect(res.body.eligibility.exclusions).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Weapons involved: "knife" in notes/), expect.stringMatching(/^Violence in progress/)]),
    );
  });

  it('refuses a request without a key, with a wrong key and with a revoked key (401), before reading the body; nothing is stored', async () => {
    const before = await cursor();
    const rejectedBefore = (await cluster.server.admin.eidoRejections(1000)).length;
    const doc = JSON.stringify(withIncidentId(sample(), 'nokey'));
    expect((await post(doc, {})).status).toBe(401);
    expect((await post(doc, { authorization: 'Bearer tnd-cad-not-a-real-key' })).status).toBe(401);
    expect((await post(doc, { 'x-tandem-cad-key': 'nope' })).status).toBe(401);
    const revoked = await cluster.server.admin.addCadKey('cad-old');
    expect(await cluster.server.admin.revokeCadKey('cad-old')).toBe(true);
    const r = await post(doc, { authorization: `Bearer ${revoked}` });
    expect(r).toEqual({ status: 401, body: { code: 'unauthenticated', message: 'The CAD key cad-old was revoked' } });
    expect(await cursor()).toBe(before);
    expect((await cluster.server.admin.eidoRejections(1000)).length).toBe(rejectedBefore);
    await expect(cluster.server.admin.addCadKey('cad-old')).rejects.toThrow(/already exists/);
  });

  describe('fatal input: each class refused precisely, kept for review, nothing half stored, the server carries on', () => {
    const hostile = (inner: string) => {
      const doc = withIncidentId(sample(), 'bad');
      doc.locationComponent[0].locationByValue = inner;
      return JSON.stringify(doc);
    };
    const deepXml = pidfWith(`${'<x>'.repeat(200)}${'</x>'.repeat(200)}`);
    const cases: [string, () => string | Buffer, number, string, string | null][] = [
      ['not JSON', () => '{"$id": "urn:x", ', 400, 'not_json', null],
      ['not UTF-8', () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, 'not_json', null],
      ['empty body', () => '', 400, 'not_json', null],
      ['wrong EIDO version', () => JSON.stringify({ ...withIncidentId(sample(), 'bad'), eidoVersion: '2.0' }), 422, 'wrong_version', 'eidoVersion'],
      [
        'missing part',
        () => {
          const d = withIncidentId(sample(), 'bad');
          delete d.lastUpdateTimeStamp;
          return JSON.stringify(d);
        },
        422,
        'missing_part',
        'lastUpdateTimeStamp',
      ],
      [
        'no incident id',
        () => {
          const d = withIncidentId(sample(), 'bad');
          delete d.$id;
          return JSON.stringify(d);
        },
        422,
        'missing_part',
        '$id',
      ],
      ['hostile XML (billion laughs)', () => hostile('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><lolz>&lol;</lolz>'), 422, 'bad_xml', 'locationComponent[0].locationByValue'],
      ['hostile XML (entity without DOCTYPE)', () => hostile('<!ENTITY x SYSTEM "file:///etc/passwd"><a>&x;</a>'), 422, 'bad_xml', 'locationComponent[0].locationByValue'],
      ['XML nested too deep', () => hostile(deepXml), 422, 'too_deep', 'locationComponent[0].locationByValue'],
      ['JSON nested too deep', () => `${'['.repeat(5000)}${']'.repeat(5000)}`, 422, 'too_deep', null],
      [
        'oversize XML body',
        () => hostile(pidfWith(`<civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"><LOC>${'x'.repeat(70 * 1024)}</LOC></civicAddress>`)),
        413,
        'oversize',
        'locationComponent[0].locationByValue',
      ],
      [
        'no incident at all',
        () => {
          const d = withIncidentId(sample(), 'bad');
          for (const k of ['callComponent', 'locationComponent', 'personComponent']) delete d[k];
          return JSON.stringify(d);
        },
        422,
        'missing_part',
        null,
      ],
      [
        'an update timestamp that cannot be read',
        () => {
          const d = withIncidentId(sample(), 'bad');
          d.lastUpdateTimeStamp = 'yesterday';
          return JSON.stringify(d);
        },
        422,
        'invalid',
        'lastUpdateTimeStamp',
      ],
    ];

    it.each(cases)('%s', async (_name, make, status, code, path) => {
      const before = await cursor();
      const body = make();
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      if (path === null) expect(res.body.path === null || typeof res.body.path === 'string').toBe(true);
      else expect(res.body.path).toBe(path);
      expect(res.body.message).toEqual(expect.any(String));
      if (res.body.path) expect(res.body.message.startsWith(res.body.path)).toBe(true);
      expect(res.body.problemCount).toBe(res.body.problems.length);
      expect(res.body.problems[0]).toMatchObject({ fatal: true, code });
      const [kept] = await cluster.server.admin.eidoRejections(1);
      expect(kept.id).toBe(res.body.reviewId);
      expect(kept).toMatchObject({ code, cadKey: 'cad-north', source: 'http', truncated: false, bytes: Buffer.byteLength(body) });
      expect(Buffer.from(kept.raw).equals(Buffer.from(body))).toBe(true);
      expect(await cursor()).toBe(before);
      expect(incidentOn(dispatcher, eidoIncidentRowId('urn:emergency:uid:incidentid:bad:bcf.state.pa.us'))).toBeNull();
      expect((await fetch(`${cluster.server.url}/v1/health`)).status).toBe(200);
    });

    it('an oversize document: 413 with the reason, the head kept for review, the server carries on', async () => {
      const before = await cursor();
      const doc = withIncidentId(sample(), 'big');
      doc.notesComponent = [{ ...prologue('n-big'), notesActionComments: 'x'.repeat(1024 * 1024) }];
      const body = JSON.stringify(doc);
      const res = await post(body);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 'oversize', message: `document is ${Buffer.byteLength(body)} bytes; the limit is 1048576` });
      const [kept] = await cluster.server.admin.eidoRejections(1);
      expect(kept).toMatchObject({ code: 'oversize', truncated: true, bytes: Buffer.byteLength(body) });
      expect(Buffer.from(kept.raw).equals(Buffer.from(body).subarray(0, 64 * 1024))).toBe(true);
      expect(await cursor()).toBe(before);
      // And the next good document still goes through.
      expect((await post(JSON.stringify(withIncidentId(sample(), 'after-big')))).status).toBe(201);
    });
  });

  describe('repairable input: accepted, and the answer says what was repaired', () => {
    it('a broken reference and an unreadable call start: 201, the incident on the console, every repair listed', async () => {
      const rejectedBefore = (await cluster.server.admin.eidoRejections(1000)).length;
      const doc = withIncidentId(sample(), 'repaired');
      doc.callComponent[0].personReference = [{ $ref: 'nobody-here' }];
      doc.callComponent[0].callStartTimestamp = 'yesterday';
      doc.lastUpdateTimestamp = doc.lastUpdateTimeStamp;
      delete doc.lastUpdateTimeStamp;
      const res = await post(JSON.stringify(doc));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ applied: true, action: 'created', repaired: true, warningCount: 3 });
      expect(res.body.warnings.map((w: Json) => [w.code, w.path])).toEqual([
        ['misnamed_key', 'lastUpdateTimestamp'],
        ['invalid', 'callComponent[0].callStartTimestamp'],
        ['broken_ref', 'callComponent[0].personReference[0].$ref'],
      ]);
      expect(res.body.warnings[0]).toMatchObject({ suggestion: 'did you mean "lastUpdateTimeStamp"?', repair: 'read as "lastUpdateTimeStamp"' });
      const id = eidoIncidentRowId(doc.$id);
      await until(() => incidentOn(dispatcher, id) !== null, 1000, 'the repaired incident on the console');
      expect(incidentOn(dispatcher, id)).toMatchObject({ number: 'repaired', location: '42 W Cellular Street, Wilmington, DE', eidoUpdatedAt: '2021-04-30T18:43:49.439Z' });
      // Accepted documents are not review material.
      expect((await cluster.server.admin.eidoRejections(1000)).length).toBe(rejectedBefore);
    });

    it('a clean document says it needed no repair', async () => {
      const res = await post(JSON.stringify(withIncidentId(sample(), 'clean')));
      expect(res.body).toMatchObject({ repaired: false, warningCount: 0, warnings: [] });
    });

    it('a refusal lists every problem at once, fatal first', async () => {
      const doc = withIncidentId(sample(), 'bad');
      delete doc.$id;
      doc.callComponent[0].direction = 'sideways';
      const res = await post(JSON.stringify(doc));
      expect(res.status).toBe(422);
      expect(res.body.problems.map((p: Json) => [p.fatal, p.code, p.path])).toEqual([
        [true, 'missing_part', '$id'],
        [false, 'invalid', 'callComponent[0].direction'],
      ]);
      expect(res.body.message).toMatch(/\(and 1 more problem\)$/);
    });
  });

  describe('a conveyance event (NENA-STA-024)', () => {
    it('handles each document: the good ones stored, the bad one refused and kept for review; the event is acknowledged', async () => {
      const text = readFileSync(path.resolve(__dirname, '../fixtures/eido/conveyance.json'), 'utf8');
      const event = JSON.parse(text);
      const res = await post(text);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        envelope: 'conveyance',
        transactionId: '3c1f0e7a-5b2d-4c8e-9f61-2a7d94b0c512',
        accepted: 2,
        refused: 1,
        eventResponse: { transactionId: '3c1f0e7a-5b2d-4c8e-9f61-2a7d94b0c512', statusCode: 200, statusText: '1 of 3 EIDO documents refused' },
      });
      expect(res.body.documents.map((d: Json) => [d.document, d.status])).toEqual([
        ['event.notification[0]', 201],
        ['event.notification[1]', 422],
        ['event.notification[2]', 201],
      ]);
      expect(res.body.documents[1]).toMatchObject({ code: 'missing_part', path: '$id', reviewId: expect.any(Number) });
      expect(res.body.documents[2]).toMatchObject({ repaired: true, warningCount: 2 });
      const [kept] = await cluster.server.admin.eidoRejections(1);
      expect(kept.id).toBe(res.body.documents[1].reviewId);
      expect(JSON.parse(Buffer.from(kept.raw).toString('utf8'))).toEqual(event.event.notification[1]);
      for (const n of [0, 2]) {
        const id = eidoIncidentRowId(event.event.notification[n].$id);
        await until(() => incidentOn(dispatcher, id) !== null, 1000, `document ${n} on the console`);
        expect(JSON.parse(incidentOn(dispatcher, id)!.eidoRaw!)).toEqual(event.event.notification[n]);
      }
    });

    it('an event whose every document is refused answers with the refusal status', async () => {
      const res = await post(JSON.stringify({ event: { transactionId: 't-bad', notification: [{ eidoVersion: '2.0' }] } }));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ accepted: 0, refused: 1, eventResponse: { statusCode: 400 } });
    });
  });

  describe('updates', () => {
    it('a newer document updates the same row; an older or equal one is ignored (200, applied: false)', async () => {
      const v1 = withIncidentId(mentalHealthIncident(), 'upd1');
      const id = eidoIncidentRowId(v1.$id);
      expect((await post(JSON.stringify(v1))).status).toBe(201);
      await until(() => incidentOn(dispatcher, id) !== null, 1000, 'v1');
      const createdAt = incidentOn(dispatcher, id)!.createdAt;

      const v2 = structuredClone(v1);
      v2.lastUpdateTimeStamp = '2021-04-30T14:50:00.000-04:00';
      v2.notesComponent.push({ ...prologue('note-3', '2021-04-30T14:49:00.0-04:00'), notesActionComments: 'Brother now calm, talking with caller.' });
      v2.incidentComponent.incidentStatusCommonRegistryText = ['Closed'];
      const r2 = await post(JSON.stringify(v2));
      expect(r2).toMatchObject({ status: 200, body: { applied: true, action: 'updated', incidentId: id } });
      await until(() => incidentOn(dispatcher, id)?.eidoUpdatedAt === '2021-04-30T18:50:00.000Z', 1000, 'v2 on the console');
      const after = incidentOn(dispatcher, id)!;
      expect(after.notes).toMatch(/Brother now calm/);
      expect(after.status).toBe('closed');
      expect(after.createdAt).toBe(createdAt);
      expect(after.eidoRaw).toBe(JSON.stringify(v2));

      const head = await cursor();
      const older = structuredClone(v1);
      older.lastUpdateTimeStamp = '2021-04-30T14:45:00.000-04:00';
      older.notesComponent[0].notesActionComments = 'stale';
      const r3 = await post(JSON.stringify(older));
      expect(r3).toMatchObject({ status: 200, body: { applied: false, action: 'ignored', reason: 'older', incidentId: id } });
      const r4 = await post(JSON.stringify(v2));
      expect(r4).toMatchObject({ status: 200, body: { applied: false, action: 'ignored', reason: 'same' } });
      // The server wrote nothing (its cursor stands), so there is nothing for the console to receive.
      expect(await cursor()).toBe(head);
      expect(incidentOn(dispatcher, id)!.notes).toMatch(/Brother now calm/);
    });

    it('concurrent deliveries of several versions end with the newest, whatever the order', async () => {
      const base = withIncidentId(mentalHealthIncident(), 'race');
      const id = eidoIncidentRowId(base.$id);
      const versions = Array.from({ length: 8 }, (_, k) => {
        const d = structuredClone(base);
        d.lastUpdateTimeStamp = `2021-04-30T15:0${k}:00.000-04:00`;
        d.notesComponent[1].notesActionComments = `version ${k}`;
        return JSON.stringify(d);
      });
      const shuffled = [5, 1, 7, 0, 3, 6, 2, 4].map((k) => versions[k]);
      const answers = await Promise.all(shuffled.map((v) => post(v)));
      expect(answers.every((a) => a.status === 200 || a.status === 201)).toBe(true);
      await until(() => incidentOn(dispatcher, id)?.eidoUpdatedAt === '2021-04-30T19:07:00.000Z', 2000, 'the newest version');
      expect(incidentOn(dispatcher, id)!.notes).toMatch(/version 7/);
      expect(incidentOn(dispatcher, id)!.eidoUpdatedAt).toBe('2021-04-30T19:07:00.000Z');
    });
  });

  it('leaves a hand-edited field alone when CAD does not send it (status), and CAD stays authoritative for what it sends', async () => {
    const v1 = withIncidentId(sample(), 'edit1');
    const id = eidoIncidentRowId(v1.$id);
    await post(JSON.stringify(v1));
    await until(() => incidentOn(dispatcher, id) !== null, 1000, 'v1');
    await dispatcher.call('incident.update', { id, patch: { status: 'closed' } });
    const v2 = structuredClone(v1);
    v2.lastUpdateTimeStamp = '2021-04-30T14:59:00.000-04:00';
    expect((await post(JSON.stringify(v2))).body.action).toBe('updated');
    await until(() => incidentOn(dispatcher, id)?.eidoUpdatedAt === '2021-04-30T18:59:00.000Z', 2000, 'v2');
    expect(incidentOn(dispatcher, id)!.status).toBe('closed');
  });
});
