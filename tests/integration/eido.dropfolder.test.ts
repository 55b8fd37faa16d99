import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import type { DropResult } from '../../src/main/core/services/cad';
import { recentIncidents } from '../../src/main/core/store/queries/incidents';
import type { Incident } from '../../src/shared/entities';
import { eidoIncidentRowId } from '../../src/shared/eido';
import { randomKey, tempDir } from '../helpers/tmp';
import { until } from '../helpers/cluster';
import { SAMPLE_TEXT, mentalHealthIncident, sample, type Json } from '../unit/eido.fixtures';

/**
 * The console's EIDO drop folder, for sites without a sync server: a standalone core, a real
 * folder, files written the ways CAD exports write them (rename-on-complete, in place, slowly).
 */
let t: ReturnType<typeof tempDir>;
let core: Core | null = null;
let results: DropResult[] = [];

async function start(opts: { settleMs?: number; pollMs?: number; maxFilesPerScan?: number; strict?: boolean } = {}) {
  t = tempDir('tandem-drop-');
  const drop = path.join(t.dir, 'drop');
  core = await createCore({
    profileDir: path.join(t.dir, 'profile'),
    key: randomKey(),
    demo: true,
    workstationName: 'DISP-1',
    eidoDropDir: drop,
    eidoStrict: opts.strict,
    eidoDrop: { pollMs: opts.pollMs ?? 200, settleMs: opts.settleMs ?? 150, maxFilesPerScan: opts.maxFilesPerScan },
  });
  results = [];
  core.cad.dropFolder!.onResult((r) => results.push(r));
  await core.call('session.demoSignIn', { role: 'dispatcher' });
  return { core, drop };
}

afterEach(() => {
  core?.close();
  core = null;
  t?.cleanup();
});

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'eido');
const NEAR_MISS = fs.readFileSync(path.join(FIXTURES, 'near-miss.eido.json'), 'utf8');
const CONVEYANCE = fs.readFileSync(path.join(FIXTURES, 'conveyance.json'), 'utf8');
const read = (c: Core, id: string) => c.store.read<Incident>('incident', id);
const resultFor = (file: string) => results.find((r) => r.file === file);

function withId(doc: Json, suffix: string): Json {
  doc.$id = `urn:emergency:uid:incidentid:${suffix}:bcf.state.pa.us`;
  return doc;
}

/** The rename-on-complete convention: write elsewhere in the folder under a name that is not *.json, then rename. */
function dropAtomically(drop: string, name: string, text: string): void {
  fs.writeFileSync(path.join(drop, `${name}.part`), text);
  fs.renameSync(path.join(drop, `${name}.part`), path.join(drop, name));
}

