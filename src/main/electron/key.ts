import fs from 'node:fs';
import crypto from 'node:crypto';
import { isSafeStorageBackendAcceptable } from './policy';

/** The part of Electron's safeStorage this needs; typed structurally so tests can pass a fake keyring. */
export interface KeyWrapper {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

/**
 * The store key: 32 random bytes made once, kept on disk only wrapped by the OS keyring
 * (DPAPI, Keychain, libsecret/kwallet). Refuses to run on Linux's plain-text fallback.
 */
export function loadOrCreateStoreKey(file: string, safe: KeyWrapper, platform: NodeJS.Platform = process.platform): Buffer {
  if (!safe.isEncryptionAvailable()) throw new Error('The OS keyring is not available: Tandem cannot protect its case store on this machine');
  const backend = safe.getSelectedStorageBackend?.();
  if (!isSafeStorageBackendAcceptable(platform, backend)) {
    throw new Error(`The OS keyring backend is "${backend}", which does not protect secrets: install and unlock gnome-keyring or kwallet`);
  }
  if (fs.existsSync(file)) {
    const hex = safe.decryptString(fs.readFileSync(file));
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} does not unwrap to a store key`);
    return Buffer.from(hex, 'hex');
  }
  const key = crypto.randomBytes(32);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, safe.encryptString(key.toString('hex')), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return key;
}
