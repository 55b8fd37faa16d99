import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ROLES, Role } from '../shared/roles';
import { createAdmin } from './admin';
import { createSyncServer, DB_FILE_NAME, loadEligibilityRules } from './app';
import { importEidoFile, importJson, importText, postEidoFile } from './import-eido';
import { ServerError } from './errors';
import { importHsds, importHsdsText, writeProblemsCsv } from './import-hsds';
import { SqliteStorage } from './storage/sqlite';

/**
 * `npm run server -- <command>`: serve, user add, workstation enroll|list|revoke, status.
 * Data lives in --data DIR, else $TANDEM_SERVER_DATA, else ./.tandem-server.
 */
const USAGE = `Usage: npm run server -- <command> [options]

Commands:
  serve [--port N] [--host H] [--data DIR] [--cert FILE --key FILE]
        [--handoff-timeout MS] [--direct-line NUMBER] [--eligibility-rules FILE] [--eido-strict]
                                  run the sync server (default 127.0.0.1, port 8443 with TLS, else 8080);
                                  --eido-strict: POST /eido refuses a document with any problem,
                                  even one Tandem could repair (a site's policy)
  user add <username> --role ROLE --name "Full Name" [--password P] [--direct-line NUMBER]
                                  add a user (password from --password or $TANDEM_PASSWORD)
                                  ROLE is one of ${ROLES.join(', ')}
  user list                       list users
  workstation enroll [--name N]   print a one-time enrollment token
  workstation list                list enrolled workstations
  workstation revoke <id>         revoke a workstation and end its sessions
  status                          users, workstations and change-log counts
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

Every command takes --data DIR (default $TANDEM_SERVER_DATA or ./.tandem-server).`;

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
function parse<K extends string>(args: string[], names: readonly K[]): { values: Partial<Record<K | 'data', string>>; positionals: string[] } {
  const options: Record<string, { type: 'string' }> = { data: { type: 'string' } };
  for (const n of names) options[n] = { type: 'string' };
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Partial<Record<K | 'data', string>>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function withStorage<T>(dir: string, fn: (storage: SqliteStorage) => Promise<T>): Promise<T> {
  const storage = new SqliteStorage(path.join(dir, DB_FILE_NAME));
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
  const { values, positionals } = parse(args, ['port', 'host', 'cert', 'key', 'handoff-timeout', 'direct-line', 'eligibility-rules']);
  if (positionals.length) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
  if (Boolean(values.cert) !== Boolean(values.key)) throw new UsageError('--cert and --key go together');
  const tls = values.cert && values.key ? { cert: fs.readFileSync(values.cert), key: fs.readFileSync(values.key) } : undefined;
  const port = intOption('port', values.port, 0, 65535) ?? (tls ? 8443 : 8080);
  const handoffTimeoutMs = intOption('handoff-timeout', values['handoff-timeout'], 1000, 600_000);
  const logger = pino({ level: process.env.TANDEM_LOG_LEVEL ?? 'info', name: 'tandem-server' });
  const server = await createSyncServer({
    dataDir: dataDir(values),
    host: values.host ?? '127.0.0.1',
    port,
    tls,
    handoffTimeoutMs,
    clinicianDirectLine: values['direct-line'] ?? process.env.TANDEM_CLINICIAN_DIRECT_LINE ?? null,
    logger,
    eligibilityRulesFile: values['eligibility-rules'],
    eidoStrict,
  });
  if (eidoStrict) logger.info('EIDO intake is strict: a document with any problem is refused, even one Tandem could repair');
  if (!tls) logger.warn('TLS is off: use --cert and --key anywhere but a single machine');
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

async function user(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, ['role', 'name', 'password', 'direct-line']);
  const [sub, username, ...rest] = positionals;
  if (sub === 'list') {
    await withStorage(dataDir(values), async (storage) => {
      for (const u of await createAdmin(storage).listUsers()) {
        process.stdout.write(`${u.username}\t${u.role}\t${u.name}${u.directLine ? `\t${u.directLine}` : ''}\n`);
      }
    });
    return;
  }
  if (sub !== 'add') throw new UsageError(`Unknown user command ${JSON.stringify(sub ?? '')}; use "user add" or "user list"`);
  if (!username || rest.length) throw new UsageError('Usage: user add <username> --role ROLE --name "Full Name" [--password P]');
  const role = Role.safeParse(values.role);
  if (!role.success) throw new UsageError(`--role must be one of ${ROLES.join(', ')}${values.role ? `, got ${JSON.stringify(values.role)}` : ''}`);
  if (!values.name) throw new UsageError('--name "Full Name" is required');
  const password = values.password ?? process.env.TANDEM_PASSWORD;
  if (!password) throw new UsageError('Give a password with --password or the TANDEM_PASSWORD environment variable');
  await withStorage(dataDir(values), async (storage) => {
    const u = await createAdmin(storage).addUser({ username, password, name: values.name ?? '', role: role.data, directLine: values['direct-line'] ?? null });
    process.stdout.write(`Added ${u.role} ${u.username} (${u.name}), id ${u.id}\n`);
  });
}

async function workstation(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, ['name']);
  const [sub, id, ...rest] = positionals;
  await withStorage(dataDir(values), async (storage) => {
    const admin = createAdmin(storage);
    if (sub === 'enroll') {
      if (id) throw new UsageError('workstation enroll takes no arguments; name it with --name');
      const token = await admin.createEnrollmentToken(values.name);
      process.stdout.write(`${token}\n`);
      process.stderr.write('One-time enrollment token (valid 24 hours). Enter it on the workstation.\n');
    } else if (sub === 'list') {
      for (const w of await admin.listWorkstations()) {
        process.stdout.write(`${w.id}\t${w.name}\tenrolled ${w.enrolledAt}${w.revoked ? `\tREVOKED ${w.revokedAt}` : ''}\n`);
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

async function status(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, []);
  if (positionals.length) throw new UsageError('status takes no arguments');
  const dir = dataDir(values);
  if (!fs.existsSync(path.join(dir, DB_FILE_NAME))) throw new UsageError(`No server data in ${dir} (run "serve" or "user add" first, or pass --data)`);
  await withStorage(dir, async (storage) => {
    const s = await createAdmin(storage).status();
    process.stdout.write(
      [
        `data:          ${s.location}`,
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

async function cadKey(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, []);
  const [sub, name, ...rest] = positionals;
  if (rest.length) throw new UsageError(`cad-key ${sub} takes one name`);
  await withStorage(dataDir(values), async (storage) => {
    const admin = createAdmin(storage);
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

async function eidoRejected(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, ['limit', 'raw']);
  if (positionals.length) throw new UsageError('eido-rejected takes no arguments');
  const limit = intOption('limit', values.limit, 1, 10_000) ?? 20;
  const rawId = intOption('raw', values.raw, 1, Number.MAX_SAFE_INTEGER);
  await withStorage(dataDir(values), async (storage) => {
    const rows = await createAdmin(storage).eidoRejections(rawId ? 10_000 : limit);
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
  const report = await withStorage(dataDir(values), (storage) => importHsds(storage, dir));
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
      case 'status':
        await status(args);
        return 0;
      case 'cad-key':
        await cadKey(args);
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
