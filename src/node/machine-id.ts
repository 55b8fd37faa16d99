import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * This machine's identity as the sync server sees it: SHA-256 of the OS's own machine id
 * (/etc/machine-id, Windows' MachineGuid, the Mac's IOPlatformUUID), so a workstation
 * identity copied with a profile to another machine is recognised as not belonging there.
 * Null when the OS gives none (the identity is then not bound).
 */
export function machineId(platform: NodeJS.Platform = process.platform): string | null {
  const raw = readRaw(platform);
  return raw ? hashMachineId(raw) : null;
}

export function hashMachineId(raw: string): string {
  return crypto.createHash('sha256').update(`tandem-machine:${raw.trim().toLowerCase()}`).digest('hex');
}

function readRaw(platform: NodeJS.Platform): string | null {
  try {
    if (platform === 'win32') {
      const out = execFileSync('reg', ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid'], { encoding: 'utf8', windowsHide: true, timeout: 10_000 });
      return /MachineGuid\s+REG_SZ\s+(\S+)/.exec(out)?.[1] ?? null;
    }
    if (platform === 'darwin') {
      const out = execFileSync('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], { encoding: 'utf8', timeout: 10_000 });
      return /"IOPlatformUUID" = "([^"]+)"/.exec(out)?.[1] ?? null;
    }
    for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
      if (fs.existsSync(f)) {
        const v = fs.readFileSync(f, 'utf8').trim();
        if (v) return v;
      }
    }
  } catch {
    return null;
  }
  return null;
}
