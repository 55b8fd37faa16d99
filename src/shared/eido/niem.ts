/**
 * Reading a person out of `ncPersonComponent` (NIEM Core PersonType).
 *
 * The EIDO OpenAPI file points at NIEM component schemas it does not include, and senders
 * render NIEM in JSON in more than one way: NENA's JSON mapping uses camelCase properties
 * whose values are arrays of objects (`name: [{ givenName: [...] }]`), NIEM JSON uses
 * prefixed element names (`nc:PersonName`, `nc:PersonGivenName`). This reader accepts both,
 * takes the first value of each list, and never fails: a person whose NIEM data we cannot
 * read is still shown, with roles and callback numbers, just without a name.
 *
 * Every walk here is bounded: property lookups are direct, and the phone search is capped
 * in depth and count.
 */
import { phoneDigits } from './uri';

type Obj = { [key: string]: unknown };

const MAX_TEXT = 200;

export interface NiemPerson {
  name?: string;
  dob?: string;
  language?: string;
  phones: string[];
}

export function readNiemPerson(nc: unknown): NiemPerson {
  if (!isObj(nc)) return { phones: [] };
  const name = readName(get(nc, 'name', 'PersonName'));
  const dob = readDate(get(nc, 'birthDate', 'PersonBirthDate'));
  const language = readLanguage(get(nc, 'primaryLanguage', 'PersonPrimaryLanguage'));
  return {
    ...(name ? { name } : {}),
    ...(dob ? { dob } : {}),
    ...(language ? { language } : {}),
    phones: readPhones(nc),
  };
}

function readName(v: unknown): string | undefined {
  const direct = text(v);
  if (direct) return direct;
  const n = first(v);
  if (!isObj(n)) return undefined;
  const full = text(get(n, 'fullName', 'PersonFullName'));
  if (full) return full;
  const parts = [
    text(get(n, 'givenName', 'PersonGivenName')),
    text(get(n, 'middleName', 'PersonMiddleName')),
    text(get(n, 'surName', 'surname', 'PersonSurName')),
  ].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function readDate(v: unknown): string | undefined {
  const direct = text(v);
  if (direct) return direct;
  const d = first(v);
  return isObj(d) ? text(get(d, 'date', 'Date', 'dateTime', 'DateTime', 'DateRepresentation')) : undefined;
}

function readLanguage(v: unknown): string | undefined {
  const direct = text(v);
  if (direct) return direct;
  const l = first(v);
  if (!isObj(l)) return undefined;
  const lang = get(l, 'language', 'PersonLanguage', 'Language');
  const inner = isObj(first(lang)) ? (first(lang) as Obj) : l;
  return (
    text(lang) ??
    text(get(inner, 'languageName', 'LanguageName', 'name')) ??
    text(get(inner, 'languageCode', 'LanguageCode', 'languageISO639_3Code', 'LanguageISO639-3Code'))
  );
}

const CONTACT_KEYS = [
  'homeContactInformation', 'PersonHomeContactInformation', 'emergencyContactInformation',
  'PersonEmergencyContactInformation', 'employmentContactInformation', 'EmploymentContactInformation',
  'contactInformation', 'ContactInformation', 'PersonContactInformation',
];

/**
 * Telephone numbers anywhere under the person's contact information, found by key name
 * (anything with "phone" in it) rather than by one exact NIEM path, for the reason above.
 */
function readPhones(nc: Obj): string[] {
  const out: string[] = [];
  const stack: Array<[unknown, number, boolean]> = CONTACT_KEYS.map((k) => [get(nc, k), 0, false]);
  let visited = 0;
  while (stack.length > 0 && visited++ < 500 && out.length < 10) {
    const [v, depth, underPhone] = stack.pop() as [unknown, number, boolean];
    if (typeof v === 'string' || typeof v === 'number') {
      const n = underPhone ? phoneDigits(String(v)) : undefined;
      if (n && n.replace('+', '').length >= 7 && !out.includes(n)) out.push(n);
    } else if (Array.isArray(v) && depth < 8) {
      for (const item of v) stack.push([item, depth + 1, underPhone]);
    } else if (isObj(v) && depth < 8) {
      for (const [k, child] of Object.entries(v)) stack.push([child, depth + 1, underPhone || /phone/i.test(k)]);
    }
  }
  return out;
}

/** Looks up the first present key, also under the "nc:" prefix NIEM JSON uses. */
function get(o: Obj, ...keys: string[]): unknown {
  for (const k of keys) {
    for (const key of [k, `nc:${k}`]) {
      if (Object.prototype.hasOwnProperty.call(o, key)) return o[key];
    }
  }
  return undefined;
}

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/** Text of a NIEM text value: a string, a list, or an object wrapping the literal. */
function text(v: unknown, depth = 0): string | undefined {
  const f = first(v);
  if (typeof f === 'string') {
    const t = f.trim();
    return t === '' ? undefined : t.slice(0, MAX_TEXT);
  }
  if (typeof f === 'number' && Number.isFinite(f)) return String(f);
  if (isObj(f) && depth < 3) {
    return text(get(f, 'value', '@value', '#text', 'TextLiteral', 'text', 'DateRepresentation'), depth + 1);
  }
  return undefined;
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
