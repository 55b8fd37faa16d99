// Checks every packaged native module (.node) against the target: its platform and CPU from
// the binary header, and its ABI: an N-API module (napi_register_module_v1) runs on any
// Electron; any other is built for one NODE_MODULE_VERSION (node_register_module_vNNN) and
// must match the target Electron's, or the app fails on the machine at its first require.
const fs = require('node:fs');
const path = require('node:path');

const ELF_MACHINES = { 3: 'ia32', 0x3e: 'x64', 0x28: 'armv7l', 0xb7: 'arm64' };
const PE_MACHINES = { 0x14c: 'ia32', 0x8664: 'x64', 0xaa64: 'arm64' };
const MACHO_CPUS = { 7: 'ia32', 0x01000007: 'x64', 0x0100000c: 'arm64' };

/** Platform and CPU of a native binary from its header, or null when it is not one. */
function binaryTarget(buf) {
  if (buf.length >= 20 && buf[0] === 0x7f && buf.toString('latin1', 1, 4) === 'ELF') {
    const le = buf[5] === 1;
    const machine = le ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
    return { platform: 'linux', arch: ELF_MACHINES[machine] ?? `elf-machine-${machine}` };
  }
  if (buf.length >= 64 && buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (pe + 6 <= buf.length && buf.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = buf.readUInt16LE(pe + 4);
      return { platform: 'win32', arch: PE_MACHINES[machine] ?? `pe-machine-${machine}` };
    }
  }
  if (buf.length >= 8) {
    const magic = buf.readUInt32LE(0);
    if (magic === 0xfeedfacf || magic === 0xfeedface) return { platform: 'darwin', arch: MACHO_CPUS[buf.readUInt32LE(4)] ?? 'unknown' };
    if (buf.readUInt32BE(0) === 0xcafebabe) return { platform: 'darwin', arch: 'universal' };
  }
  return null;
}

/** What one .node file is built for. */
function inspectNativeModule(file) {
  const buf = fs.readFileSync(file);
  const target = binaryTarget(buf);
  const text = buf.toString('latin1');
  const napi = text.includes('napi_register_module_v1') || text.includes('napi_module_register');
  const m = /node_register_module_v(\d+)/.exec(text);
  return { file, target, napi: napi && !m, abi: m ? Number(m[1]) : null };
}

function findNativeModules(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findNativeModules(p));
    else if (entry.name.endsWith('.node')) out.push(p);
  }
  return out;
}

/**
 * Every problem with the .node files under `dir` for a target { platform, arch, abi,
 * electronVersion }: an empty list when all of them will load.
 */
function nativeModuleProblems(dir, target) {
  const problems = [];
  for (const file of findNativeModules(dir)) {
    const info = inspectNativeModule(file);
    const name = path.relative(dir, file);
    if (!info.target) {
      problems.push(`${name}: not a native binary`);
      continue;
    }
    if (info.target.platform !== target.platform || (info.target.arch !== target.arch && info.target.arch !== 'universal')) {
      problems.push(`${name}: built for ${info.target.platform}-${info.target.arch}, the package is for ${target.platform}-${target.arch}`);
      continue;
    }
    if (info.napi) continue;
    if (info.abi === null) problems.push(`${name}: neither N-API nor a Node module with a known ABI`);
    else if (info.abi !== target.abi) {
      problems.push(
        `${name}: built for NODE_MODULE_VERSION ${info.abi} (plain Node), Electron ${target.electronVersion} needs ${target.abi}. ` +
          "A release build must rebuild it against Electron's headers: run it on a machine that can download them " +
          '(electron-builder rebuilds with npmRebuild, or `npx @electron/rebuild`).',
      );
    }
  }
  return problems;
}

module.exports = { binaryTarget, inspectNativeModule, findNativeModules, nativeModuleProblems };
