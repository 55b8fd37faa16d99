import fs from 'node:fs';
import path from 'node:path';

/**
 * The public reference data the demo and the tests read (a NENA EIDO sample and schema, the
 * Open Referral HSDS 3 example package), kept in the repository under reference-data/ so a
 * clone works alone; reference-data/README.md says where each file came from.
 */
export const REFERENCE_FILES = {
  eidoSample: 'eido/nena-sample-call-transfer.eido.json',
  eidoSchema: 'eido/nena-eido-openapi.yaml',
  hsdsCsv: 'hsds/csv',
  hsdsSchema: 'hsds/schema',
} as const;
export type ReferenceFile = keyof typeof REFERENCE_FILES;

export function referencePath(repoRoot: string, file: ReferenceFile): string {
  return path.resolve(repoRoot, 'reference-data', REFERENCE_FILES[file]);
}

/** The path of a reference file or folder, or a clear error naming what is missing and how to get it back. */
export function requireReference(repoRoot: string, file: ReferenceFile): string {
  const p = referencePath(repoRoot, file);
  if (!fs.existsSync(p)) {
    throw new Error(`Reference data missing: ${path.relative(repoRoot, p)} (restore it with \`git checkout -- reference-data\`)`);
  }
  return p;
}
