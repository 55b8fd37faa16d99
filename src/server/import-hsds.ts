import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parseHsdsPackage, HsdsImportError, type HsdsRejectedRow } from '../shared/directory';
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
  const report: HsdsImportReport = { services: parsed.services.length, added: 0, updated: 0, unchanged: 0, rejected: parsed.rejected };
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
