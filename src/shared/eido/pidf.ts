/**
 * PIDF-LO (RFC 4119 / RFC 5491) location bodies carried in `locationByValue`.
 *
 * The XML comes from outside and is treated as hostile:
 * - a size cap before anything reads it (`oversize`);
 * - DOCTYPE and ENTITY declarations refused outright (`bad_xml`): PIDF-LO never needs them,
 *   and they are how billion-laughs and external-entity attacks start;
 * - entity processing off in the parser, so nothing is ever expanded; the five predefined
 *   entities and numeric character references are decoded by us, one pass, no recursion;
 * - element names that are prototype keys refused (`bad_xml`);
 * - nesting capped (`too_deep`), well-formedness checked (`bad_xml`).
 *
 * The first four mark the body as hostile (`isHostileXml`) and refuse the whole document.
 * A body that is only broken (malformed, no location-info, a position out of range) loses
 * that location, with a warning; the rest of the incident still comes through.
 *
 * Element namespaces are dropped (`gp:`, `gml:`, `ca:`): senders choose prefixes freely and
 * PIDF-LO element names do not collide within a location-info.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EidoError, type EidoErrorCode } from './errors';
import { assertWithinBytes } from './json';
import type { CivicFields, GeoPoint } from './types';

export const DEFAULT_MAX_XML_BYTES = 64 * 1024;
/** The NENA sample nests 9 deep; 32 leaves room for vendor extensions. */
export const MAX_XML_DEPTH = 32;
/** Markup ("<") per body: the sample's PIDF-LO has 70; the XML parser slows on thousands. */
export const MAX_XML_MARKUP = 1000;
/** Markup across all bodies of one document, so many small bodies cannot add up either. */
export const MAX_XML_MARKUP_TOTAL = 5000;

/** What is left of one document's XML allowance; create one per document. */
export interface XmlBudget {
  markupLeft: number;
}

export function newXmlBudget(): XmlBudget {
  return { markupLeft: MAX_XML_MARKUP_TOTAL };
}

type XmlNode = { [key: string]: unknown };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false, // keep "02600" (a postal code) as text, not the number 2600
  parseAttributeValue: false,
  trimValues: true,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_XML_DEPTH,
});

/** What a PIDF-LO body says: a civic address, a geodetic point, or both. */
export interface PidfLocation {
  civic?: { fields: CivicFields; display: string };
  point?: GeoPoint & { shape: string };
}

/** Errors that mark the XML as an attack (or too costly to read), not merely broken. */
const HOSTILE = new WeakSet<EidoError>();

function hostile(code: EidoErrorCode, message: string, path: string): EidoError {
  const err = new EidoError(code, message, path);
  HOSTILE.add(err);
  return err;
}

/**
 * True for XML refused as hostile (DOCTYPE, entities, prototype element names, size, tags,
 * depth): the whole document is then refused. Other XML errors only lose that location.
 */
export function isHostileXml(err: unknown): boolean {
  return err instanceof EidoError && HOSTILE.has(err);
}

/**
 * Parses a PIDF-LO body. `path` names the JSON field. Throws an EidoError when the body
 * holds no usable location (hostile ones are marked, see isHostileXml). When it holds a
 * usable civic address and a broken geometry (or the reverse), the usable part is returned
 * and `warn` is told what was left out.
 */
export function parsePidfLo(
  xml: string,
  path: string,
  maxBytes = DEFAULT_MAX_XML_BYTES,
  budget: XmlBudget = newXmlBudget(),
  warn: (problem: EidoError) => void = () => undefined,
): PidfLocation {
  const root = parseXmlSafely(xml, path, maxBytes, budget);
  const infos = findLocationInfos(root);
  if (infos.length === 0) throw new EidoError('bad_xml', 'PIDF-LO has no location-info element', path);
  // A sender may put the address and the point in separate location-info elements (one per
  // tuple or device); the first of each is kept, so neither is lost.
  const civicNode = infos.map((i) => firstNode(i['civicAddress'])).find((c) => c !== undefined);
  let point: PidfLocation['point'];
  let geoError: EidoError | undefined;
  for (const info of infos) {
    try {
      point = readGeodetic(info, path);
    } catch (e) {
      if (!(e instanceof EidoError)) throw e;
      geoError ??= e;
    }
    if (point) break;
  }
  const civic = civicNode ? readCivic(civicNode) : undefined;
  const hasCivic = civic !== undefined && Object.keys(civic).length > 0;
  if (!hasCivic && !point) {
    if (geoError) throw geoError;
    throw new EidoError('bad_xml', 'location-info holds neither a civicAddress nor a supported GML shape', path);
  }
  if (geoError && !point) warn(geoError);
  return {
    ...(hasCivic ? { civic: { fields: civic, display: formatCivic(civic) } } : {}),
    ...(point ? { point } : {}),
  };
}

