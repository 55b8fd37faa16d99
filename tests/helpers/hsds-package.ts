import fs from 'node:fs';
import path from 'node:path';
import { requireReference } from '../../src/launch/reference-data';

/**
 * Writes a small Open Referral HSDS 3 tabular package (CSV) for tests and benchmarks:
 * organizations, services, phones, languages, taxonomy terms, attributes and schedules.
 */
export interface SyntheticService {
  id: string;
  name: string;
  organization?: string;
  description?: string;
  status?: string;
  languages?: { name: string; code: string }[];
  minAge?: number;
  maxAge?: number;
  terms?: { id: string; code: string; name: string }[];
  /** Weekly opening hours; timezone as HSDS writes it (an offset or a zone name). */
  schedule?: { byday: string; opens: string; closes: string; timezone?: string };
  phone?: string;
  address?: string;
  assuredDate?: string;
  lastModified?: string;
}

function cell(value: string | number | undefined): string {
  const s = value === undefined ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: (string | number | undefined)[][]): string {
  return [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

export function hsdsFiles(services: SyntheticService[]): Record<string, string> {
  const orgs = new Map<string, string>();
  const terms = new Map<string, { id: string; code: string; name: string }>();
  for (const s of services) {
    const org = s.organization ?? 'Community Services Org';
    if (!orgs.has(org)) orgs.set(org, `org-${orgs.size + 1}`);
    for (const t of s.terms ?? []) terms.set(t.id, t);
  }
  const files: Record<string, string> = {};
  files['organizations.csv'] = csv(['id', 'name'], [...orgs].map(([name, id]) => [id, name]));
  files['services.csv'] = csv(
    ['id', 'organization_id', 'name', 'description', 'status', 'minimum_age', 'maximum_age', 'assured_date', 'last_modified'],
    services.map((s) => [
      s.id,
      orgs.get(s.organization ?? 'Community Services Org'),
      s.name,
      s.description ?? '',
      s.status ?? 'active',
      s.minAge,
      s.maxAge,
      s.assuredDate,
      s.lastModified,
    ]),
  );
  files['phones.csv'] = csv(
    ['id', 'service_id', 'number', 'type'],
    services.filter((s) => s.phone).map((s) => [`ph-${s.id}`, s.id, s.phone, 'voice']),
  );
  files['languages.csv'] = csv(
    ['id', 'service_id', 'name', 'code'],
    services.flatMap((s) => (s.languages ?? []).map((l, i) => [`lang-${s.id}-${i}`, s.id, l.name, l.code])),
  );
  files['taxonomy_terms.csv'] = csv(['id', 'code', 'name', 'taxonomy'], [...terms.values()].map((t) => [t.id, t.code, t.name, 'Tandem test']));
  files['attributes.csv'] = csv(
    ['id', 'link_id', 'taxonomy_term_id', 'link_type', 'link_entity'],
    services.flatMap((s) => (s.terms ?? []).map((t, i) => [`attr-${s.id}-${i}`, s.id, t.id, 'service_type', 'service'])),
  );
  files['schedules.csv'] = csv(
    ['id', 'service_id', 'freq', 'byday', 'opens_at', 'closes_at', 'timezone'],
    services
      .filter((s) => s.schedule)
      .map((s) => [`sch-${s.id}`, s.id, 'WEEKLY', s.schedule!.byday, s.schedule!.opens, s.schedule!.closes, s.schedule!.timezone]),
  );
  const withAddress = services.filter((s) => s.address);
  files['locations.csv'] = csv(['id', 'name'], withAddress.map((s) => [`loc-${s.id}`, `${s.name} office`]));
  files['addresses.csv'] = csv(
    ['id', 'location_id', 'address_1', 'city', 'state_province', 'postal_code', 'country', 'address_type'],
    withAddress.map((s) => [`addr-${s.id}`, `loc-${s.id}`, s.address, 'Cambridge', 'MA', '02139', 'US', 'physical']),
  );
  files['service_at_location.csv'] = csv(['id', 'service_id', 'location_id'], withAddress.map((s) => [`sal-${s.id}`, s.id, `loc-${s.id}`]));
  return files;
}

export function writeHsdsPackage(dir: string, services: SyntheticService[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(hsdsFiles(services))) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** The HSDS 3 example package in the repository (reference-data/hsds/csv); a clear error when it is missing. */
export function shippedHsdsDir(repoRoot: string): string {
  return requireReference(repoRoot, 'hsdsCsv');
}

export function copyDir(from: string, to: string): string {
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    const src = path.join(from, name);
    if (fs.statSync(src).isFile()) {
      fs.writeFileSync(path.join(to, name), fs.readFileSync(src));
      fs.chmodSync(path.join(to, name), 0o644);
    }
  }
  return to;
}
