import crypto from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

/**
 * Secrets the server hands out (enrollment tokens, workstation secrets, session tokens) are
 * 32 random bytes, so a SHA-256 of them is enough at rest and can be checked on every
 * request. Passwords are chosen by people and get argon2id.
 */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

export function sha256(value: string): string {
  return crypto.createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && crypto.timingSafeEqual(x, y);
}

export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password);
}

/** A hash of nothing anyone knows, verified against when the username is unknown so both paths take as long. */
let decoy: Promise<string> | null = null;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    decoy ??= argon2Hash(randomToken());
    await argon2Verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await argon2Verify(passwordHash, password);
  } catch {
    return false;
  }
}

export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID()}`;
}
