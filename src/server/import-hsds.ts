import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parseHsdsPackage, problemsCsv, HsdsImportError, type HsdsProblem, type HsdsRejectedRow, type HsdsSummary, type HsdsWarning } from '../shared/directory';
import { DEFAULT_MAX_DRIFT_MS } from './app';
import { SyncEngine } from './sync';
import type { ServerStorage } from './storage/types';

/**
 * `npm run server -- import-hsds <dir>`: the ECC's service directory from an Open Referral
 * HSDS tabular package, written as the server's own ops so that every clinician console
 * receives it by sync. A service whose content hash is unchanged is not written, so a
 * second import of the same package changes nothing.
 */
export interface HsdsImportReport {
  services: number;
  added: number;
  updated: number;
  unchanged: number;
  rejected: HsdsRejectedRow[];
  warnings: HsdsWarning[];
  /** Per table: rows read, imported, repaired, rejected, ignored, with the reasons counted. */
  summary: HsdsSummary;
  /** Every problem, for `--problems FILE`. */
  problems: HsdsProblem[];
}

const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function readHsdsFolder(dir: string): Record<string, string> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir)) {
    const lower = name.toLowerCase();
    if (!lower.endsWith('.csv') && lower !== 'datapackage.json') continue;
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile()) continue;
    if (fs.statSync(file).size > MAX_FILE_BYTES) throw new Error(`${name} is larger than ${MAX_FILE_BYTES / 2 ** 20} MiB`);
    files[name] = fs.readFileSync(file, 'utf8');
  }
  if (Object.keys(files).length === 0) throw new Error(`No HSDS CSV files in ${dir}`);
  return files;
}

export async function importHsds(storage: ServerStorage, dir: string, now: () => number = Date.now): Promise<HsdsImportReport> {
  let parsed;
  try {
    parsed = parseHsdsPackage(readHsdsFolder(dir));
  } catch (err) {
    if (err instanceof HsdsImportError) throw new Error(`This package cannot be imported: ${err.message}`);
    throw err;
  }
  const engine = new SyncEngine(storage, { maxDriftMs: DEFAULT_MAX_DRIFT_MS, now, logger: pino({ level: 'silent' }) });
  await engine.init();
  const report: HsdsImportReport = {
    services: parsed.services.length,
    added: 0,
    updated: 0,
    unchanged: 0,
    rejected: parsed.rejected,
    warnings: parsed.warnings,
    summary: parsed.summary,
    problems: parsed.problems,
  };
  await storage.transaction(async (tx) => {
    for (const s of parsed.services) {
      const current = await tx.getEntity('resource_service', s.id);
      if (current?.data.contentHash === s.contentHash) {
        report.unchanged++;
        continue;
      }
      await engine.writeServerOp(tx, 'resource_service', s.id, { name: s.name, record: s, contentHash: s.contentHash });
      if (current) report.updated++;
      else report.added++;
    }
  });
  return report;
}

/** The summary a person reads after `import-hsds`: what came in, per table, and why the rest did not. */
export function importHsdsText(dir: string, r: HsdsImportReport): string {
  const s = r.summary;
  const lines = [
    `Imported ${r.services} services from ${dir} (${s.layout}): ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged`,
    `  ${s.services.withPhone} with a phone, ${s.services.withAddress} with an address, ${s.services.withHours} with opening hours` +
      (s.services.organizationUnknown ? `, ${s.services.organizationUnknown} with the organization unknown` : ''),
    '',
    `  ${'table'.padEnd(22)} ${'read'.padStart(7)} ${'imported'.padStart(9)} ${'repaired'.padStart(9)} ${'rejected'.padStart(9)} ${'ignored'.padStart(8)}`,
  ];
  for (const t of s.tables) {
    lines.push(`  ${t.table.padEnd(22)} ${String(t.read).padStart(7)} ${String(t.imported).padStart(9)} ${String(t.repaired).padStart(9)} ${String(t.rejected).padStart(9)} ${String(t.ignored).padStart(8)}`);
  }
  const reasons = (label: string, list: HsdsSummary['tables'][number]['rejections'], file: string) =>
    list.map((x) => `  ${label} ${file}: ${x.count} × ${x.reason} (line${x.lines.length > 1 ? 's' : ''} ${x.lines.join(', ')}${x.count > x.lines.length ? ', …' : ''})`);
  const detail = s.tables.flatMap((t) => [...reasons('rejected', t.rejections, t.file), ...reasons('repaired', t.repairs, t.file), ...reasons('ignored ', t.ignoredBecause, t.file)]);
  if (detail.length) lines.push('', ...detail);
  if (s.ignoredFiles.length) lines.push('', ...s.ignoredFiles.map((f) => `  not read: ${f.file}: ${f.reason}`));
  if (s.notes.length) lines.push('', ...s.notes.map((n) => `  note: ${n}`));
  return lines.join('\n');
}

/** Writes every problem (table, file, line, outcome, reason) as CSV. */
export function writeProblemsCsv(file: string, problems: readonly HsdsProblem[]): void {
  fs.writeFileSync(file, problemsCsv(problems));
}
