import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ROLES, Role } from '../shared/roles';
import { createAdmin } from './admin';
import { createSyncServer, DB_FILE_NAME, loadEligibilityRules, openDatabase } from './app';
import { importEidoFile, importJson, importText, postEidoFile } from './import-eido';
import { ServerError } from './errors';
import { importHsds, importHsdsText, writeProblemsCsv } from './import-hsds';
import { DbKeyError, resolveDbKey, writeNewKeyFile } from './storage/key';
import { backupSqliteDatabase, restoreSqliteDatabase, SqliteStorage } from './storage/sqlite';
import type { ServerStorage } from './storage/types';

/**
 * `npm run server -- <command>`: serve, user add, workstation enroll|list|revoke, enrollment-key add|rotate|revoke|list, status.
 * Data lives in --data DIR, else $TANDEM_SERVER_DATA, else ./.tandem-server.
 */
const USAGE = `Usage: npm run server -- <command> [options]

Commands:
  serve [--port N] [--host H] [--data DIR | --database URL] [--cert FILE --key FILE]
        [--ring-timeout SECONDS] [--direct-line NUMBER] [--eligibility-rules FILE] [--eido-strict]
                                  run the sync server (default 127.0.0.1, port 8443 with TLS, else 8080);
                                  a live handoff nobody accepts stops ringing after --ring-timeout
                                  (default 20, or $TANDEM_RING_TIMEOUT_SECONDS; --handoff-timeout MS also works);
                                  --eido-strict: POST /eido refuses a document with any problem,
                                  even one Tandem could repair (a site's policy);
                                  --require-mfa ROLES (comma-separated, or $TANDEM_REQUIRE_MFA): those roles
                                  must use two-step sign-in (TOTP), e.g. clinician,supervisor,admin
  user add <username> --role ROLE --name "Full Name" [--password P] [--direct-line NUMBER]
                                  add a user (password from --password or $TANDEM_PASSWORD)
                                  ROLE is one of ${ROLES.join(', ')}
  user list                       list users
  user disable|enable <username>  disable a user (their sessions end; open consoles are cut off within a second) or enable again
  user reset-password <username> [--password P]
                                  set a new password (from --password or $TANDEM_PASSWORD); their sessions end, any lockout is lifted
  user unlock <username>          lift a sign-in backoff or lockout (after repeated wrong passwords)
  user require-mfa <username> [--off]
                                  require two-step sign-in (TOTP) of this user: set up at the next sign-in
  user reset-mfa <username>       forget the user's authenticator and recovery codes (a lost phone); their
                                  sessions end; they set it up again at the next sign-in if it is required
  session list                    live sessions: id, user, workstation, started, expires
  session revoke <id>             end a session (its console is cut off within a second)
  workstation enroll [--name N]   print a one-time enrollment token
  workstation list                list enrolled workstations
  workstation revoke <id>         revoke a workstation and end its sessions
  status                          users, workstations and change-log counts
  backup <file>                   copy the SQLite database to <file> while the server runs (online backup)
  restore <file>                  put a backup in place of the SQLite database (stop the server first;
                                  the database it replaces is kept beside it)
  enrollment-key add <name>       print a site enrollment key for a fleet's machine policy (shown once)
  enrollment-key rotate <name> [--grace-days N]
                                  a new key under that name; the old one enrolls N more days (default 7)
  enrollment-key revoke <name|id> [--workstations revoke]
                                  stop a key enrolling now; with --workstations revoke, also revoke
                                  every workstation it enrolled
  enrollment-key list             keys: name, id, created, uses, last used, expiry, revoked
  cad-key add <name>              print a new API key for a CAD's POST /eido (shown once)
  cad-key list                    list CAD keys (name, created, last used, revoked)
  cad-key revoke <name>           revoke a CAD key
  eido-rejected [--limit N] [--raw ID]
                                  EIDO documents refused at intake, newest first (--raw ID prints one as received)
  import-eido <file> [--json] [--strict] [--rules FILE] [--post URL --key CADKEY]
                                  read an EIDO file (or a conveyance event) and print each incident
                                  Tandem makes of it with every repair made, or every problem that
                                  refuses it (exit 1 when any is refused; --strict refuses on any
                                  problem; --post also sends it to a server)
  import-hsds <dir> [--problems FILE]
                                  import an Open Referral HSDS package (CSV folder, HSDS 3 or 1.x/2.x)
                                  into the service directory; prints per table the rows read, imported,
                                  repaired, rejected and ignored, with the reasons counted; every problem
                                  (table, file, line, outcome, reason) goes to a CSV file: --problems FILE,
                                  else <data>/hsds-imports/hsds-import-<time>-problems.csv

  db-key new <file>               write a new random database key file (mode 0600)
  audit verify                    check every audit hash chain; exit 1 naming the first entry deleted,
                                  altered, out of order or cut off the end
  audit export --from DATE --to DATE [--out FILE]
                                  audit entries with DATE <= time < DATE as CSV (ISO dates or times, UTC)

Every command takes --data DIR (default $TANDEM_SERVER_DATA or ./.tandem-server) and
--db-key-file FILE (default $TANDEM_SERVER_DB_KEY_FILE, else a key in $TANDEM_SERVER_DB_KEY):
the SQLite database is encrypted at rest with that key (a plain database is encrypted on first
use). The key is never taken on the command line itself. Or --database postgres://user@host:port/db
(default $TANDEM_DATABASE_URL) to run on PostgreSQL instead of SQLite; keep the password out of
the command line (PGPASSWORD or ~/.pgpass). For PostgreSQL use pg_dump and a streaming replica
instead of backup/restore (src/server/README.md).`;

