/**
 * Turning untrusted input into a bounded, plain JSON value.
 *
 * Everything downstream walks the document, so the document must first be proven small
 * (bytes), shallow (nesting) and plain (no cycles, getters, class instances). The checks are
 * iterative so a hostile document cannot exhaust the call stack while being checked.
 */
import { EidoError, jsonTypeOf } from './errors';

export const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Real EIDO documents nest about 6 levels deep (NIEM person data a few more). */
export const MAX_JSON_DEPTH = 64;
/** Caps the work done on an already-parsed object before it is serialized. */
const MAX_OBJECT_NODES = 200_000;

export type JsonObject = { [key: string]: unknown };

export interface BoundedDocument {
  /** The document as a plain JSON object. */
  doc: JsonObject;
  /** The document as text: the input itself, or the serialization of an input object. */
  raw: string;
}

/** Checks size, syntax, depth and shape; returns the plain document and its text. */
export function loadDocument(input: unknown, maxBytes: number): BoundedDocument {
  if (typeof input === 'string') return loadText(input, maxBytes);
  if (input === null || typeof input !== 'object') {
    throw new EidoError('not_json', `expected EIDO JSON text or object, got ${jsonTypeOf(input)}`);
  }
  // Serialize first: it strips what JSON cannot carry (functions, prototypes, getters'
  // identities) and gives the exact text we keep as `raw`.
  checkObjectBounds(input);
  let raw: string;
  try {
    raw = JSON.stringify(input);
  } catch (e) {
    throw new EidoError('invalid', `document cannot be serialized as JSON (${errorName(e)})`);
  }
  if (typeof raw !== 'string') throw new EidoError('invalid', 'document serializes to nothing');
  return loadText(raw, maxBytes);
}

function loadText(text: string, maxBytes: number): BoundedDocument {
  assertWithinBytes(text, maxBytes, 'document');
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // tolerate a UTF-8 BOM
  checkTextDepth(body);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw new EidoError('not_json', `not valid JSON${syntaxPosition(e)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EidoError('invalid', `the document must be a JSON object, got ${jsonTypeOf(value)}`);
  }
  return { doc: value as JsonObject, raw: text };
}

/**
 * Nesting depth of JSON text, measured before JSON.parse: one linear pass that skips
 * string contents. Parsing "[[[[…" half a million deep costs the engine far more than this
 * scan, and everything after parsing may then assume a shallow document.
 */
function checkTextDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw new EidoError('too_deep', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** Throws `oversize` when the UTF-8 encoding of `text` is longer than `maxBytes`. */
export function assertWithinBytes(text: string, maxBytes: number, what: string, path?: string): void {
  const bytes = utf8Length(text, maxBytes);
  if (bytes > maxBytes) {
    throw new EidoError('oversize', `${what} is larger than the ${maxBytes}-byte limit`, path);
  }
}

/**
 * UTF-8 length without TextEncoder (not part of the pure-TS baseline). Stops counting once
 * past `stopAfter`, since a UTF-16 unit never encodes to fewer than one byte.
 */
export function utf8Length(text: string, stopAfter = Infinity): number {
  if (text.length > stopAfter) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
    if (bytes > stopAfter) return bytes;
  }
  return bytes;
}

/**
 * Bounds an in-memory object before JSON.stringify touches it: a cycle or a deep chain
 * would overflow the stack there, and a wide shared graph would take exponential time.
 */
function checkObjectBounds(root: object): void {
  const stack: Array<[unknown, number]> = [[root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (++nodes > MAX_OBJECT_NODES) {
      throw new EidoError('oversize', `document has more than ${MAX_OBJECT_NODES} values`);
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new EidoError('too_deep', `object nested deeper than ${MAX_JSON_DEPTH} levels (or cyclic)`);
    }
    let children: unknown[];
    try {
      children = Object.values(value);
    } catch (e) {
      throw new EidoError('invalid', `document cannot be read as plain data (${errorName(e)})`);
    }
    for (const child of children) stack.push([child, depth + 1]);
  }
}

/** The engine's message quotes the input around the error; keep only the position. */
function syntaxPosition(e: unknown): string {
  const m = e instanceof Error ? /position (\d+)/.exec(e.message) : null;
  if (m) return ` (syntax error at character ${m[1]})`;
  return e instanceof Error && /end of (JSON )?input/i.test(e.message) ? ' (unexpected end of input)' : '';
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : 'unknown error';
}
