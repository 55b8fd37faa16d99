import fs from 'node:fs';

/**
 * The server database's key: 32 random bytes, from a key file (64 hex digits, or the 32 raw
 * bytes) or from the environment (64 hex digits), never from the command line, where `ps`
 * and shell history would show it. A key file readable by anyone but its owner is refused.
 */
export class DbKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DbKeyError';
  }
}

export const KEY_ENV = 'TANDEM_SERVER_DB_KEY';
export const KEY_FILE_ENV = 'TANDEM_SERVER_DB_KEY_FILE';

function decode(text: Buffer, where: string): Buffer {
  if (text.length === 32) return Buffer.from(text);
  const hex = text.toString('utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new DbKeyError(`${where} must hold 64 hex digits (32 random bytes); make one with "npm run server -- db-key new FILE"`);
  return Buffer.from(hex, 'hex');
}

export function readKeyFile(file: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new DbKeyError(`Cannot read the database key file ${file}: ${(err as Error).message}`);
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new DbKeyError(`The database key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file}`);
  }
  return decode(fs.readFileSync(file), `The database key file ${file}`);
}

/** The key named by --db-key-file, else $TANDEM_SERVER_DB_KEY_FILE, else $TANDEM_SERVER_DB_KEY; null when none is given. */
export function resolveDbKey(keyFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const file = keyFile ?? env[KEY_FILE_ENV];
  if (file) return readKeyFile(file);
  const hex = env[KEY_ENV];
  if (hex) return decode(Buffer.from(hex), `$${KEY_ENV}`);
  return null;
}

/** Writes a new random key file, mode 0600; refuses to overwrite one. */
export function writeNewKeyFile(file: string, random: (n: number) => Buffer): void {
  fs.writeFileSync(file, `${random(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
}

/** The statements that open the database with `key`, on any connection (SQLCipher v4 format, raw key). */
export function keyPragmas(key: Buffer): string[] {
  if (key.length !== 32) throw new DbKeyError(`The database key must be 32 bytes, got ${key.length}`);
  return [`cipher='sqlcipher'`, `legacy=4`, `key="x'${key.toString('hex')}'"`];
}
