/**
 * Reading one EIDO component tolerantly: near-miss keys renamed (keys.ts), each field Tandem
 * reads checked and, where its meaning is clear, coerced (a single value where a list
 * belongs, "2" for 2, "Incoming" for "incoming"); a value that cannot be used is left out; a
 * missing required field is reported and, for the prologue, supplied. A component with
 * nothing to show (a note without text, a location with neither value nor reference) is
 * left out. Every step is logged, so the incident carries what was done to it.
 *
 * The fields are checked by hand rather than by a schema library: each check must report
 * what it expected, what it found and how it repaired it, and coercion with side reports is
 * where such libraries get in the way.
 */
import { jsonTypeOf } from './errors';
import type { JsonObject } from './json';
import { repairKeys } from './keys';
import { joinPath } from './field-path';
import type { ProblemLog } from './problems';
import { DIRECTIONS, REFERENCE_VOCAB, SCALE, type ComponentSpec, type FieldKind } from './schema';
import { parseTimestamp } from './time';

export interface ReadContext {
  log: ProblemLog;
  /** The timestamp a component without one is given: its container's. */
  fallbackStamp: string;
}

/** A list of components; a single one where the list belongs is read as a list of one. */
export function readComponentList<T>(value: unknown, spec: ComponentSpec, path: string, ctx: ReadContext): T[] {
  if (value === undefined || value === null) return [];
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (isObject(value)) {
    ctx.log.repaired('not_a_list', path, `is one ${spec.label} where EIDO 1.0 wants a list`, 'read as a list of one', { expected: 'a list', found: 'an object' });
    items = [value];
  } else {
    ctx.log.repaired('invalid', path, `is not a list of ${spec.label} components`, 'left out', { expected: 'a list', found: describeType(value) });
    return [];
  }
  const out: T[] = [];
  items.forEach((item, i) => {
    const read = readComponent<T>(item, spec, Array.isArray(value) ? joinPath(path, [i]) : path, ctx);
    if (read) out.push(read);
  });
  return out;
}

/** One component, repaired; undefined when it has nothing to show (and the log says why). */
export function readComponent<T>(value: unknown, spec: ComponentSpec, path: string, ctx: ReadContext): T | undefined {
  const { log } = ctx;
  if (!isObject(value)) {
    log.repaired('invalid', path, `is not a ${spec.label} component`, 'left out', { expected: 'an object', found: describeType(value) });
    return undefined;
  }
  const obj: JsonObject = { ...repairKeys(value, spec.vocab, path, log) };
  // Object spread copies "__proto__" as an own property too, so the copy is as safe as the input.
  /** Sent but unusable (already reported): not reported again as missing. */
  const unusable = new Set<string>();
  for (const [key, kind] of Object.entries(spec.fields)) {
    if (!has(obj, key)) continue;
    const got = readField(obj[key], kind, joinPath(path, [key]), log);
    if (got !== undefined) obj[key] = got;
    else {
      if (obj[key] !== null && !(typeof obj[key] === 'string' && (obj[key] as string).trim() === '')) unusable.add(key);
      delete obj[key];
    }
  }
  const stamp = typeof obj['lastUpdateTimeStamp'] === 'string' ? obj['lastUpdateTimeStamp'] : ctx.fallbackStamp;
  for (const [key, { spec: inner, list }] of Object.entries(spec.nested ?? {})) {
    if (!has(obj, key)) continue;
    const innerCtx = { log, fallbackStamp: stamp };
    const read = list ? readComponentList(obj[key], inner, joinPath(path, [key]), innerCtx) : readComponent(obj[key], inner, joinPath(path, [key]), innerCtx);
    if (read === undefined) delete obj[key];
    else obj[key] = read;
  }
  const missingGroup = spec.needsOneOf.find((group) => !group.some((k) => has(obj, k)));
  if (missingGroup) {
    const names = missingGroup.map((k) => `"${k}"`).join(' or ');
    log.repaired('missing_part', path, `has no usable ${names}: nothing to show`, `this ${spec.label} was left out`);
    return undefined;
  }
  for (const key of spec.required) {
    if (has(obj, key)) continue;
    const where = joinPath(path, [key]);
    // The prologue's id and timestamp are always supplied: references and ordering need them.
    const why = unusable.has(key) ? 'could not be used' : 'required by EIDO 1.0 but missing';
    if (key === '$id') {
      obj['$id'] = `tandem:${path}`;
      log.repaired('missing_part', where, why, `given the id "tandem:${path}" (nothing can refer to it)`);
    } else if (key === 'lastUpdateTimeStamp') {
      obj['lastUpdateTimeStamp'] = ctx.fallbackStamp;
      log.repaired('missing_part', where, why, 'taken from the component that holds it');
    } else if (!unusable.has(key)) {
      log.repaired('missing_part', where, why, 'left empty');
    }
  }
  return obj as T;
}

