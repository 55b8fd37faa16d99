import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLES } from '../helpers/cli-bundles';
import { createSyncServer } from '../../src/server/app';
import { eidoIncidentRowId } from '../../src/shared/eido';
import { tempDir } from './server-helpers';
import { SAMPLE_PATH, mentalHealthIncident, sample } from '../unit/eido.fixtures';

/** `npm run server -- cad-key …`, `import-eido …` and `eido-rejected` as a person or a script runs them. */
/** The server's CLI as the global setup bundled it (tests/helpers/cli-bundles.ts), run by this Node. */
const CLI = CLI_BUNDLES.server;
const NODE = process.execPath;
const dir = tempDir();
const data = path.join(dir, 'data');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Asynchronous, so that a server in this process keeps answering while the CLI runs. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [CLI, ...args], {
      cwd: dir,
      env: { ...process.env, TANDEM_SERVER_DATA: data, TANDEM_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

describe('EIDO from the server CLI', { timeout: 180_000 }, () => {
  it('import-eido prints a readable summary of the NENA sample, and JSON with --json', async () => {
    const [plain, json] = await Promise.all([cli(['import-eido', SAMPLE_PATH]), cli(['import-eido', SAMPLE_PATH, '--json'])]);
    expect(plain.err).toBe('');
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('Accepted: EIDO urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us');
    expect(plain.out).toMatch(/Number: +a56e556d871/);
    expect(plain.out).toMatch(/Location: +42 W Cellular Street, Wilmington, DE \[RoutingLocation, civic\]/);
    expect(plain.out).toMatch(/Callback: +8195551212 \(sip:8195551212@osp\.com, tel:8195551212\)/);
    expect(plain.out).toMatch(/Clinician: +no behavioral-health indicators/);

    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out);
    expect(parsed.incident).toMatchObject({
      id: eidoIncidentRowId('urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us'),
      number: 'a56e556d871',
      source: 'eido',
      callbackNumber: '8195551212',
      eidoUpdatedAt: '2021-04-30T18:43:49.439Z',
      eidoRawBytes: fs.statSync(SAMPLE_PATH).size,
    });
    expect(parsed.incident.eidoRaw).toBeUndefined();
    expect(parsed.eido.callback.uris).toEqual(['sip:8195551212@osp.com', 'tel:8195551212']);
    expect(parsed.eligibility).toMatchObject({ eligible: false, reasons: [], exclusions: [] });
  });

  it('shows eligibility reasons and exclusions, with a site rule file', async () => {
    const mh = file('mh.json', JSON.stringify(mentalHealthIncident()));
    const rules = file(
      'rules.json',
      JSON.stringify({ version: 1, include: [{ id: 'dog', reason: 'Dogs are our thing', phrases: ['dog'] }], exclude: [{ id: 'car', reason: 'Cars need police', phrases: ['car'] }] }),
    );
    const [def, site, badRules] = await Promise.all([
      cli(['import-eido', mh]),
      cli(['import-eido', mh, '--rules', rules]),
      cli(['import-eido', mh, '--rules', file('broken-rules.json', '{"version": 2}')]),
    ]);
    expect(def.code).toBe(0);
    expect(def.out).toMatch(/Clinician: +could take this/);
    expect(def.out).toMatch(/^ {4}\+ EMD Protocol 25: .*code 25-A-1/m);
    expect(def.out).toMatch(/Cautions: +low: Dog on premises; high: Subject previously fled on foot/);
    expect(site.code).toBe(0);
    expect(site.out).toMatch(/Clinician: +not for the clinician alone/);
    expect(site.out).toMatch(/^ {4}\+ Dogs are our thing: "dog" in cautions/m);
    expect(site.out).toMatch(/^ {4}− Cars need police: "car" in notes/m);
    expect(badRules.code).toBe(2);
    expect(badRules.err).toMatch(/broken-rules\.json: Invalid eligibility rules/);
  });

  it('exits 1 with every problem of a refused document, 2 for bad usage', async () => {
    const broken = sample();
    delete broken.$id;
    broken.callComponent[0].personReference = [{ $ref: 'nobody' }];
    const [ref, notJson, big, missing, usage, halfPost] = await Promise.all([
      cli(['import-eido', file('broken.json', JSON.stringify(broken))]),
      cli(['import-eido', file('not.json', 'hello'), '--json']),
      cli(['import-eido', file('big.json', Buffer.alloc(1024 * 1024 + 10, 0x20))]),
      cli(['import-eido', path.join(dir, 'no-such-file.json')]),
      cli(['import-eido']),
      cli(['import-eido', SAMPLE_PATH, '--post', 'http://127.0.0.1:1']),
    ]);
    expect(ref.code).toBe(1);
    expect(ref.err.trim().split('\n')).toEqual([
      'Rejected (missing_part): $id: required by EIDO 1.0 but missing (it identifies the incident) (and 1 more problem)',
      '  2 problems: 1 fatal, 1 Tandem could repair',
      '    ✗ $id: required by EIDO 1.0 but missing (it identifies the incident)',
      '    ~ callComponent[0].personReference[0].$ref: points to no $id in this document → reference dropped',
    ]);
    expect(ref.out).toBe('');
    expect(notJson.code).toBe(1);
    expect(JSON.parse(notJson.out)).toEqual({
      rejected: { code: 'not_json', path: null, message: expect.stringMatching(/not valid JSON/), problemCount: 1, problems: [expect.objectContaining({ fatal: true, code: 'not_json' })] },
    });
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/Rejected \(oversize\): document is 1048586 bytes; the limit is 1048576/);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/Cannot read .*no-such-file\.json: ENOENT/);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/Usage: import-eido <file>/);
    expect(halfPost.code).toBe(2);
    expect(halfPost.err).toMatch(/--post and --key go together/);
  });

  it('lists every repair of an accepted document; --strict refuses it; a conveyance event is read document by document', async () => {
    const nearMiss = path.resolve(__dirname, '../fixtures/eido/near-miss.eido.json');
    const conveyance = path.resolve(__dirname, '../fixtures/eido/conveyance.json');
    const [tolerant, strict, json, event] = await Promise.all([
      cli(['import-eido', nearMiss]),
      cli(['import-eido', nearMiss, '--strict']),
      cli(['import-eido', nearMiss, '--json']),
      cli(['import-eido', conveyance]),
    ]);
    expect(tolerant.code).toBe(0);
    expect(tolerant.out).toMatch(/^Accepted with repairs: EIDO urn:emergency:uid:incidentid:7f3c91a2e04:ecc\.cambridge\.example$/m);
    expect(tolerant.out).toMatch(/Location: +212 River St, Cambridge, MA 02139 \[Incident, civic \+ point\]/);
    expect(tolerant.out).toMatch(/^ {2}Repairs: +12 \(the document was read as described\)$/m);
    expect(tolerant.out).toContain('    ~ lastUpdateTimestamp: is not an EIDO 1.0 name (wrong case) (found "lastUpdateTimestamp"; did you mean "lastUpdateTimeStamp"?) → read as "lastUpdateTimeStamp"');
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/^Rejected \(misnamed_key\): lastUpdateTimestamp: .*refused in strict mode; and 11 more problems\)$/m);
    expect(strict.err).toMatch(/12 problems: 0 fatal, 12 Tandem could repair/);
    expect(JSON.parse(json.out).eido.warnings).toHaveLength(12);
    expect(event.code).toBe(1);
    expect(event.out).toMatch(/^Document event\.notification\[0\]: Accepted: EIDO urn:emergency:uid:incidentid:a01:cad-north\.example$/m);
    expect(event.out).toMatch(/^Conveyance event 3c1f0e7a-5b2d-4c8e-9f61-2a7d94b0c512: 3 documents, 2 accepted, 1 refused$/m);
    expect(event.err).toMatch(/^Document event\.notification\[1\]: Rejected \(missing_part\): \$id: /m);
  });

  it('cad-key add prints a key once; list and revoke; import-eido --post sends to a running server', async () => {
    const add = await cli(['cad-key', 'add', 'cad-north']);
    expect(add.code).toBe(0);
    const key = add.out.trim();
    expect(key).toMatch(/^tnd-cad-[A-Za-z0-9_-]{40,}$/);
    expect(add.err).toMatch(/shown once/);
    const again = await cli(['cad-key', 'add', 'cad-north']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
    expect((await cli(['cad-key', 'add', 'bad name!'])).code).not.toBe(0);

    const server = await createSyncServer({ dataDir: data, port: 0, pingIntervalMs: 0 });
    try {
      const posted = await cli(['import-eido', SAMPLE_PATH, '--post', server.url, '--key', key]);
      expect(posted.code).toBe(0);
      expect(posted.err).toMatch(/HTTP 201 .*"applied":true/);
      const resent = await cli(['import-eido', SAMPLE_PATH, '--post', `${server.url}/eido`, '--key', key]);
      expect(resent.code).toBe(0);
      expect(resent.err).toMatch(/HTTP 200 .*"reason":"same"/);
      const wrong = await cli(['import-eido', SAMPLE_PATH, '--post', server.url, '--key', 'tnd-cad-wrong']);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/HTTP 401/);
      const bad = await fetch(`${server.url}/eido`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"nope":' });
      expect(bad.status).toBe(400);
    } finally {
      await server.close();
    }

    const list = await cli(['cad-key', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^cad-north\tcreated \S+\tlast used 20\d\d-/m);
    const rejected = await cli(['eido-rejected']);
    expect(rejected.code).toBe(0);
    expect(rejected.out).toMatch(/^1\t\S+\tcad-north\tnot_json\t8 bytes\tnot valid JSON/m);
    const raw = await cli(['eido-rejected', '--raw', '1']);
    expect(raw.out).toBe('{"nope":');

    const revoke = await cli(['cad-key', 'revoke', 'cad-north']);
    expect(revoke.code).toBe(0);
    expect((await cli(['cad-key', 'list'])).out).toMatch(/^cad-north\t.*\tREVOKED 20/m);
    expect((await cli(['cad-key', 'revoke', 'nobody'])).code).toBe(2);
  });
});