/** The hostile-input gate shared by every XML body we read. */
export function parseXmlSafely(xml: string, path: string, maxBytes: number, budget: XmlBudget): XmlNode {
  try {
    assertWithinBytes(xml, maxBytes, 'embedded XML', path);
  } catch (e) {
    if (e instanceof EidoError) throw hostile(e.code, 'embedded XML is larger than the ' + maxBytes + '-byte limit', path);
    throw e;
  }
  if (/<!DOCTYPE/i.test(xml)) throw hostile('bad_xml', 'XML with a DOCTYPE is refused', path);
  if (/<!ENTITY/i.test(xml)) throw hostile('bad_xml', 'XML entity declarations are refused', path);
  if (UNSAFE_ELEMENT.test(xml)) throw hostile('bad_xml', 'XML with an element named __proto__, constructor or prototype is refused', path);
  spendMarkup(xml, path, budget);
  const body = xml.trim();
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new EidoError('bad_xml', `malformed XML at line ${valid.err.line}, column ${valid.err.col}`, path);
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(body);
  } catch (e) {
    if (e instanceof Error && /nested/i.test(e.message)) {
      throw hostile('too_deep', `XML nested deeper than ${MAX_XML_DEPTH} elements`, path);
    }
    throw new EidoError('bad_xml', 'XML could not be parsed', path);
  }
  if (!isNode(parsed)) throw new EidoError('bad_xml', 'XML has no root element', path);
  return parsed;
}

/** An element (opening or closing, any prefix) whose name would be a prototype key. */
const UNSAFE_ELEMENT = /<\/?\s*(?:[\w.-]+:)?(?:__proto__|constructor|prototype)[\s/>]/;

/** Counts "<" against the per-body and per-document limits (`oversize` when exceeded). */
function spendMarkup(xml: string, path: string, budget: XmlBudget): void {
  let count = 0;
  for (let i = xml.indexOf('<'); i !== -1; i = xml.indexOf('<', i + 1)) {
    if (++count > MAX_XML_MARKUP) {
      throw hostile('oversize', `embedded XML has more than ${MAX_XML_MARKUP} tags`, path);
    }
  }
  budget.markupLeft -= count;
  if (budget.markupLeft < 0) {
    throw hostile('oversize', `the document's embedded XML has more than ${MAX_XML_MARKUP_TOTAL} tags in total`, path);
  }
}

/**
 * Every `location-info`, wherever the sender put it: presence/tuple/status/geopriv
 * (RFC 4119), presence/device or presence/person (RFC 4479 data model), or elsewhere, in
 * document order.
 */
function findLocationInfos(root: XmlNode): XmlNode[] {
  const found: XmlNode[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      continue;
    }
    if (!isNode(v)) continue;
    for (const info of asList(v['location-info'])) if (isNode(info)) found.push(info);
    const children = Object.entries(v).filter(([key]) => !key.startsWith('@_') && key !== 'location-info');
    for (let i = children.length - 1; i >= 0; i--) stack.push((children[i] as [string, unknown])[1]);
  }
  return found;
}

/** Element names that must never become keys of a plain object. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Every element child with text content becomes a field: A1, A3, RD, HNO, PC, ... */
function readCivic(civic: XmlNode): CivicFields {
  const fields: CivicFields = {};
  for (const [key, value] of Object.entries(civic)) {
    if (key.startsWith('@_') || key === '#text' || UNSAFE_KEYS.has(key)) continue;
    const t = textOf(value);
    if (t) fields[key] = t;
  }
  return fields;
}

/**
 * One line a dispatcher would write: "42 W Cellular Street, Apt 3, Wilmington, DE 19801".
 * The country is shown only when it is not the US, since this is a US 911 console.
 */
export function formatCivic(f: CivicFields): string {
  const street = join(' ', f.HNO, f.HNS, f.PRM, f.PRD, f.RD, f.STS, f.POD, f.POM);
  const unit = join(', ', f.BLD && `Bldg ${f.BLD}`, f.FLR && `Floor ${f.FLR}`, f.UNIT && `Unit ${f.UNIT}`, f.ROOM && `Room ${f.ROOM}`);
  const place = join(', ', f.NAM, f.LMK, f.LOC);
  const city = f.A3 ?? f.A2;
  const region = join(' ', f.A1, f.PC);
  const country = f.country && f.country.toUpperCase() !== 'US' ? f.country : undefined;
  return join(', ', street, unit, place, city, region, country);
}