class UsageError extends Error {}

function dataDir(values: { data?: string }): string {
  return path.resolve(values.data ?? process.env.TANDEM_SERVER_DATA ?? '.tandem-server');
}

function intOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Every option is a string option; `--data` is always accepted. */
function parse<K extends string>(
  args: string[],
  names: readonly K[],
): { values: Partial<Record<K | 'data' | 'database' | 'db-key-file', string>>; positionals: string[] } {
  const options: Record<string, { type: 'string' }> = { data: { type: 'string' }, database: { type: 'string' }, 'db-key-file': { type: 'string' } };
  for (const n of names) options[n] = { type: 'string' };
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    const v = values as Partial<Record<K | 'data' | 'database' | 'db-key-file', string>>;
    dbKeyFile = v['db-key-file'];
    return { values: v, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The PostgreSQL URL when one is given (--database, else $TANDEM_DATABASE_URL); null for the SQLite default. */
function databaseUrl(values: { database?: string; data?: string }): string | null {
  const url = values.database ?? process.env.TANDEM_DATABASE_URL ?? null;
  if (url === null || url === '') return null;
  if (values.database !== undefined && values.data !== undefined) throw new UsageError('--data and --database are two different databases: give one');
  return url;
}

/** The admin operations as the CLI runs them: the audit log names the operating-system user. */
function cliAdmin(storage: ServerStorage) {
  let who = 'unknown';
  try {
    who = os.userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return createAdmin(storage, { actor: `cli:${who}` });
}

/** --db-key-file of the command being run (every command takes it). */
let dbKeyFile: string | undefined;

function dbKey(): Buffer | null {
  try {
    return resolveDbKey(dbKeyFile);
  } catch (err) {
    if (err instanceof DbKeyError) throw new UsageError(err.message);
    throw err;
  }
}

async function withStorage<T>(values: { data?: string; database?: string }, fn: (storage: ServerStorage) => Promise<T>): Promise<T> {
  const url = databaseUrl(values);
  const storage = url ? await openDatabase(url, pino({ level: process.env.TANDEM_LOG_LEVEL ?? 'warn', name: 'tandem-server' })) : new SqliteStorage(path.join(dataDir(values), DB_FILE_NAME), { key: dbKey() });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

async function serve(allArgs: string[]): Promise<void> {
  // The one flag without a value: a site's policy to refuse any EIDO document with a problem.
  const eidoStrict = allArgs.includes('--eido-strict');
  const args = allArgs.filter((a) => a !== '--eido-strict');
  const { values, positionals } = parse(args, ['port', 'host', 'cert', 'key', 'handoff-timeout', 'ring-timeout', 'direct-line', 'eligibility-rules', 'require-mfa']);
  if (positionals.length) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
  if (Boolean(values.cert) !== Boolean(values.key)) throw new UsageError('--cert and --key go together');
  const tls = values.cert && values.key ? { cert: fs.readFileSync(values.cert), key: fs.readFileSync(values.key) } : undefined;
  const port = intOption('port', values.port, 0, 65535) ?? (tls ? 8443 : 8080);
  if (values['handoff-timeout'] && values['ring-timeout']) throw new UsageError('--ring-timeout and --handoff-timeout say the same thing: give one');
  const ringSeconds = intOption('ring-timeout', values['ring-timeout'] ?? process.env.TANDEM_RING_TIMEOUT_SECONDS, 5, 600);
  const handoffTimeoutMs = intOption('handoff-timeout', values['handoff-timeout'], 1000, 600_000) ?? (ringSeconds === undefined ? undefined : ringSeconds * 1000);
  const logger = pino({ level: process.env.TANDEM_LOG_LEVEL ?? 'info', name: 'tandem-server' });
  const url = databaseUrl(values);
  const key = dbKey();
  const mfaRoles = mfaRolesOption(values['require-mfa'] ?? process.env.TANDEM_REQUIRE_MFA);
  const server = await createSyncServer({
    ...(url ? { databaseUrl: url } : { dataDir: dataDir(values) }),
    host: values.host ?? '127.0.0.1',
    port,
    tls,
    handoffTimeoutMs,
    clinicianDirectLine: values['direct-line'] ?? process.env.TANDEM_CLINICIAN_DIRECT_LINE ?? null,
    logger,
    eligibilityRulesFile: values['eligibility-rules'],
    eidoStrict,
    dbKey: key,
    mfa: { requiredRoles: mfaRoles },
  });
  if (mfaRoles.length) logger.info({ roles: mfaRoles }, 'two-step sign-in (TOTP) is required of these roles');
  if (eidoStrict) logger.info('EIDO intake is strict: a document with any problem is refused, even one Tandem could repair');
  if (!tls) logger.warn('TLS is off: use --cert and --key anywhere but a single machine');
  if (!key) logger.warn('The database is not encrypted at rest: give a key with --db-key-file (npm run server -- db-key new FILE)');
  process.stdout.write(`Tandem sync server listening on ${server.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** `--require-mfa clinician,supervisor,admin`: the roles that must use two-step sign-in. */
function mfaRolesOption(value: string | undefined): Role[] {
  if (!value?.trim()) return [];
  const out: Role[] = [];
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const r = Role.safeParse(part);
    if (!r.success) throw new UsageError(`--require-mfa takes roles among ${ROLES.join(', ')}, comma-separated; got ${JSON.stringify(part)}`);
    if (!out.includes(r.data)) out.push(r.data);
  }
  return out;
}

async function user(allArgs: string[]): Promise<void> {
  const off = allArgs.includes('--off');
  const args = allArgs.filter((a) => a !== '--off');
  const { values, positionals } = parse(args, ['role', 'name', 'password', 'direct-line']);
  const [sub, username, ...rest] = positionals;
  if (sub === 'list') {
    await withStorage(values, async (storage) => {
      for (const u of await cliAdmin(storage).listUsers()) {
        process.stdout.write(`${u.username}\t${u.role}\t${u.name}${u.directLine ? `\t${u.directLine}` : ''}\n`);
      }
    });
    return;
  }
  if (off && sub !== 'require-mfa') throw new UsageError('--off goes only with user require-mfa');
  if (sub === 'reset-mfa' || sub === 'require-mfa') {
    if (!username || rest.length) throw new UsageError(`Usage: user ${sub} <username>${sub === 'require-mfa' ? ' [--off]' : ''}`);
    await withStorage(values, async (storage) => {
      const admin = cliAdmin(storage);
      if (sub === 'reset-mfa') {
        const r = await admin.resetMfa(username);
        if (!r) throw new UsageError(`No user ${username}`);
        process.stdout.write(
          `${r.had ? 'Two-step sign-in reset for' : 'No authenticator was set up for'} ${r.user.username} (${r.user.name}); their sessions have ended; they set it up again at their next sign-in if it is required\n`,
        );
        return;
      }
      const u = await admin.setMfaRequired(username, !off);
      if (!u) throw new UsageError(`No user ${username}`);
      process.stdout.write(off ? `${u.username} no longer has two-step sign-in required of them (their role may still require it)\n` : `${u.username} must use two-step sign-in: they set it up at their next sign-in\n`);
    });
    return;
  }
  if (sub === 'disable' || sub === 'enable' || sub === 'unlock' || sub === 'reset-password') {
    if (!username || rest.length) throw new UsageError(`Usage: user ${sub} <username>`);
    await withStorage(values, async (storage) => {
      const admin = cliAdmin(storage);
      if (sub === 'unlock') {
        const had = await admin.unlockUser(username);
        process.stdout.write(had ? `Unlocked sign-in for ${username}\n` : `${username} had no failed sign-ins to clear\n`);
        return;
      }
      let u;
      if (sub === 'reset-password') {
        const password = values.password ?? process.env.TANDEM_PASSWORD;
        if (!password) throw new UsageError('Give the new password with --password or the TANDEM_PASSWORD environment variable');
        u = await admin.resetPassword(username, password);
      } else u = sub === 'disable' ? await admin.disableUser(username) : await admin.enableUser(username);
      if (!u) throw new UsageError(`No user ${username}`);
      const done = { disable: 'Disabled', enable: 'Enabled', 'reset-password': 'New password set for' }[sub];
      const after = sub === 'enable' ? '' : '; their sessions have ended';
      process.stdout.write(`${done} ${u.username} (${u.name})${after}\n`);
    });
    return;
  }
  if (sub !== 'add') throw new UsageError(`Unknown user command ${JSON.stringify(sub ?? '')}; use add, list, disable, enable, reset-password, unlock, require-mfa or reset-mfa`);
  if (!username || rest.length) throw new UsageError('Usage: user add <username> --role ROLE --name "Full Name" [--password P]');
  const role = Role.safeParse(values.role);
  if (!role.success) throw new UsageError(`--role must be one of ${ROLES.join(', ')}${values.role ? `, got ${JSON.stringify(values.role)}` : ''}`);
  if (!values.name) throw new UsageError('--name "Full Name" is required');
  const password = values.password ?? process.env.TANDEM_PASSWORD;
  if (!password) throw new UsageError('Give a password with --password or the TANDEM_PASSWORD environment variable');
  await withStorage(values, async (storage) => {
    const u = await cliAdmin(storage).addUser({ username, password, name: values.name ?? '', role: role.data, directLine: values['direct-line'] ?? null });
    process.stdout.write(`Added ${u.role} ${u.username} (${u.name}), id ${u.id}\n`);
  });
}

async function workstation(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, ['name']);
  const [sub, id, ...rest] = positionals;
  await withStorage(values, async (storage) => {
    const admin = cliAdmin(storage);
    if (sub === 'enroll') {
      if (id) throw new UsageError('workstation enroll takes no arguments; name it with --name');
      const token = await admin.createEnrollmentToken(values.name);
      process.stdout.write(`${token}\n`);
      process.stderr.write('One-time enrollment token (valid 24 hours). Enter it on the workstation.\n');
    } else if (sub === 'list') {
      for (const w of await admin.listWorkstations()) {
        const how = w.enrollmentKeyId ? `key ${w.enrollmentKeyId}` : 'one-time token';
        process.stdout.write(`${w.id}\t${w.name}\tenrolled ${w.enrolledAt} (${how}${w.machineBound ? ', machine-bound' : ''})${w.revoked ? `\tREVOKED ${w.revokedAt}` : ''}\n`);
      }
    } else if (sub === 'revoke') {
      if (!id || rest.length) throw new UsageError('Usage: workstation revoke <id>');
      if (!(await admin.revokeWorkstation(id))) throw new UsageError(`No workstation ${id}`);
      process.stdout.write(`Revoked ${id}\n`);
    } else {
      throw new UsageError(`Unknown workstation command ${JSON.stringify(sub ?? '')}; use enroll, list or revoke`);
    }
  });
}

function isoOption(name: string, v: string | undefined): string {
  if (!v) throw new UsageError(`--${name} DATE is required (e.g. 2026-12-01 or 2026-12-01T08:00:00Z)`);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO date or time, got ${JSON.stringify(v)}`);
  return new Date(ms).toISOString();
}

async function auditCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, ['from', 'to', 'out']);
  const [sub, ...rest] = positionals;
  if (rest.length) throw new UsageError(`audit ${sub} takes no arguments`);
  if (sub === 'verify') {
    return withStorage(values, async (storage) => {
      const report = await cliAdmin(storage).auditVerify();
      for (const r of report) {
        process.stdout.write(`${r.ok ? 'OK      ' : 'BROKEN  '}${r.source}\t${r.entries} entries${r.problem ? `\t${r.problem.message}` : ''}\n`);
      }
      const bad = report.filter((r) => !r.ok).length;
      process.stdout.write(bad ? `${bad} of ${report.length} audit chains are broken\n` : `All ${report.length} audit chains verified\n`);
      return bad ? 1 : 0;
    });
  }
  if (sub === 'export') {
    const from = isoOption('from', values.from);
    const to = isoOption('to', values.to);
    if (from >= to) throw new UsageError('--from must be before --to');
    const fd = values.out ? fs.openSync(values.out, 'wx', 0o600) : 1;
    try {
      const n = await withStorage(values, (storage) => cliAdmin(storage).auditExport(from, to, (chunk) => fs.writeSync(fd, chunk)));
      process.stderr.write(`${n} audit entries from ${from} to ${to}${values.out ? ` written to ${path.resolve(values.out)}` : ''}\n`);
    } finally {
      if (fd !== 1) fs.closeSync(fd);
    }
    return 0;
  }
  throw new UsageError(`Unknown audit command ${JSON.stringify(sub ?? '')}; use verify or export`);
}

async function dbKeyCommand(args: string[]): Promise<void> {
  const { positionals } = parse(args, []);
  const [sub, file, ...rest] = positionals;
  if (sub !== 'new' || !file || rest.length) throw new UsageError('Usage: db-key new <file>');
  try {
    writeNewKeyFile(path.resolve(file), (n) => crypto.randomBytes(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${file} already exists; a key file is never overwritten`);
    throw err;
  }
  process.stdout.write(`Wrote a new database key to ${path.resolve(file)} (mode 0600). Keep a copy somewhere safe: without it the database cannot be read.\n`);
}

async function session(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, []);
  const [sub, id, ...rest] = positionals;
  await withStorage(values, async (storage) => {
    const admin = cliAdmin(storage);
    if (sub === 'list') {
      if (id) throw new UsageError('session list takes no arguments');
      for (const s of await admin.listSessions()) {
        process.stdout.write(
          `${s.id}\t${s.username ?? s.userId}\t${s.workstationName ?? ''} (${s.workstationId})\tstarted ${s.createdAt}\texpires ${s.expiresAt}\n`,
        );
      }
    } else if (sub === 'revoke') {
      if (!id || rest.length) throw new UsageError('Usage: session revoke <id> (the id from "session list")');
      const n = await admin.revokeSession(id);
      if (!n) throw new UsageError(`No live session ${id}`);
      process.stdout.write(`Ended session ${id}\n`);
    } else {
      throw new UsageError(`Unknown session command ${JSON.stringify(sub ?? '')}; use list or revoke`);
    }
  });
}

async function status(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, []);
  if (positionals.length) throw new UsageError('status takes no arguments');
  const dir = dataDir(values);
  if (!databaseUrl(values) && !fs.existsSync(path.join(dir, DB_FILE_NAME))) {
    throw new UsageError(`No server data in ${dir} (run "serve" or "user add" first, or pass --data or --database)`);
  }
  await withStorage(values, async (storage) => {
    const s = await cliAdmin(storage).status();
    process.stdout.write(
      [
        `data:          ${s.location}${storage instanceof SqliteStorage ? (storage.encrypted ? ' (encrypted at rest)' : ' (NOT encrypted at rest)') : ''}`,
        `users:         ${s.users}`,
        `workstations:  ${s.workstations} (${s.revokedWorkstations} revoked)`,
        `replicas:      ${s.replicas}`,
        `sessions:      ${s.liveSessions} live`,
        `change log:    ${s.changes} ops, cursor ${s.cursor}`,
        `refused ops:   ${s.refused}`,
      ].join('\n') + '\n',
    );
  });
}

async function backupOrRestore(command: 'backup' | 'restore', args: string[]): Promise<void> {
  const { values, positionals } = parse(args, []);
  if (positionals.length !== 1) throw new UsageError(`Usage: ${command} <file> [--data DIR]`);
  if (databaseUrl(values)) {
    throw new UsageError(`${command} is for the SQLite database; on PostgreSQL use pg_dump / pg_restore and a streaming replica (src/server/README.md)`);
  }
  const file = path.resolve(positionals[0]);
  const db = path.join(dataDir(values), DB_FILE_NAME);
  if (command === 'backup') {
    const r = await backupSqliteDatabase(db, file, undefined, dbKey());
    process.stdout.write(`Backed up ${db} to ${r.file}: schema ${r.schema}, change log up to cursor ${r.cursor}, ${r.bytes} bytes\n`);
    return;
  }
  const r = await restoreSqliteDatabase(file, db, undefined, undefined, dbKey());
  process.stdout.write(
    `Restored ${db} from ${file}: schema ${r.schema}, change log up to cursor ${r.cursor}; new ops continue after cursor ${r.nextCursorAfter}\n` +
      (r.keptAs ? `The database it replaced is kept as ${r.keptAs}\n` : ''),
  );
}

async function cadKey(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, []);
  const [sub, name, ...rest] = positionals;
  if (rest.length) throw new UsageError(`cad-key ${sub} takes one name`);
  await withStorage(values, async (storage) => {
    const admin = cliAdmin(storage);
    if (sub === 'add') {
      if (!name) throw new UsageError('Usage: cad-key add <name>');
      const key = await admin.addCadKey(name);
      process.stdout.write(`${key}\n`);
      process.stderr.write(`API key for CAD "${name}": shown once, only its hash is kept. The CAD sends it as "authorization: Bearer <key>" on POST /eido.\n`);
    } else if (sub === 'list') {
      if (name) throw new UsageError('cad-key list takes no arguments');
      for (const k of await admin.listCadKeys()) {
        process.stdout.write(`${k.name}\tcreated ${k.createdAt}\tlast used ${k.lastUsedAt ?? 'never'}${k.revoked ? `\tREVOKED ${k.revokedAt ?? ''}` : ''}\n`);
      }
    } else if (sub === 'revoke') {
      if (!name) throw new UsageError('Usage: cad-key revoke <name>');
      if (!(await admin.revokeCadKey(name))) throw new UsageError(`No CAD key ${name}`);
      process.stdout.write(`Revoked CAD key ${name}\n`);
    } else {
      throw new UsageError(`Unknown cad-key command ${JSON.stringify(sub ?? '')}; use add, list or revoke`);
    }
  });
}

async function enrollmentKey(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, ['grace-days', 'workstations']);
  const [sub, name, ...rest] = positionals;
  if (rest.length) throw new UsageError(`enrollment-key ${sub} takes one name`);
  await withStorage(values, async (storage) => {
    const admin = cliAdmin(storage);
    if (sub === 'add') {
      if (!name) throw new UsageError('Usage: enrollment-key add <name>');
      const { key, info } = await admin.addEnrollmentKey(name);
      process.stdout.write(`${key}\n`);
      process.stderr.write(`Site enrollment key "${info.name}" (${info.id}): shown once, only its hash is kept. Put it in the machine policy as "enrollmentKey".\n`);
    } else if (sub === 'rotate') {
      if (!name) throw new UsageError('Usage: enrollment-key rotate <name> [--grace-days N]');
      const days = intOption('grace-days', values['grace-days'], 0, 90) ?? 7;
      const { key, info, expiredOld } = await admin.rotateEnrollmentKey(name, days * 86_400_000);
      process.stdout.write(`${key}\n`);
      process.stderr.write(`New key for "${info.name}" (${info.id}). ${expiredOld} older key(s) stop enrolling in ${days} day(s); enrolled machines are not affected.\n`);
    } else if (sub === 'revoke') {
      if (!name) throw new UsageError('Usage: enrollment-key revoke <name|id> [--workstations revoke]');
      if (values.workstations !== undefined && values.workstations !== 'revoke') throw new UsageError('--workstations takes the word "revoke"');
      const r = await admin.revokeEnrollmentKey(name, { workstations: values.workstations === 'revoke' });
      if (r.keys.length === 0) throw new UsageError(`No enrollment key ${name}`);
      process.stdout.write(`Revoked enrollment key(s) ${r.keys.join(', ')}${values.workstations ? `; revoked ${r.workstations.length} workstation(s)` : ''}\n`);
    } else if (sub === 'list') {
      if (name) throw new UsageError('enrollment-key list takes no arguments');
      for (const k of await admin.listEnrollmentKeys()) {
        process.stdout.write(
          `${k.name}\t${k.id}\tcreated ${k.createdAt}\tused ${k.uses}x, last ${k.lastUsedAt ?? 'never'}${k.expiresAt ? `\texpires ${k.expiresAt}` : ''}${k.revokedAt ? `\tREVOKED ${k.revokedAt}` : ''}\n`,
        );
      }
    } else {
      throw new UsageError(`Unknown enrollment-key command ${JSON.stringify(sub ?? '')}; use add, rotate, revoke or list`);
    }
  });
}

async function eidoRejected(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, ['limit', 'raw']);
  if (positionals.length) throw new UsageError('eido-rejected takes no arguments');
  const limit = intOption('limit', values.limit, 1, 10_000) ?? 20;
  const rawId = intOption('raw', values.raw, 1, Number.MAX_SAFE_INTEGER);
  await withStorage(values, async (storage) => {
    const rows = await cliAdmin(storage).eidoRejections(rawId ? 10_000 : limit);
    if (rawId) {
      const row = rows.find((r) => r.id === rawId);
      if (!row) throw new UsageError(`No refused document ${rawId} among the latest 10000`);
      process.stdout.write(Buffer.from(row.raw));
      return;
    }
    for (const r of rows) {
      process.stdout.write(
        `${r.id}\t${r.receivedAt}\t${r.cadKey ?? r.source}\t${r.code}\t${r.bytes} bytes${r.truncated ? ' (head kept)' : ''}\t${r.message}\n`,
      );
    }
  });
}

/** Where an import's problem list goes without --problems: <data>/hsds-imports/hsds-import-<time>-problems.csv. */
function defaultProblemsFile(data: string): string {
  return path.join(data, 'hsds-imports', `hsds-import-${new Date().toISOString().replace(/[:.]/g, '-')}-problems.csv`);
}

async function importHsdsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, ['problems']);
  if (positionals.length !== 1) throw new UsageError('Usage: import-hsds <dir> [--problems FILE]');
  const dir = path.resolve(positionals[0]);
  const report = await withStorage(values, (storage) => importHsds(storage, dir));
  process.stdout.write(`${importHsdsText(dir, report)}\n`);
  // The full list always goes to a file: --problems FILE, else one per import beside the data.
  const problemsFile = values.problems ?? (report.problems.length > 0 ? defaultProblemsFile(dataDir(values)) : null);
  if (problemsFile) {
    fs.mkdirSync(path.dirname(path.resolve(problemsFile)), { recursive: true });
    writeProblemsCsv(problemsFile, report.problems);
    process.stdout.write(`\n${report.problems.length} problems written to ${path.resolve(problemsFile)}\n`);
  }
  return 0;
}

async function importEido(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const strict = args.includes('--strict');
  const { values, positionals } = parse(
    args.filter((a) => a !== '--json' && a !== '--strict'),
    ['rules', 'post', 'key'],
  );
  const [file, ...rest] = positionals;
  if (!file || rest.length) throw new UsageError('Usage: import-eido <file> [--json] [--strict] [--rules FILE] [--post URL --key CADKEY]');
  if (Boolean(values.post) !== Boolean(values.key)) throw new UsageError('--post and --key go together');
  let rules;
  try {
    rules = loadEligibilityRules(values.rules);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const report = importEidoFile(file, rules, { strict });
  const refused = report.results.some((r) => !r.ok);
  if (json) process.stdout.write(`${JSON.stringify(importJson(report), null, 2)}\n`);
  const text = importText(report);
  if (!json && text.out) process.stdout.write(`${text.out}\n`);
  if (text.err) process.stderr.write(`${text.err}\n`);
  if (refused) return 1;
  if (!values.post || !values.key) return 0;
  let answer;
  try {
    answer = await postEidoFile(file, values.post, values.key);
  } catch (err) {
    process.stderr.write(`POST to ${values.post} failed: ${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`POST ${values.post}: HTTP ${answer.status} ${answer.text}\n`);
  return answer.status >= 200 && answer.status < 300 ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return command ? 0 : 2;
    }
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    switch (command) {
      case 'serve':
        await serve(args);
        return 0;
      case 'user':
        await user(args);
        return 0;
      case 'workstation':
        await workstation(args);
        return 0;
      case 'session':
        await session(args);
        return 0;
      case 'audit':
        return await auditCommand(args);
      case 'db-key':
        await dbKeyCommand(args);
        return 0;
      case 'status':
        await status(args);
        return 0;
      case 'backup':
      case 'restore':
        await backupOrRestore(command, args);
        return 0;
      case 'cad-key':
        await cadKey(args);
        return 0;
      case 'enrollment-key':
        await enrollmentKey(args);
        return 0;
      case 'eido-rejected':
        await eidoRejected(args);
        return 0;
      case 'import-eido':
        return await importEido(args);
      case 'import-hsds':
        return await importHsdsCommand(args);
      default:
        throw new UsageError(`Unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ServerError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    process.stderr.write(`${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
