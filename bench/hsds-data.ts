/**
 * A generated HSDS 3 package the size of a large regional directory: organizations,
 * services at one or two shared locations, addresses, phones of services, locations and
 * organizations, languages, taxonomy terms and weekly schedules. Deterministic for a seed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { rng } from './caseload-data';

const PLACES = ['Harbor', 'Riverside', 'Northgate', 'Elm Street', 'Union Square', 'Lakeview', 'Central', 'Westfield', 'Maplewood', 'Cedar Hill', 'Bayside', 'Oakdale'];
const KINDS = [
  ['Counseling Center', 'counseling therapy mental health support for adults and families'],
  ['Crisis Line', 'crisis hotline suicide prevention 24 hour support'],
  ['Food Pantry', 'food pantry groceries meals for households'],
  ['Shelter', 'emergency shelter housing for people experiencing homelessness'],
  ['Legal Aid', 'legal help eviction defense benefits appeals attorney'],
  ['Recovery Services', 'substance use recovery detox peer support'],
  ['Youth Program', 'youth teen mentoring after school'],
  ['Senior Services', 'older adults senior meals and caregiver support'],
  ['Clinic', 'medical clinic primary care nurse visits'],
  ['Veterans Outreach', 'veterans military families benefits'],
  ['Family Violence Program', 'domestic violence advocacy safety planning'],
  ['Transit Assistance', 'transportation bus pass rides to appointments'],
];
const LANGUAGES = [['English', 'en'], ['Spanish', 'es'], ['Haitian Creole', 'ht'], ['Portuguese', 'pt'], ['Vietnamese', 'vi'], ['Chinese', 'zh'], ['Arabic', 'ar']];
const HOURS = [
  ['MO,TU,WE,TH,FR', '09:00', '17:00'],
  ['MO,TU,WE,TH,FR', '08:30', '16:30'],
  ['MO,WE,FR', '10:00', '14:00'],
  ['SA,SU', '10:00', '16:00'],
  ['MO,TU,WE,TH,FR,SA,SU', '00:00', '00:00'],
  ['TU,TH', '18:00', '21:00'],
  ['FR,SA', '22:00', '02:00'],
];
const ZONES = ['America/New_York', 'America/New_York', 'America/New_York', 'UTC-05:00', ''];

function cell(value: string | number | undefined): string {
  const s = value === undefined ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes CSV rows as they are made, so 40,000 services never sit in memory as text twice. */
class CsvWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  constructor(file: string, header: string[]) {
    this.fd = fs.openSync(file, 'w');
    this.row(header);
  }
  row(values: (string | number | undefined)[]): void {
    this.buffer.push(values.map(cell).join(','));
    if (this.buffer.length >= 5000) this.flush();
  }
  private flush(): void {
    fs.writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

export interface GeneratedPackage {
  dir: string;
  services: number;
  locations: number;
  bytes: number;
}

export function writeDirectoryPackage(dir: string, services: number, seed = 42): GeneratedPackage {
  fs.mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const w = (name: string, header: string[]) => new CsvWriter(path.join(dir, name), header);
  const orgs = w('organizations.csv', ['id', 'name', 'description', 'email', 'website']);
  const svcs = w('services.csv', ['id', 'organization_id', 'name', 'description', 'status', 'minimum_age', 'maximum_age', 'assured_date', 'last_modified']);
  const locs = w('locations.csv', ['id', 'organization_id', 'name', 'latitude', 'longitude']);
  const addrs = w('addresses.csv', ['id', 'location_id', 'address_1', 'city', 'state_province', 'postal_code', 'country', 'address_type']);
  const sals = w('service_at_location.csv', ['id', 'service_id', 'location_id']);
  const phones = w('phones.csv', ['id', 'location_id', 'service_id', 'organization_id', 'number', 'type']);
  const langs = w('languages.csv', ['id', 'service_id', 'name', 'code']);
  const terms = w('taxonomy_terms.csv', ['id', 'code', 'name', 'taxonomy']);
  const attrs = w('attributes.csv', ['id', 'link_id', 'taxonomy_term_id', 'link_type', 'link_entity']);
  const scheds = w('schedules.csv', ['id', 'service_id', 'service_at_location_id', 'freq', 'byday', 'opens_at', 'closes_at', 'timezone']);

  KINDS.forEach(([name], k) => terms.row([`term-${k}`, `B${String.fromCharCode(65 + k)}-${1000 + k * 100}`, name, 'Tandem bench']));
  const orgCount = Math.max(1, Math.round(services / 5));
  for (let o = 0; o < orgCount; o++) {
    orgs.row([`org-${o}`, `${pick(PLACES)} ${pick(['Community', 'Family', 'Health', 'Neighborhood'])} Services ${o}`, 'A nonprofit serving the region', '', '']);
    phones.row([`ph-org-${o}`, '', '', `org-${o}`, `617-555-${String(o % 10000).padStart(4, '0')}`, 'voice']);
  }
  // Locations are shared: about three services for every two locations.
  const locationCount = Math.max(1, Math.round(services * 0.75));
  for (let l = 0; l < locationCount; l++) {
    const place = pick(PLACES);
    locs.row([`loc-${l}`, `org-${l % orgCount}`, `${place} office ${l}`, (42 + random()).toFixed(5), (-71 - random()).toFixed(5)]);
    addrs.row([`addr-${l}`, `loc-${l}`, `${1 + (l % 900)} ${place} Ave`, pick(['Cambridge', 'Somerville', 'Boston', 'Medford']), 'MA', '02139', 'US', 'physical']);
    phones.row([`ph-loc-${l}`, `loc-${l}`, '', '', `617-556-${String(l % 10000).padStart(4, '0')}`, 'voice']);
  }
  for (let s = 0; s < services; s++) {
    const k = s % KINDS.length;
    const [kind, words] = KINDS[k] as [string, string];
    const org = `org-${s % orgCount}`;
    const minAge = k === 6 ? 12 : k === 7 ? 60 : random() < 0.2 ? 18 : undefined;
    const assured = random() < 0.6 ? `2025-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-15` : undefined;
    svcs.row([`svc-${s}`, org, `${pick(PLACES)} ${kind} ${s}`, `${words}. Call ahead or walk in.`, random() < 0.95 ? 'active' : 'inactive', minAge, k === 6 ? 21 : undefined, assured, assured ? undefined : '2023-06-01T00:00:00Z']);
    const first = Math.floor(random() * locationCount);
    const at = random() < 0.4 ? [first, (first + 1 + Math.floor(random() * 50)) % locationCount] : [first];
    at.forEach((l, i) => sals.row([`sal-${s}-${i}`, `svc-${s}`, `loc-${l}`]));
    if (random() < 0.7) phones.row([`ph-svc-${s}`, '', `svc-${s}`, '', `617-557-${String(s % 10000).padStart(4, '0')}`, pick(['voice', 'voice', 'text', 'fax'])]);
    langs.row([`lang-${s}-0`, `svc-${s}`, 'English', 'en']);
    if (random() < 0.5) {
      const [name, code] = pick(LANGUAGES.slice(1)) as [string, string];
      langs.row([`lang-${s}-1`, `svc-${s}`, name, code]);
    }
    attrs.row([`attr-${s}`, `svc-${s}`, `term-${k}`, 'service_type', 'service']);
    if (random() < 0.85) {
      const [byday, opens, closes] = pick(HOURS) as [string, string, string];
      scheds.row([`sch-${s}`, `svc-${s}`, '', 'WEEKLY', byday, opens, closes, pick(ZONES)]);
      if (at.length > 1 && random() < 0.5) scheds.row([`sch-${s}-sal`, '', `sal-${s}-1`, 'WEEKLY', 'SA', '10:00', '13:00', 'America/New_York']);
    }
  }
  for (const f of [orgs, svcs, locs, addrs, sals, phones, langs, terms, attrs, scheds]) f.close();
  const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  return { dir, services, locations: locationCount, bytes };
}
