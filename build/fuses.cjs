// Flips Electron's fuses on the packaged binary (electron-builder afterPack): no
// ELECTRON_RUN_AS_NODE, no NODE_OPTIONS or --inspect, cookies encrypted, the app loads only
// from its ASAR and the ASAR's integrity is checked. See Electron's security guide.
const path = require('node:path');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');

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

exports.default = async function afterPack(context) {
  const { electronPlatformName, appOutDir, packager } = context;
  const name = packager.appInfo.productFilename;
  const exe = {
    darwin: path.join(appOutDir, `${name}.app`),
    win32: path.join(appOutDir, `${name}.exe`),
    linux: path.join(appOutDir, packager.executableName ?? name.toLowerCase()),
  }[electronPlatformName];
  await flipFuses(exe, { ...exports.FUSES, resetAdHocDarwinSignature: electronPlatformName === 'darwin' });
};