/**
 * A field's value as Tandem reads it, or undefined when it is absent or unusable (logged).
 * An unusable `essential` field is fatal: the document cannot be used without it.
 */
export function readField(value: unknown, kind: FieldKind, path: string, log: ProblemLog, essential = false): unknown {
  const result = coerce(value, kind, path, log);
  if (result.kind === 'ok') return result.value;
  if (result.kind === 'repaired') {
    log.repaired(result.code ?? 'invalid', path, result.message, result.repair, { expected: expectedOf(kind), found: result.found });
    return result.value;
  }
  if (result.kind === 'bad') {
    const detail = { expected: expectedOf(kind), found: result.found };
    if (essential) log.fatal('invalid', path, 'cannot be read', detail);
    else log.repaired('invalid', path, 'cannot be read', 'left out', detail);
  }
  return undefined;
}

type Coerced =
  | { kind: 'ok'; value: unknown }
  | { kind: 'repaired'; value: unknown; message: string; repair: string; found: string; code?: 'not_a_list' }
  | { kind: 'bad'; found: string }
  /** An empty string or null: the same as a field not sent. */
  | { kind: 'empty' };

function coerce(value: unknown, kind: FieldKind, path: string, log: ProblemLog): Coerced {
  if (value === null || (typeof value === 'string' && value.trim() === '')) return { kind: 'empty' };
  switch (kind) {
    case 'text':
      if (typeof value === 'string') return { kind: 'ok', value };
      if (typeof value === 'number' && Number.isFinite(value)) {
        return { kind: 'repaired', value: String(value), message: 'is a number where EIDO 1.0 wants text', repair: 'read as text', found: 'a number' };
      }
      return { kind: 'bad', found: describeType(value) };
    case 'timestamp':
      return coerceTimestamp(value);
    case 'textList':
      return coerceTextList(value, path, log);
    case 'ref':
      return coerceRef(value, path, log);
    case 'refs':
      return coerceRefs(value, path, log);
    case 'scale':
      if (typeof value === 'string' && (SCALE as readonly string[]).includes(value.trim().toLowerCase())) return { kind: 'ok', value: value.trim() };
      return { kind: 'bad', found: describeEnum(value) };
    case 'direction': {
      if (typeof value === 'string' && (DIRECTIONS as readonly string[]).includes(value)) return { kind: 'ok', value };
      const lower = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
      if (lower && (DIRECTIONS as readonly string[]).includes(lower)) {
        return { kind: 'repaired', value: lower, message: 'is not written as EIDO 1.0 writes it', repair: `read as "${lower}"`, found: describeEnum(value) };
      }
      return { kind: 'bad', found: describeEnum(value) };
    }
    case 'bool':
      if (typeof value === 'boolean') return { kind: 'ok', value };
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
        const b = value.trim().toLowerCase() === 'true';
        return { kind: 'repaired', value: b, message: 'is text where EIDO 1.0 wants true or false', repair: `read as ${b}`, found: describeEnum(value) };
      }
      return { kind: 'bad', found: describeType(value) };
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return { kind: 'ok', value };
      if (typeof value === 'string' && /^[+-]?\d{1,9}$/.test(value.trim())) {
        return { kind: 'repaired', value: Number(value.trim()), message: 'is text where EIDO 1.0 wants a whole number', repair: `read as ${Number(value.trim())}`, found: describeEnum(value) };
      }
      return { kind: 'bad', found: describeType(value) };
    case 'object':
      return isObject(value) ? { kind: 'ok', value } : { kind: 'bad', found: describeType(value) };
  }
}

