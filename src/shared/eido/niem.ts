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
 * Keys that are neither form but plainly mean one (`personGivenName`, `PERSONSURNAME`,
 * `nc:personSurName`) are read too, and reported through `onVariant` so the sender hears
 * about them.
 *
 * Every walk here is bounded: property lookups are direct, and the phone search is capped
 * in depth and count.
 */
import { joinPath } from './field-path';
import { phoneDigits } from './uri';

type Obj = { [key: string]: unknown };

const MAX_TEXT = 200;

export interface NiemPerson {
  name?: string;
  dob?: string;
  language?: string;
  phones: string[];
}

/** Told when a key was read as the name it stands for: the key's path, and its NENA JSON and NIEM names. */
export type NiemVariantReporter = (path: string, names: { json: string; niem: string }) => void;

/** A value and the path it was found at, for reporting. */
interface At {
  value: unknown;
  path: string;
}

export function readNiemPerson(nc: unknown, path = 'ncPersonComponent', onVariant: NiemVariantReporter = () => undefined): NiemPerson {
  if (!isObj(nc)) return { phones: [] };
  const look = (at: At | undefined, ...keys: string[]) => get(at, keys, onVariant);
  const text = (at: At | undefined) => textAt(at, onVariant);
  const root: At = { value: nc, path };
  const name = readName(look(root, 'name', 'PersonName'), look, text);
  const dob = readDate(look(root, 'birthDate', 'PersonBirthDate'), look, text);
  const language = readLanguage(look(root, 'primaryLanguage', 'PersonPrimaryLanguage'), look, text);
  return {
    ...(name ? { name } : {}),
    ...(dob ? { dob } : {}),
    ...(language ? { language } : {}),
    phones: readPhones(nc),
  };
}

type Look = (at: At | undefined, ...keys: string[]) => At | undefined;
type Text = (at: At | undefined) => string | undefined;

function readName(v: At | undefined, look: Look, text: Text): string | undefined {
  const direct = text(v);
  if (direct) return direct;
  const n = first(v);
  if (!n || !isObj(n.value)) return undefined;
  const full = text(look(n, 'fullName', 'PersonFullName'));
  if (full) return full;
  const parts = [
    text(look(n, 'givenName', 'PersonGivenName')),
    text(look(n, 'middleName', 'PersonMiddleName')),
    text(look(n, 'surName', 'PersonSurName')),
  ].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function readDate(v: At | undefined, look: Look, text: Text): string | undefined {
  const direct = text(v);
  if (direct) return direct;
  const d = first(v);
  if (!d || !isObj(d.value)) return undefined;
  return text(look(d, 'date', 'Date', 'dateTime', 'DateTime', 'DateRepresentation'));
}

function readLanguage(v: At | undefined, look: Look, text: Text): string | undefined {
  const direct = text(v);
  if (direct) return direct;
  const l = first(v);
  if (!l || !isObj(l.value)) return undefined;
  const lang = look(l, 'language', 'PersonLanguage', 'Language');
  const firstLang = first(lang);
  const inner = firstLang && isObj(firstLang.value) ? firstLang : l;
  return (
    text(lang) ??
    text(look(inner, 'languageName', 'LanguageName', 'name')) ??
    text(look(inner, 'languageCode', 'LanguageCode', 'languageISO639_3Code', 'LanguageISO639-3Code'))
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
  const contactKeys = Object.keys(nc).filter((k) => CONTACT_KEYS.some((c) => fold(c) === fold(k)));
  const stack: Array<[unknown, number, boolean]> = contactKeys.map((k) => [nc[k], 0, false]);
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

/**
 * The first present key of `keys`, also under the "nc:" prefix NIEM JSON uses; else a key
 * that folds to one of them (case, namespace prefix and a leading "person" ignored), which
 * is reported.
 */
function get(at: At | undefined, keys: string[], onVariant: NiemVariantReporter): At | undefined {
  if (!at || !isObj(at.value)) return undefined;
  const o = at.value;
  for (const k of keys) {
    for (const key of [k, `nc:${k}`]) {
      if (Object.prototype.hasOwnProperty.call(o, key)) return { value: o[key], path: joinPath(at.path, [key]) };
    }
  }
  const wanted = new Set(keys.map(fold));
  const variant = Object.keys(o).find((k) => wanted.has(fold(k)));
  if (variant === undefined) return undefined;
  const path = joinPath(at.path, [variant]);
  const niem = keys.find((k) => /^[A-Z]/.test(k)) ?? (keys[0] as string);
  onVariant(path, { json: keys[0] as string, niem: `nc:${niem}` });
  return { value: o[variant], path };
}

/** NIEM names as one spelling: no namespace prefix, lower case, no leading "person". */
function fold(key: string): string {
  return key.replace(/^[A-Za-z]+:/, '').toLowerCase().replace(/^person(?=.)/, '');
}

function first(at: At | undefined): At | undefined {
  if (!at) return undefined;
  return Array.isArray(at.value) ? { value: at.value[0], path: joinPath(at.path, [0]) } : at;
}

/** The keys NIEM and NENA JSON put a literal under, as written by them. */
const LITERAL_KEYS = ['value', '@value', '#text', 'TextLiteral', 'nc:TextLiteral', 'text', 'DateRepresentation', 'nc:DateRepresentation'];
const LITERAL_FOLDED = new Set(LITERAL_KEYS.map(fold));

/**
 * Text of a NIEM text value: a string, a list, or an object wrapping the literal. A literal
 * under a key in another case ("VALUE") is read too, and reported.
 */
function textAt(at: At | undefined, onVariant: NiemVariantReporter, depth = 0): string | undefined {
  if (!at) return undefined;
  const f = Array.isArray(at.value) ? at.value[0] : at.value;
  const here = Array.isArray(at.value) ? joinPath(at.path, [0]) : at.path;
  if (typeof f === 'string') {
    const t = f.trim();
    return t === '' ? undefined : t.slice(0, MAX_TEXT);
  }
  if (typeof f === 'number' && Number.isFinite(f)) return String(f);
  if (!isObj(f) || depth >= 3) return undefined;
  const exact = LITERAL_KEYS.find((k) => Object.prototype.hasOwnProperty.call(f, k));
  const key = exact ?? Object.keys(f).find((k) => LITERAL_FOLDED.has(fold(k)));
  if (key === undefined) return undefined;
  const path = joinPath(here, [key]);
  if (exact === undefined) onVariant(path, { json: 'value', niem: 'nc:TextLiteral' });
  return textAt({ value: f[key], path }, onVariant, depth + 1);
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
