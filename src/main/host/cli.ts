import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core';
import { startHost } from './server';
import { hostKey } from './key';

/**
 * One console in a browser, for development and tests:
 *   tsx src/main/host/cli.ts --profile DIR [--port N] [--server URL[,URL…] [--enroll TOKEN | --enroll-key KEY] [--ca FILE]] [--demo]
 *   (several --server URLs, comma-separated: instances of one sync server, tried in order)
 *                            [--eido-drop DIR [--eido-strict]] [--eligibility-rules FILE] [--cad-outbox DIR] [--cad-post URL]
 * --eido-strict: the drop folder refuses a document with any problem, even one Tandem could repair.
 * Prints `Tandem console: <url>`; open it in Chromium. (`npm run start:web` runs the
 * two-console demo in src/launch/web.ts instead.)
 */
// (bundled for the tests this is CommonJS: __filename; under tsx, ESM)
const here = path.dirname(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));
export const RENDERER_DIR = path.resolve(here, '../../../dist/renderer');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string' },
      port: { type: 'string' },
      server: { type: 'string' },
      enroll: { type: 'string' },
      'enroll-key': { type: 'string' },
      ca: { type: 'string' },
      demo: { type: 'boolean', default: false },
      name: { type: 'string' },
      'direct-line': { type: 'string' },
      'floor-line': { type: 'string' },
      'eido-drop': { type: 'string' },
      'eido-strict': { type: 'boolean', default: false },
      'eligibility-rules': { type: 'string' },
      'cad-outbox': { type: 'string' },
      'cad-post': { type: 'string' },
    },
  });
  if (!values.profile) throw new Error('--profile DIR is required');
  const port = values.port ? Number(values.port) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, got ${values.port}`);
  const profileDir = path.resolve(values.profile);
  const core = await createCore({
    profileDir,
    key: hostKey(profileDir),
    demo: values.demo,
    workstationName: values.name,
    sync: values.server
      ? { serverUrl: values.server.split(',')[0], serverUrls: values.server.split(',').map((u) => u.trim()).filter(Boolean), enrollmentToken: values.enroll, enrollmentKey: values['enroll-key'], ca: values.ca ? fs.readFileSync(values.ca, 'utf8') : undefined, caSource: values.ca }
      : null,
    clinicianDirectLine: values['direct-line'] ?? null,
    dispatchFloorLine: values['floor-line'] ?? null,
    eidoDropDir: values['eido-drop'] ?? null,
    eidoStrict: values['eido-strict'],
    eligibilityRulesFile: values['eligibility-rules'] ?? null,
    cadOutcome: values['cad-outbox'] || values['cad-post'] ? { outboxDir: values['cad-outbox'], postUrl: values['cad-post'] } : null,
  });
  if (values['eido-drop']) console.log(`EIDO drop folder: ${path.resolve(values['eido-drop'])}${values['eido-strict'] ? ' (strict: any problem refuses a document)' : ''}`);
  const host = await startHost({ rendererDir: RENDERER_DIR, port });
  console.log(`Tandem console: ${host.add(core)}`);
  const stop = async () => {
    await host.close();
    core.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`tandem host: ${(err as Error).message}`);
  process.exit(1);
});