function coerceTimestamp(value: unknown): Coerced {
  if (typeof value !== 'string') return { kind: 'bad', found: describeType(value) };
  if (parseTimestamp(value)) return { kind: 'ok', value };
  // RFC 3339 allows a space for the "T" (section 5.6, note); the ECMAScript format does not.
  const withT = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2');
  if (withT !== value && parseTimestamp(withT)) {
    return { kind: 'repaired', value: withT, message: 'separates date and time with a space', repair: `read as "${withT}"`, found: describeStamp(value) };
  }
  return { kind: 'bad', found: describeStamp(value) };
}

function coerceTextList(value: unknown, path: string, log: ProblemLog): Coerced {
  if (typeof value === 'string') {
    return { kind: 'repaired', code: 'not_a_list', value: [value], message: 'is one text where EIDO 1.0 wants a list', repair: 'read as a list of one', found: 'a string' };
  }
  if (!Array.isArray(value)) return { kind: 'bad', found: describeType(value) };
  const out: string[] = [];
  value.forEach((item, i) => {
    const got = readField(item, 'text', joinPath(path, [i]), log);
    if (typeof got === 'string') out.push(got);
  });
  return { kind: 'ok', value: out };
}

function coerceRef(value: unknown, path: string, log: ProblemLog): Coerced {
  if (typeof value === 'string') {
    return { kind: 'repaired', value: { $ref: value }, message: 'is a bare id where EIDO 1.0 wants a reference object', repair: 'read as { "$ref": … }', found: 'a string' };
  }
  if (!isObject(value)) return { kind: 'bad', found: describeType(value) };
  const ref = repairKeys(value, REFERENCE_VOCAB, path, log);
  const target = ref['$ref'];
  if (typeof target !== 'string' || target.trim() === '') {
    log.repaired(has(ref, '$ref') ? 'invalid' : 'missing_part', joinPath(path, ['$ref']), 'a reference needs a non-empty "$ref"', 'reference left out', {
      found: has(ref, '$ref') ? describeType(target) : undefined,
    });
    return { kind: 'empty' };
  }
  return { kind: 'ok', value: ref === value ? value : ref };
}

function coerceRefs(value: unknown, path: string, log: ProblemLog): Coerced {
  if (!Array.isArray(value)) {
    if (isObject(value) || typeof value === 'string') {
      const one = readField(value, 'ref', path, log);
      if (one === undefined) return { kind: 'empty' };
      return { kind: 'repaired', code: 'not_a_list', value: [one], message: 'is one reference where EIDO 1.0 wants a list', repair: 'read as a list of one', found: describeType(value) };
    }
    return { kind: 'bad', found: describeType(value) };
  }
  const out: unknown[] = [];
  value.forEach((item, i) => {
    const got = readField(item, 'ref', joinPath(path, [i]), log);
    if (got !== undefined) out.push(got);
  });
  return { kind: 'ok', value: out };
}

const EXPECTED: Record<FieldKind, string> = {
  text: 'text',
  timestamp: 'an RFC 3339 date-time with a time zone',
  textList: 'a list of text',
  ref: 'a reference { "$ref": "<id>" }',
  refs: 'a list of references',
  scale: SCALE.join(', '),
  direction: DIRECTIONS.join(', '),
  bool: 'true or false',
  int: 'a whole number',
  object: 'an object',
};

function expectedOf(kind: FieldKind): string {
  return EXPECTED[kind];
}

/** "a number", "an array", ... (never the value itself: it may be personal data). */
export function describeType(value: unknown): string {
  const t = jsonTypeOf(value);
  if (t === 'string') return `text of ${(value as string).length} characters`;
  return t === 'array' || t === 'object' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`;
}

/**
 * An enumerated value may be echoed when it is one short word ("sideways", "High"): that is
 * not free text. Anything longer is described by its type, in case it is a name or a note.
 */
function describeEnum(value: unknown): string {
  if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,19}$/.test(value)) return JSON.stringify(value);
  return describeType(value);
}

/** A timestamp is echoed when it looks like one (digits and separators only). */
function describeStamp(value: unknown): string {
  if (typeof value === 'string' && /^\d[\dTtZz:.+ -]{0,39}$/.test(value)) return JSON.stringify(value);
  return describeType(value);
}

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
