import path from 'node:path';
import fs from 'node:fs';
import { startBlockedShell, startShell } from '../main/electron/shell';
import { demoAllowed, loadMachinePolicy, policyScreenHtml, serverUrlsOf, syncConfigFromPolicy } from '../main/electron/machine-policy';
import { electronMachine, keepUserDataLocal, startLog, startUpdates } from '../main/electron/machine';
import { createCore } from '../main/core';
import { machineId } from '../node/machine-id';
import { diagnosticsReport } from '../main/electron/diagnostics';
import { chooseStoreDir, moveLegacyStore } from '../main/electron/data-dir';
import os from 'node:os';
import { PROTOCOL, TANDEM_VERSION } from '../shared/version';
import { startDemoServer, DEMO_DIRECT_LINE, DEMO_FLOOR_LINE } from './demo-server';
import { seedDemo } from './demo-seed';

/**
 * The Electron app's entry point (bundled to dist/electron/main.cjs), fail-closed: with a
 * machine policy it connects to the ECC's sync server; without one it shows "not
 * configured" (what IT must set); with a bad one, every problem. The embedded demo runs
 * only when a developer asks for it (`npm start` sets TANDEM_DEMO=1 in a development build).
 */
const here = __dirname;
keepUserDataLocal();
const { log, file: logFile } = startLog();
const machine = electronMachine();

/** The last `bytes` of a file ('' when there is none). */
function readTail(file: string, bytes: number): string {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size, bytes));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const result = loadMachinePolicy(machine);
  if (result.state === 'invalid') {
    log('error', `Machine policy (${result.sources.join(', ')}) cannot be used:\n  ${result.problems.join('\n  ')}`);
    return startBlockedShell(policyScreenHtml(result));
  }
  if (result.state === 'not-configured' && !demoAllowed(machine, result)) {
    log('error', `Tandem is not configured: no machine policy in ${result.looked.join(', ')}`);
    return startBlockedShell(policyScreenHtml(result));
  }
  const failurePage = (message: string) => policyScreenHtml({ state: 'failed', problems: [message] });
  if (result.state === 'configured') {
    const policy = result.policy;
    log('info', `Machine policy from ${result.sources.join(', ')}: server ${serverUrlsOf(policy).join(", ")}`);
    startUpdates(policy.updates, log);
    return startShell({
      rendererDir: path.join(here, '../renderer'),
      preloadPath: path.join(here, 'preload.cjs'),
      failurePage,
      log,
      allowDevTools: policy.allowDevTools,
      globalHotkey: policy.globalHotkey,
      diagnostics: () =>
        diagnosticsReport({
          now: new Date(),
          versions: { tandem: TANDEM_VERSION, protocol: String(PROTOCOL), electron: process.versions.electron, chrome: process.versions.chrome, node: process.versions.node },
          platform: `${process.platform} ${process.arch}`,
          policy: result,
          logFile,
          log: readTail(logFile, 256 * 1024),
        }),
      storeDir(userData) {
        // The store and its key on the machine, one folder per user; never in a roaming profile.
        const info = os.userInfo();
        const choice = chooseStoreDir({
          platform: process.platform,
          env: process.env,
          packaged: machine.packaged,
          policyDataDir: policy.dataDir,
          user: { username: info.username, uid: info.uid, domain: process.platform === 'win32' ? process.env.USERDOMAIN : undefined },
          userData,
        });
        if (choice.warning) log('warn', choice.warning);
        const moved = moveLegacyStore(userData, choice.dir);
        if (moved.length) log('info', `The case store moved from ${userData} to ${choice.dir}`);
        log('info', `Case store in ${choice.dir} (${choice.from === 'policy' ? 'policy dataDir' : choice.from === 'machine' ? 'machine data folder' : "the user's local app data"})`);
        return choice.dir;
      },
      async createCore(key, storeDir) {
        return createCore({
          profileDir: path.join(storeDir, 'profile'),
          key,
          workstationName: policy.workstationName,
          sync: syncConfigFromPolicy(policy, (f) => fs.readFileSync(f, 'utf8'), machineId()),
          clinicianDirectLine: policy.clinicianDirectLine ?? null,
          dispatchFloorLine: policy.dispatchFloorLine ?? null,
          priorityCodes: policy.priorityCodes,
          lockAfterMinutes: policy.lockAfterMinutes,
          offlineSignInDays: policy.offlineSignInDays,
        });
      },
    });
  }
  log('warn', 'No machine policy: running the embedded demo (TANDEM_DEMO=1, development build)');
  return startShell({
    rendererDir: path.join(here, '../renderer'),
    preloadPath: path.join(here, 'preload.cjs'),
    failurePage,
    log,
    async createCore(key, userData) {
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
  });
}

main().catch((err) => {
  log('error', `Tandem could not start: ${(err as Error).stack ?? (err as Error).message}`);
  void startBlockedShell(policyScreenHtml({ state: 'failed', problems: [(err as Error).message] })).catch(() => process.exit(1));
});
