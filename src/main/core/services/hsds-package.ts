import fs from 'node:fs';
import path from 'node:path';
import { HsdsImportError, parseHsdsPackage, type HsdsParseResult, type HsdsProgress } from '../../../shared/directory';

/**
 * Reading an HSDS package folder on this workstation and parsing it: the part of a directory
 * import that costs seconds for a large directory. It runs on a worker thread
 * (hsds-worker.ts) so the core keeps answering the console meanwhile; the same code runs
 * inline when no worker can be started.
 */

/** Largest file of a package we read (a whole region's directory is a few tens of MB). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A refusal of the package itself, with what the console shows. */
export class PackageError extends Error {
  override readonly name = 'PackageError';
  constructor(
    message: string,
    readonly details?: { file: string; code: string },
  ) {
    super(message);
  }
}

export type PackageProgress = { stage: 'reading'; step: string; done: number; total: number } | (HsdsProgress & { stage: HsdsProgress['stage'] });

/** Reads the CSV files (and datapackage.json) of one folder, not its subfolders. */
export function readPackageFolder(dir: string, onProgress: (p: PackageProgress) => void = () => {}): Record<string, string> {
  let names: fs.Dirent[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw new PackageError(`${dir} is not a folder`);
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err instanceof PackageError) throw err;
    throw new PackageError(`Cannot read the folder ${dir}: ${(err as Error).message}`);
  }
  const wanted = names.filter((e) => {
    const lower = e.name.toLowerCase();
    return e.isFile() && (lower.endsWith('.csv') || lower === 'datapackage.json');
  });
  if (wanted.length === 0) throw new PackageError(`No HSDS CSV files in ${dir}`);
  const files: Record<string, string> = {};
  wanted.forEach((e, i) => {
    const file = path.join(dir, e.name);
    const size = fs.statSync(file).size;
    if (size > MAX_FILE_BYTES) throw new PackageError(`${e.name} is ${Math.round(size / 1e6)} MB; the limit is ${MAX_FILE_BYTES / 1e6} MB`);
    files[e.name] = fs.readFileSync(file, 'utf8');
    onProgress({ stage: 'reading', step: `read ${e.name}`, done: i + 1, total: wanted.length });
  });
  return files;
}

/** Reads and parses a package; a package that cannot be imported at all is a PackageError. */
export function readAndParse(dir: string, onProgress: (p: PackageProgress) => void = () => {}): HsdsParseResult {
  const files = readPackageFolder(dir, onProgress);
  try {
    return parseHsdsPackage(files, { onProgress });
  } catch (err) {
    if (err instanceof HsdsImportError) throw new PackageError(`This package cannot be imported: ${err.message}`, { file: err.file, code: err.code });
    throw err;
  }
}
