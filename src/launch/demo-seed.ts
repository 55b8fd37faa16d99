import fs from 'node:fs';
import path from 'node:path';
import type { Core } from '../main/core';
import type { Role } from '../shared/roles';
import { referencePath } from './reference-data';

/**
 * Sample data for a fresh demo profile: a few incidents for the dispatcher and a small
 * caseload for the clinician, so a newcomer sees a working console at once. Runs once
 * per profile, through the same requests the UI makes.
 */
const INCIDENTS = [
  { type: 'Welfare check — suicidal statements', location: '1200 Massachusetts Ave, Apt 4B', callbackNumber: '617-555-0188', callerName: 'Jordan M. (sister)', priority: '2', notes: 'Sister reports brother texted goodbye messages; no weapons known.' },
  { type: 'Anxiety / panic attack', location: '45 Prospect St', callbackNumber: '617-555-0123', callerName: 'Alex Kim', priority: '3', notes: 'Caller hyperventilating, asking to talk to someone.' },
  { type: 'Disturbance — person yelling in street', location: 'Central Sq near the T entrance', callbackNumber: '617-555-0199', callerName: 'Store clerk', priority: '3', notes: 'Man shouting at passers-by, no weapon seen.' },
];

const CASES = [
  { name: 'Riley Thompson', phones: ['617-555-0150'], reason: 'Call-back after crisis call: passive suicidal ideation', risk: 'moderate', origin: 'live_call', overdueHours: 5 },
  { name: 'Maria Gonzalez', phones: ['617-555-0161'], reason: 'Connect to outpatient counseling (Spanish-speaking)', risk: 'low', origin: 'followup_request', language: 'Spanish' },
  { name: 'Dev Sharma', phones: ['617-555-0172'], reason: 'Repeated 911 calls for anxiety; short-term case management', risk: 'low', origin: 'referral_in' },
  { name: 'Pat O\u2019Neil', phones: ['617-555-0183'], reason: 'Housing insecurity, requested shelter referral', risk: 'unknown', origin: 'manual' },
] as const;

/**
 * The Open Referral HSDS example in the repository (reference-data/hsds/csv), imported as the
 * demo's service directory. When it is missing the demo says so, loudly, instead of running
 * with an empty directory that looks like a working one.
 */
export function demoHsdsDir(repoRoot: string = process.cwd(), warn: (line: string) => void = console.warn): string | null {
  const dir = referencePath(repoRoot, 'hsdsCsv');
  if (fs.existsSync(path.join(dir, 'services.csv'))) return dir;
  warn(
    `Demo: the sample service directory is missing (expected ${path.join(dir, 'services.csv')}); ` +
      'the clinician console\'s directory will be empty. Restore it with `git checkout -- reference-data`.',
  );
  return null;
}

export interface SeedOptions {
  /** Folder of an HSDS package for the clinician's service directory; default: demoHsdsDir(). */
  hsdsDir?: string | null;
}

export async function seedDemo(core: Core, roles: Role[], opts: SeedOptions = {}): Promise<void> {
  if (roles.includes('clinician')) await seedDirectory(core, opts.hsdsDir === undefined ? demoHsdsDir() : opts.hsdsDir);
  if (core.store.metaGet('demoSeeded')) return;
  if (roles.includes('dispatcher')) {
    await core.call('session.demoSignIn', { role: 'dispatcher' });
    for (const incident of INCIDENTS) await core.call('incident.create', incident);
    await core.call('session.signOut', {});
  }
  if (roles.includes('clinician')) {
    await core.call('session.demoSignIn', { role: 'clinician' });
    for (const c of CASES) {
      const created = (await core.call('case.create', {
        person: { name: c.name, phones: [...c.phones], ...('language' in c ? { language: c.language } : {}) },
        origin: c.origin,
        reason: c.reason,
        risk: c.risk,
      })) as { id: string };
      if ('overdueHours' in c) {
        core.store.write('case', created.id, { dueAt: new Date(Date.now() - c.overdueHours * 3600_000).toISOString() });
      }
    }
    await core.call('session.signOut', {});
  }
  core.store.metaSet('demoSeeded', new Date().toISOString());
}

/**
 * The clinician console's service directory: imported once per profile by the demo supervisor through
 * directory.import, the same request the console makes (so the rows sync like any other).
 */
async function seedDirectory(core: Core, dir: string | null): Promise<void> {
  if (!dir || core.store.metaGet('demoDirectoryImported')) return;
  // Directory changes reach every console: a role that manages the directory imports it.
  await core.call('session.demoSignIn', { role: 'supervisor' });
  try {
    const report = (await core.call('directory.import', { dir })) as { services: number; rejected: unknown[] };
    core.store.metaSet('demoDirectoryImported', new Date().toISOString());
    if (report.rejected.length) console.warn(`Demo directory: ${report.rejected.length} rows of ${dir} were rejected`);
  } catch (err) {
    console.warn(`Demo directory: could not import ${dir}: ${(err as Error).message}`);
  } finally {
    await core.call('session.signOut', {});
  }
}
