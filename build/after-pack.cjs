// electron-builder afterPack: flips Electron's fuses on the packaged binary (no
// ELECTRON_RUN_AS_NODE, no NODE_OPTIONS or --inspect, cookies encrypted, the app loads only
// from its ASAR and the ASAR's integrity is checked; see Electron's security guide), then
// refuses a package whose native modules would not load in its Electron (build/native-abi.cjs).
const path = require('node:path');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');
const { getAbi } = require('node-abi');
const { nativeModuleProblems } = require('./native-abi.cjs');

exports.FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

const ARCHS = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

exports.default = async function afterPack(context) {
  const { electronPlatformName, appOutDir, packager } = context;
  const name = packager.appInfo.productFilename;
  const exe = {
    darwin: path.join(appOutDir, `${name}.app`),
    win32: path.join(appOutDir, `${name}.exe`),
    linux: path.join(appOutDir, packager.executableName ?? name.toLowerCase()),
  }[electronPlatformName];
  await flipFuses(exe, { ...exports.FUSES, resetAdHocDarwinSignature: electronPlatformName === 'darwin' });

  const electronVersion = packager.config.electronVersion ?? packager.info?.framework?.version ?? require('electron/package.json').version;
  const target = { platform: electronPlatformName, arch: typeof context.arch === 'number' ? ARCHS[context.arch] : String(context.arch), abi: Number(getAbi(electronVersion, 'electron')), electronVersion };
  const resources = electronPlatformName === 'darwin' ? path.join(exe, 'Contents', 'Resources') : path.join(appOutDir, 'resources');
  const problems = nativeModuleProblems(path.join(resources, 'app.asar.unpacked'), target);
  if (problems.length === 0) return;
  const message = `Native modules that would not load in Electron ${electronVersion} (${target.platform}-${target.arch}, ABI ${target.abi}):\n  ${problems.join('\n  ')}`;
  // Only a test pack (a stand-in Electron, no headers) may go on, and it says so.
  if (process.env.TANDEM_PACK_TEST === '1') {
    console.warn(`${message}\n(TANDEM_PACK_TEST=1: a test pack, not a release; continuing)`);
    require('node:fs').writeFileSync(path.join(appOutDir, 'native-abi-problems.txt'), message);
    return;
  }
  throw new Error(message);
};
