import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

/**
 * The headless host takes the store key from its configuration: TANDEM_DB_KEY (64 hex
 * characters) or a key file beside the profile, created once with mode 0600. Electron
 * keeps its key with safeStorage instead.
 */
export function hostKey(profileDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.TANDEM_DB_KEY;
  if (fromEnv) {
    if (!/^[0-9a-fA-F]{64}$/.test(fromEnv)) throw new Error('TANDEM_DB_KEY must be 64 hexadecimal characters (32 bytes)');
    return Buffer.from(fromEnv, 'hex');
  }
  const file = path.join(profileDir, 'host.key');
  if (fs.existsSync(file)) {
    const hex = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${file} does not hold a 32-byte hex key`);
    return Buffer.from(hex, 'hex');
  }
  fs.mkdirSync(profileDir, { recursive: true });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, key.toString('hex'), { mode: 0o600 });
  return key;
}
