import path from 'node:path';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createCore } from '../main/core';
import { startHost } from '../main/host/server';
import { hostKey } from '../main/host/key';
import { startDemoServer, DEMO_DIRECT_LINE, DEMO_FLOOR_LINE } from './demo-server';
import { demoHsdsDir, seedDemo } from './demo-seed';

/**
 * `npm run start:web`: the embedded demo. One sync server in this process and two consoles
 * (dispatcher, clinician) that talk through it, each opened in a browser tab. With --single,
 * one console and no server (--eido-drop DIR: it takes CAD's EIDO files from that folder).
 *
 * src/launch is the composition root: the one place allowed to put the sync server and
 * workstation cores in one process (DESIGN.md keeps them apart everywhere else).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = path.resolve(here, '../../dist/renderer');
const HSDS_DIR = demoHsdsDir(path.resolve(here, '../..'));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      profile: { type: 'string', default: '.profile/web' },
      single: { type: 'boolean', default: false },
      clinicians: { type: 'string', default: '1' },
      'eido-drop': { type: 'string' },
      'eido-strict': { type: 'boolean', default: false },
    },
  });
  const port = values.port ? Number(values.port) : 5170;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, got ${values.port}`);
  const profile = path.resolve(values.profile!);
  fs.mkdirSync(profile, { recursive: true });
  const host = await startHost({ rendererDir: RENDERER_DIR, port });
  const closers: (() => Promise<void> | void)[] = [() => host.close()];

  if (values.single) {
    const dir = path.join(profile, 'console');
    const eidoDropDir = values['eido-drop'] ? path.resolve(values['eido-drop']) : null;
    const core = await createCore({
      profileDir: dir,
      key: hostKey(dir),
      demo: true,
      clinicianDirectLine: DEMO_DIRECT_LINE,
      dispatchFloorLine: DEMO_FLOOR_LINE,
      eidoDropDir,
      eidoStrict: values['eido-strict'],
    });
    if (eidoDropDir) console.log(`EIDO drop folder: ${eidoDropDir}`);
    await seedDemo(core, ['dispatcher', 'clinician'], { hsdsDir: HSDS_DIR });
    closers.push(() => core.close());
    console.log(`Tandem console (single, no server): ${host.add(core)}`);
  } else {
    const server = await startDemoServer(path.join(profile, 'server'));
    closers.push(() => server.close());
    console.log(`Tandem sync server: ${server.url}`);
    const consoles: [string, 'dispatcher' | 'clinician'][] = [['dispatcher', 'dispatcher']];
    const clinicians = Math.max(1, Math.min(3, Number(values.clinicians) || 1));
    for (let i = 1; i <= clinicians; i++) consoles.push([clinicians === 1 ? 'clinician' : `clinician-${i}`, 'clinician']);
    for (const [name, role] of consoles) {
      const dir = path.join(profile, name);
      const core = await createCore({
        profileDir: dir,
        key: hostKey(dir),
        demo: true,
        workstationName: `demo-${name}`,
        sync: { serverUrl: server.url, enrollmentToken: await server.enrollmentToken(`demo-${name}`) },
        clinicianDirectLine: DEMO_DIRECT_LINE,
        dispatchFloorLine: DEMO_FLOOR_LINE,
      });
      await seedDemo(core, [role], { hsdsDir: HSDS_DIR });
      closers.push(() => core.close());
      console.log(`Tandem console (${name}): ${host.add(core)}`);
    }
  }
  const stop = async () => {
    for (const close of closers.reverse()) await close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`tandem demo: ${(err as Error).message}`);
  process.exit(1);
});