function join(sep: string, ...parts: Array<string | undefined | false>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(sep);
}

type Geodetic = GeoPoint & { shape: string };

/** GML shapes from RFC 5491: Point, Circle, Sphere, Ellipse, ArcBand, Polygon, Prism. */
function readGeodetic(info: XmlNode, path: string): Geodetic | undefined {
  for (const shape of ['Point', 'Circle', 'Sphere', 'Ellipse', 'Ellipsoid', 'ArcBand']) {
    const node = firstNode(info[shape]);
    if (!node) continue;
    const center = readPos(textOf(node['pos']), path);
    const radius = shape === 'Circle' || shape === 'Sphere' ? readRadius(node['radius'], path) : undefined;
    return { shape: shape.toLowerCase(), ...center, ...(radius !== undefined ? { radius } : {}) };
  }
  const polygon = firstNode(info['Polygon']) ?? firstNode(firstNode(info['Prism'])?.['base']);
  if (polygon) return { shape: 'polygon', ...polygonCentroid(polygon, path) };
  return undefined;
}

/** `gml:pos` is "lat lon" or "lat lon alt" in WGS 84 (EPSG 4326/4979). */
function readPos(text: string | undefined, path: string): GeoPoint {
  const parts = (text ?? '').split(/\s+/).filter(Boolean).map(Number);
  const [lat, lon] = parts;
  if (parts.length < 2 || lat === undefined || lon === undefined || !validLatLon(lat, lon)) {
    throw new EidoError('bad_xml', 'gml:pos must hold a latitude and longitude in range', path);
  }
  return { lat, lon };
}

function validLatLon(lat: number, lon: number): boolean {
  return Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
}

/** Radius in metres; uom EPSG::9001 is the metre, and the only unit RFC 5491 uses. */
function readRadius(node: unknown, path: string): number | undefined {
  if (node === undefined) return undefined;
  const r = Number(textOf(node));
  if (!Number.isFinite(r) || r < 0) throw new EidoError('bad_xml', 'radius must be a non-negative number', path);
  const uom = isNode(node) ? node['@_uom'] : undefined;
  if (typeof uom === 'string' && !/9001$/.test(uom)) {
    throw new EidoError('bad_xml', 'radius unit must be metres (urn:ogc:def:uom:EPSG::9001)', path);
  }
  return r;
}

/** A point to show for a polygon: the mean of its exterior ring's corners. */
function polygonCentroid(polygon: XmlNode, path: string): GeoPoint {
  const ring = firstNode(firstNode(polygon['exterior'])?.['LinearRing']);
  const posList = textOf(ring?.['posList']);
  const values = posList
    ? posList.split(/\s+/).filter(Boolean)
    : asList(ring?.['pos']).flatMap((p) => (textOf(p) ?? '').split(/\s+/).filter(Boolean));
  const nums = values.map(Number);
  if (nums.length < 6 || nums.length % 2 !== 0) {
    throw new EidoError('bad_xml', 'polygon needs at least three lat/lon pairs', path);
  }
  let lat = 0;
  let lon = 0;
  for (let i = 0; i < nums.length; i += 2) {
    lat += nums[i] as number;
    lon += nums[i + 1] as number;
  }
  const point = { lat: lat / (nums.length / 2), lon: lon / (nums.length / 2) };
  if (!validLatLon(point.lat, point.lon)) throw new EidoError('bad_xml', 'polygon coordinates out of range', path);
  return point;
}

function isNode(v: unknown): v is XmlNode {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function asList(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function firstNode(v: unknown): XmlNode | undefined {
  const first = asList(v)[0];
  return isNode(first) ? first : undefined;
}

/** Text content of an element (plain string, or `#text` when it also has attributes). */
function textOf(v: unknown): string | undefined {
  const first = asList(v)[0];
  const raw = typeof first === 'string' ? first : isNode(first) && typeof first['#text'] === 'string' ? first['#text'] : undefined;
  if (raw === undefined) return undefined;
  const decoded = decodeXmlText(raw).trim();
  return decoded === '' ? undefined : decoded;
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references in one pass (no re-expansion). */
export function decodeXmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,4});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref] ?? whole;
  });
}