describe('EIDO drop folder', () => {
  it('takes a dropped document as an incident with its eligibility, and moves the file to processed/', async () => {
    const { core, drop } = await start();
    expect(fs.existsSync(path.join(drop, 'processed'))).toBe(true);
    expect(fs.existsSync(path.join(drop, 'rejected'))).toBe(true);
    const changed: string[][] = [];
    core.on('data.changed', (e) => changed.push(e.entities));
    const doc = withId(mentalHealthIncident(), 'drop1');
    const t0 = Date.now();
    dropAtomically(drop, 'cad-0001.json', JSON.stringify(doc));
    const id = eidoIncidentRowId(doc.$id);
    await until(() => read(core, id) !== null, 3000, 'the incident from the drop folder');
    console.log(`drop folder → incident in the store: ${Date.now() - t0} ms (settle 150 ms)`);
    const i = read(core, id)!;
    expect(i).toMatchObject({ source: 'eido', number: 'CAD-2021-004411', callerName: 'Dana Whitfield', createdBy: 'CAD drop folder (cad-0001.json)' });
    expect(i.eligibility?.eligible).toBe(true);
    expect(i.eligibility?.reasons.length).toBeGreaterThan(0);
    expect(changed.some((e) => e.includes('incident'))).toBe(true);
    await until(() => fs.existsSync(path.join(drop, 'processed', 'cad-0001.json')), 2000, 'moved');
    expect(fs.existsSync(path.join(drop, 'cad-0001.json'))).toBe(false);
    expect(fs.readFileSync(path.join(drop, 'processed', 'cad-0001.json'), 'utf8')).toBe(JSON.stringify(doc));
    const list = (await core.call('incident.list', {})) as Incident[];
    expect(list.map((x) => x.id)).toContain(id);
    // The NENA sample as it is, too.
    dropAtomically(drop, 'nena.json', SAMPLE_TEXT);
    const sampleId = eidoIncidentRowId('urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us');
    await until(() => read(core, sampleId) !== null, 3000, 'the sample');
    expect(read(core, sampleId)!.location).toBe('42 W Cellular Street, Wilmington, DE');
  });

  it('refuses a bad document: moved to rejected/ with a .reason.txt naming the code and path; nothing stored', async () => {
    const { core, drop } = await start();
    // No $id: nothing identifies the incident, so it cannot be repaired (a broken $ref could).
    const bad = withId(sample(), 'bad1');
    delete bad.$id;
    dropAtomically(drop, 'bad-ref.json', JSON.stringify(bad));
    dropAtomically(drop, 'not-json.json', '{"eidoVersion": "1.0",');
    const xxe = withId(sample(), 'bad2');
    xxe.locationComponent[0].locationByValue = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>';
    dropAtomically(drop, 'xxe.json', JSON.stringify(xxe));
    await until(() => ['bad-ref.json', 'not-json.json', 'xxe.json'].every((f) => fs.existsSync(path.join(drop, 'rejected', f))), 3000, 'all three rejected');
    const reason = fs.readFileSync(path.join(drop, 'rejected', 'bad-ref.reason.txt'), 'utf8');
    expect(reason).toMatch(/^Code: {3}missing_part$/m);
    expect(reason).toMatch(/^Path: {3}\$id$/m);
    expect(reason).toMatch(/^Reason: .*it identifies the incident/m);
    expect(fs.readFileSync(path.join(drop, 'rejected', 'not-json.reason.txt'), 'utf8')).toMatch(/Code: {3}not_json/);
    expect(fs.readFileSync(path.join(drop, 'rejected', 'xxe.reason.txt'), 'utf8')).toMatch(/Code: {3}bad_xml/);
    // The raw input is kept exactly as dropped.
    expect(fs.readFileSync(path.join(drop, 'rejected', 'not-json.json'), 'utf8')).toBe('{"eidoVersion": "1.0",');
    expect(recentIncidents(core.store.reads, true)).toEqual([]);
    expect(core.store.pendingCount()).toBe(0);
  });

  it('refuses an oversize file without reading it', async () => {
    const { drop } = await start();
    fs.writeFileSync(path.join(drop, 'huge.json.part'), Buffer.alloc(1024 * 1024 + 1, 0x20));
    fs.renameSync(path.join(drop, 'huge.json.part'), path.join(drop, 'huge.json'));
    await until(() => fs.existsSync(path.join(drop, 'rejected', 'huge.reason.txt')), 3000, 'rejected');
    expect(fs.readFileSync(path.join(drop, 'rejected', 'huge.reason.txt'), 'utf8')).toMatch(/Code: {3}oversize[\s\S]*1048577 bytes/);
  });

  it('waits for a file written in place to settle: a slow writer is read once, whole', async () => {
    const { core, drop } = await start({ settleMs: 400, pollMs: 100 });
    const folder = core.cad.dropFolder!;
    const doc = withId(mentalHealthIncident(), 'slow');
    const text = JSON.stringify(doc);
    const file = path.join(drop, 'slow.json');
    // The clocks the folder measures quiet time on are the test's: a loaded machine cannot
    // stretch a pause past settleMs. Its timers stay real, so it keeps scanning.
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    try {
      const fd = fs.openSync(file, 'w');
      const parts = 8;
      for (let k = 0; k < parts; k++) {
        fs.writeSync(fd, text.slice((k * text.length) / parts, ((k + 1) * text.length) / parts));
        expect(folder.scan()).toEqual([]); // it has seen this part, and waits for the writer
        vi.advanceTimersByTime(120); // a pause shorter than settleMs
      }
      fs.closeSync(fd);
      expect(folder.scan()).toEqual([]); // quiet for 120 ms only
      vi.advanceTimersByTime(400);
      await until(() => resultFor('slow.json') !== undefined, 10_000, 'handled');
    } finally {
      vi.useRealTimers();
    }
    expect(resultFor('slow.json')!.outcome).toBe('accepted');
    expect(read(core, eidoIncidentRowId(doc.$id))).not.toBeNull();
    expect(fs.readdirSync(path.join(drop, 'rejected'))).toEqual([]);
    // A file still being written under a non-.json name is never touched: a document dropped
    // after them is handled, so the folder has been listed since they were written.
    fs.writeFileSync(path.join(drop, 'later.json.part'), text.slice(0, 100));
    fs.writeFileSync(path.join(drop, '.hidden.json'), text.slice(0, 100));
    dropAtomically(drop, 'after.json', JSON.stringify(withId(mentalHealthIncident(), 'after')));
    await until(() => resultFor('after.json') !== undefined, 10_000, 'the document dropped after them');
    expect(fs.existsSync(path.join(drop, 'later.json.part'))).toBe(true);
    expect(fs.existsSync(path.join(drop, '.hidden.json'))).toBe(true);
    expect(results.map((r) => r.file)).toEqual(['slow.json', 'after.json']);
  });

  it('a newer document updates the incident; an older one is ignored (processed, not rejected)', async () => {
    const { core, drop } = await start();
    const v1 = withId(mentalHealthIncident(), 'upd');
    const id = eidoIncidentRowId(v1.$id);
    const v2 = structuredClone(v1);
    v2.lastUpdateTimeStamp = '2021-04-30T15:10:00.000-04:00';
    v2.notesComponent[0].notesActionComments = 'Update: brother is calm now.';
    const old = structuredClone(v1);
    old.lastUpdateTimeStamp = '2021-04-30T14:00:00.000-04:00';
    old.notesComponent[0].notesActionComments = 'stale';

    dropAtomically(drop, 'a-v1.json', JSON.stringify(v1));
    await until(() => resultFor('a-v1.json') !== undefined, 3000, 'v1');
    dropAtomically(drop, 'b-v2.json', JSON.stringify(v2));
    await until(() => resultFor('b-v2.json') !== undefined, 3000, 'v2');
    dropAtomically(drop, 'c-old.json', JSON.stringify(old));
    dropAtomically(drop, 'd-v2-again.json', JSON.stringify(v2));
    await until(() => resultFor('c-old.json') !== undefined && resultFor('d-v2-again.json') !== undefined, 3000, 'old and again');
    expect(results.map((r) => [r.file, r.outcome, r.detail.ok && r.detail.action])).toEqual([
      ['a-v1.json', 'accepted', 'created'],
      ['b-v2.json', 'accepted', 'updated'],
      ['c-old.json', 'ignored', 'ignored'],
      ['d-v2-again.json', 'ignored', 'ignored'],
    ]);
    expect(read(core, id)!.notes).toMatch(/brother is calm now/);
    expect(read(core, id)!.eidoUpdatedAt).toBe('2021-04-30T19:10:00.000Z');
    expect(fs.readdirSync(path.join(drop, 'processed')).sort()).toEqual(['a-v1.json', 'b-v2.json', 'c-old.json', 'd-v2-again.json']);
    // A second file under a name already in processed/ does not overwrite it.
    dropAtomically(drop, 'a-v1.json', JSON.stringify(v1));
    await until(() => fs.existsSync(path.join(drop, 'processed', 'a-v1-1.json')), 3000, 'renamed copy');
  });

  it('handles a burst in bounded scans and stops on core.close()', async () => {
    const { core, drop } = await start({ maxFilesPerScan: 10 });
    const ids: string[] = [];
    for (let k = 0; k < 35; k++) {
      const d = withId(sample(), `burst${k}`);
      ids.push(eidoIncidentRowId(d.$id));
      dropAtomically(drop, `burst-${String(k).padStart(2, '0')}.json`, JSON.stringify(d));
    }
    await until(() => ids.every((id) => read(core, id) !== null), 5000, 'all 35');
    expect(fs.readdirSync(path.join(drop, 'processed'))).toHaveLength(35);

    core.close();
    dropAtomically(drop, 'after-close.json', JSON.stringify(withId(sample(), 'closed')));
    // Every timer and watch event ends in a scan; a closed folder's scan handles nothing.
    expect(core.cad.dropFolder!.scan()).toEqual([]);
    expect(fs.existsSync(path.join(drop, 'after-close.json'))).toBe(true);
  });

  it('takes a near-miss document repaired, with every repair and its "did you mean" in a .repairs.txt beside it', async () => {
    const { core, drop } = await start();
    dropAtomically(drop, 'near.json', NEAR_MISS);
    await until(() => !!resultFor('near.json')?.movedTo, 3000, 'the near miss handled');
    const r = resultFor('near.json')!;
    expect(r.outcome).toBe('accepted');
    expect(r.detail.ok && r.detail.warnings.length).toBeGreaterThan(1);
    const id = r.detail.ok ? r.detail.incidentId : '';
    expect(read(core, id)).toMatchObject({ source: 'eido' });
    const repairs = fs.readFileSync(path.join(drop, 'processed', 'near.repairs.txt'), 'utf8');
    expect(repairs).toMatch(/Document: created as .* with \d+ repairs:/);
    expect(repairs).toMatch(/lastUpdateTimestamp.*did you mean "lastUpdateTimeStamp"/);
    expect(repairs).toMatch(/EIDOVersion.*did you mean "eidoVersion"/);
    // A clean document leaves no .repairs.txt.
    dropAtomically(drop, 'clean.json', JSON.stringify(withId(mentalHealthIncident(), 'clean1')));
    await until(() => !!resultFor('clean.json')?.movedTo, 3000, 'the clean one handled');
    expect(fs.existsSync(path.join(drop, 'processed', 'clean.repairs.txt'))).toBe(false);
  });

  it('with --eido-strict, refuses the same near miss naming every problem at once; nothing stored', async () => {
    const { core, drop } = await start({ strict: true });
    dropAtomically(drop, 'near.json', NEAR_MISS);
    await until(() => fs.existsSync(path.join(drop, 'rejected', 'near.json')), 3000, 'refused');
    const reason = fs.readFileSync(path.join(drop, 'rejected', 'near.reason.txt'), 'utf8');
    const problems = reason.split('\n').filter((l) => l.startsWith('  - '));
    expect(problems.length).toBeGreaterThan(1);
    expect(reason).toMatch(/Document: refused, \d+ problems:/);
    expect(reason).toMatch(/\[repairable\] lastUpdateTimestamp.*did you mean "lastUpdateTimeStamp"/);
    expect(recentIncidents(core.store.reads, true)).toEqual([]);
  });

  it('reads a conveyance event document by document: the good ones taken, the refused one named beside the file', async () => {
    const { core, drop } = await start();
    dropAtomically(drop, 'event.json', CONVEYANCE);
    await until(() => !!resultFor('event.json')?.movedTo, 3000, 'the event handled');
    const r = resultFor('event.json')!;
    expect(r.outcome).toBe('accepted');
    expect(r.documents.map((d) => [d.document, d.ok])).toEqual([
      ['event.notification[0]', true],
      ['event.notification[1]', false],
      ['event.notification[2]', true],
    ]);
    for (const d of r.documents) if (d.ok) expect(read(core, d.incidentId)).not.toBeNull();
    expect(fs.existsSync(path.join(drop, 'processed', 'event.json'))).toBe(true);
    const repairs = fs.readFileSync(path.join(drop, 'processed', 'event.repairs.txt'), 'utf8');
    expect(repairs).toMatch(/Document event\.notification\[1\]: refused, \d+ problems?:\n {2}- \[fatal\] \$id/);
  });
});
