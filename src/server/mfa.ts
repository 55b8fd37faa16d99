import crypto from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Role } from '../shared/roles';
import { sha256 } from './secrets';
import type { MfaRecord, StorageTx, UserRecord } from './storage/types';

/**
 * Two-step sign-in (TOTP, RFC 6238: 6 digits, 30 s, SHA-1, what every authenticator app reads).
 *
 * - Asked of a user who has set it up, and of every user the site requires it of (its role in
 *   the server's `mfa.requiredRoles`, or the user marked with `user require-mfa`).
 * - Setup happens at sign-in: the right password from a user who must have it but has not set it
 *   up answers with a new secret (its QR code and its text, shown once); a code from that secret
 *   confirms it, signs in, and hands out ten recovery codes, shown once.
 * - A code is good once: the time step it belongs to is kept, and a code of that step or an
 *   earlier one is refused (replay). A recovery code is good once too.
 * - Wrong codes count as failed sign-ins (auth.ts: the same backoff and lockout as passwords).
 * - The secrets stay on the server (user_mfa, in the encrypted database): never logged, never
 *   synced. An administrator's `user reset-mfa` forgets them; the user sets up again.
 */
export interface MfaPolicy {
  /** Roles that must use two-step sign-in. Default none. */
  requiredRoles: readonly Role[];
  /** Shown in the authenticator app. Default "Tandem". */
  issuer: string;
}

export const DEFAULT_MFA_POLICY: MfaPolicy = { requiredRoles: [], issuer: 'Tandem' };

const PERIOD = 30;
/** One step either side of now: a phone's clock a little off, or a code typed as it turned. */
const WINDOW = 1;
export const RECOVERY_CODES = 10;

/** What a console is told when sign-in needs a code (in the 401's details). */
export type MfaChallenge = { mfa: 'code' } | { mfa: 'setup'; secret: string; uri: string; qrSvg: string };

function totp(secret: string, label: string, issuer: string): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: PERIOD });
}

/** The time step a code of `secret` belongs to at `now`, or null when it is no code of it. */
function stepOf(secret: string, code: string, now: number): number | null {
  const delta = TOTP.validate({ token: code, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: PERIOD, timestamp: now, window: WINDOW });
  return delta === null ? null : TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
}

/** Ten recovery codes, `xxxx-xxxx-xxxx` (60 bits each), for a person to write down. */
function newRecoveryCodes(): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return Array.from({ length: RECOVERY_CODES }, () => {
    const chars = Array.from(crypto.randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}
const normalRecovery = (code: string) => code.trim().toLowerCase().replace(/[\s-]/g, '');

export function isRequired(policy: MfaPolicy, user: UserRecord, rec: MfaRecord | null): boolean {
  return !!rec?.secret || !!rec?.required || policy.requiredRoles.includes(user.role);
}

const blank = (userId: string): MfaRecord => ({ userId, secret: null, pendingSecret: null, required: false, lastStep: null, recovery: [], enrolledAt: null });

/**
 * The second step of a sign-in whose password was right, inside its transaction. Resolves with
 * the recovery codes when this sign-in confirmed a setup (shown once), else an empty list; throws
 * the challenge the console must answer (MfaChallenge) and, when a code was typed, why it was wrong.
 */
export async function secondStep(
  tx: StorageTx,
  policy: MfaPolicy,
  user: UserRecord,
  code: string | undefined,
  now: number,
): Promise<{ recoveryCodes: string[] } | { challenge: MfaChallenge; wrong: string | null }> {
  const rec = await tx.getMfa(user.id);
  if (!isRequired(policy, user, rec)) return { recoveryCodes: [] };
  const typed = code?.trim() ?? '';
  if (rec?.secret) {
    if (!typed) return { challenge: { mfa: 'code' }, wrong: null };
    if (/^\d{6}$/.test(typed)) {
      const step = stepOf(rec.secret, typed, now);
      if (step === null) return { challenge: { mfa: 'code' }, wrong: 'Wrong code: type the 6 digits your authenticator app shows now' };
      if (rec.lastStep !== null && step <= rec.lastStep) {
        return { challenge: { mfa: 'code' }, wrong: 'This code was already used: wait for the next one in your authenticator app' };
      }
      await tx.putMfa({ ...rec, lastStep: step });
      return { recoveryCodes: [] };
    }
    const hash = sha256(normalRecovery(typed));
    if (!rec.recovery.includes(hash)) return { challenge: { mfa: 'code' }, wrong: 'Wrong code: type the 6 digits your authenticator app shows now, or an unused recovery code' };
    await tx.putMfa({ ...rec, recovery: rec.recovery.filter((h) => h !== hash) });
    return { recoveryCodes: [] };
  }
  // Must have it, has not set it up: confirm the secret being set up, or start one.
  if (rec?.pendingSecret && typed) {
    const step = /^\d{6}$/.test(typed) ? stepOf(rec.pendingSecret, typed, now) : null;
    if (step === null) {
      return { challenge: await setupChallenge(rec.pendingSecret, user, policy), wrong: 'Wrong code: scan the QR code (or type the key) into your authenticator app, then type the 6 digits it shows' };
    }
    const codes = newRecoveryCodes();
    await tx.putMfa({
      ...rec,
      secret: rec.pendingSecret,
      pendingSecret: null,
      lastStep: step,
      recovery: codes.map((c) => sha256(normalRecovery(c))),
      enrolledAt: new Date(now).toISOString(),
    });
    return { recoveryCodes: codes };
  }
  const secret = new Secret({ size: 20 }).base32;
  await tx.putMfa({ ...(rec ?? blank(user.id)), pendingSecret: secret });
  return { challenge: await setupChallenge(secret, user, policy), wrong: null };
}

async function setupChallenge(secret: string, user: UserRecord, policy: MfaPolicy): Promise<MfaChallenge> {
  const uri = totp(secret, user.username, policy.issuer).toString();
  const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  return { mfa: 'setup', secret, uri, qrSvg };
}

/** `user require-mfa`: this user must set up two-step sign-in at the next sign-in. */
export async function requireMfa(tx: StorageTx, userId: string, required: boolean): Promise<void> {
  const rec = (await tx.getMfa(userId)) ?? blank(userId);
  await tx.putMfa({ ...rec, required });
}
