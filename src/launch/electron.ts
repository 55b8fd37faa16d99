import path from 'node:path';
import fs from 'node:fs';
import { startShell } from '../main/electron/shell';
import { parsePolicy, policyPath, type MachinePolicy } from '../main/electron/policy';
import { createCore } from '../main/core';
import { startDemoServer, DEMO_DIRECT_LINE, DEMO_FLOOR_LINE } from './demo-server';
import { seedDemo } from './demo-seed';

/**
 * The Electron app's entry point (bundled to dist/electron/main.cjs). With a machine policy
 * it connects to the ECC's sync server; without one (a developer's `npm start`) it runs the
 * embedded demo: an in-process sync server and one console with sample data.
 */
function readPolicy(): MachinePolicy | null {
  const file = process.env.TANDEM_POLICY ?? policyPath(process.platform, process.env);
  if (!fs.existsSync(file)) return null;
  return parsePolicy(fs.readFileSync(file, 'utf8'), file);
}

const here = __dirname;
void startShell({
  rendererDir: path.join(here, '../renderer'),
  preloadPath: path.join(here, 'preload.cjs'),
  async createCore(key, userData) {
    const policy = readPolicy();
    if (policy && !policy.demo) {
      return createCore({
        profileDir: path.join(userData, 'profile'),
        key,
        workstationName: policy.workstationName,
        sync: { serverUrl: policy.serverUrl, enrollmentToken: policy.enrollmentToken, ca: policy.caFile ? fs.readFileSync(policy.caFile, 'utf8') : undefined },
        clinicianDirectLine: policy.clinicianDirectLine ?? null,
        dispatchFloorLine: policy.dispatchFloorLine ?? null,
        priorityCodes: policy.priorityCodes,
        lockAfterMinutes: policy.lockAfterMinutes,
      });
    }
    const server = await startDemoServer(path.join(userData, 'demo-server'));
    const core = await createCore({
      profileDir: path.join(userData, 'demo-profile'),
      key,
      demo: true,
      workstationName: 'demo-electron',
      sync: { serverUrl: server.url, enrollmentToken: await server.enrollmentToken('demo-electron') },
      clinicianDirectLine: DEMO_DIRECT_LINE,
      dispatchFloorLine: DEMO_FLOOR_LINE,
    });
    await seedDemo(core, ['dispatcher', 'clinician']);
    return {
      call: core.call,
      onAny: core.onAny,
      attach: core.attach,
      close: () => {
        core.close();
        void server.close();
      },
    };
  },
}).catch((err) => {
  console.error(`Tandem could not start: ${(err as Error).message}`);
  process.exit(1);
});
