/**
 * Fuzzing parseEido with mutations of the real NENA sample: whatever arrives from a CAD
 * feed, parseEido either returns a normalized incident (with well-formed warnings for what
 * it repaired) or throws an EidoError with a known code, never another error, and never
 * takes long.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EidoError, parseEido, type EidoErrorCode } from '../../src/shared/eido';
import { SAMPLE_TEXT, pidfCircle, pidfWith, sample, type Json } from './eido.fixtures';

const CODES: EidoErrorCode[] = ['not_json', 'wrong_version', 'missing_part', 'broken_ref', 'bad_xml', 'oversize', 'too_deep', 'invalid', 'misnamed_key', 'not_a_list', 'duplicate_id'];
/**
 * Per call, in CPU time (process.cpuUsage) rather than wall time, so a loaded CI machine
 * running other test files does not fail the bound. A warm parse of the sample takes about
 * a millisecond; a hang or a quadratic blow-up would take seconds.
 */
const MAX_MS_PER_CALL = 250;

type Key = string | number;

/** Every path to a value in the document (objects and arrays included). */
function paths(root: unknown): Key[][] {
  const out: Key[][] = [];
  const stack: Array<[unknown, Key[]]> = [[root, []]];
  while (stack.length > 0) {
    const [v, p] = stack.pop() as [unknown, Key[]];
    if (p.length > 0) out.push(p);
    if (v !== null && typeof v === 'object' && p.length < 12) {
      for (const [k, child] of Object.entries(v)) stack.push([child, [...p, Array.isArray(v) ? Number(k) : k]]);
    }
  }
  return out;
}

function parentOf(doc: Json, p: Key[]): [Json, Key] | undefined {
  let cur = doc;
  for (const k of p.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[k];
  }
  return cur !== null && typeof cur === 'object' ? [cur, p[p.length - 1] as Key] : undefined;
}

const HOSTILE_XML = [
  '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>',
  '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>&x;</p>',
  pidfWith('<civicAddress><A3>&x;&#0;&#xD800;&#1114112;</A3></civicAddress>'),
  pidfWith(`${'<a>'.repeat(60)}${'</a>'.repeat(60)}`),
  pidfWith(`<civicAddress><LOC>${'y'.repeat(70_000)}</LOC></civicAddress>`),
  pidfWith('<civicAddress><A3><![CDATA[<b>x</b>]]></A3><!-- c --></civicAddress>'),
  pidfWith('<Point><pos>91 181</pos></Point>'),
  pidfWith('<Circle><pos>1 2</pos><radius uom="urn:ogc:def:uom:EPSG::9102">5</radius></Circle>'),
  pidfWith('<Polygon><exterior><LinearRing><posList>1 1 1 2 2 2 1 1</posList></LinearRing></exterior></Polygon>'),
  pidfWith('<Polygon><exterior><LinearRing><posList>1 x</posList></LinearRing></exterior></Polygon>'),
  pidfWith('<__proto__><polluted>1</polluted></__proto__><civicAddress><constructor>x</constructor></civicAddress>'),
  pidfCircle(10, 20, 30),
  '<a b="1" b="2"/>',
  '<a>',
  '',
  '<',
];

const XML_TOKENS = [
  '<?xml version="1.0"?>', '<presence>', '</presence>', '<location-info>', '</location-info>', '<civicAddress>',
  '</civicAddress>', '<A3>', '</A3>', '<Point>', '</Point>', '<pos>', '</pos>', '1 2', '<!--', '-->', '<![CDATA[',
  ']]>', '&amp;', '&lt;', '&#x41;', '&bogus;', '<!DOCTYPE x>', '<!ENTITY e "e">', '"', "'", '<a x="1">', '</a>', '/>', ' ',
];

const xmlString = fc.oneof(
  fc.constantFrom(...HOSTILE_XML),
  fc.array(fc.constantFrom(...XML_TOKENS), { maxLength: 30 }).map((t) => t.join('')),
  fc.string({ maxLength: 40 }).map((s) => pidfWith(`<civicAddress><A3>${s}</A3></civicAddress>`)),
);

const hostileString = fc.oneof(
  fc.constantFrom('', ' ', '1.0', '$ref', '__proto__', 'constructor', 'javascript:alert(1)', 'tel:', 'sip:@', 'tel:+',
    '2021-02-29T00:00:00Z', '2021-04-30T14:40:00.0-04:00', '9999-12-31T23:59:60.999999999+23:59', '\u0000', '\uD800',
    'state.pa.us', 'tjones.atroop@state.pa.us', '123e4567-abcd-12d3-a456-426614174000', '<p>x</p>', '<<<<<<', '&#x110000;'),
  fc.string({ maxLength: 60 }),
  xmlString,
);

const value: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: fc.constantFrom(null, true, 0, -1, 1.5, 1e308, [], {}, { $ref: 'nowhere' }, { $ref: 'state.pa.us' }, { $id: 'dup' }), weight: 2 },
);

type Mutation =
  | { op: 'delete' | 'wrap' | 'stringify' | 'dupId'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'deep'; at: number; depth: number }
  | { op: 'xml'; at: number; xml: string }
  | { op: 'rename'; at: number; key: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete', 'wrap', 'stringify', 'dupId'), at: fc.nat() }) as fc.Arbitrary<Mutation>,
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value }),
  fc.record({ op: fc.constant('deep' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 90 }) }),
  fc.record({ op: fc.constant('xml' as const), at: fc.nat(), xml: xmlString }),
  fc.record({ op: fc.constant('rename' as const), at: fc.nat(), key: fc.constantFrom('__proto__', '$id', '$ref', 'x', 'eidoVersion') }),
);

function apply(doc: Json, m: Mutation): void {
  if (m.op === 'xml') {
    const locs = Array.isArray(doc.locationComponent) ? doc.locationComponent : [];
    const loc = locs[m.at % Math.max(1, locs.length)];
    if (loc && typeof loc === 'object') loc.locationByValue = m.xml;
    return;
  }
  const all = paths(doc);
  const p = all[m.at % all.length];
  const target = p && parentOf(doc, p);
  if (!target) return;
  const [parent, key] = target;
  const current = parent[key];
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'set':
      parent[key] = m.value;
      break;
    case 'wrap':
      parent[key] = [current];
      break;
    case 'stringify':
      parent[key] = JSON.stringify(current) ?? 'undefined';
      break;
    case 'dupId':
      parent[key] = { $id: 'urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us' };
      break;
    case 'deep': {
      let v: unknown = current;
      for (let i = 0; i < m.depth; i++) v = i % 2 ? [v] : { v };
      parent[key] = v;
      break;
    }
    case 'rename':
      if (!Array.isArray(parent)) {
        Object.defineProperty(parent, m.key, { value: current, enumerable: true, configurable: true, writable: true });
        if (m.key !== key) delete parent[key];
      }
      break;
  }
}

type TextEdit = { cut: number } | { at: number; insert: string };

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ cut: fc.nat() }),
  fc.record({ at: fc.nat(), insert: fc.constantFrom('"', '{', '}', ']', ',', '\\', '\\u0000', 'null', '"$ref":"x",', 'NaN') }),
);

function editText(text: string, e: TextEdit): string {
  if ('cut' in e) return text.slice(0, e.cut % (text.length + 1));
  const at = e.at % (text.length + 1);
  return text.slice(0, at) + e.insert + text.slice(at);
}

let slowestMs = 0;

/** Outcomes: 'ok', 'ok+<code>' for each kind of warning an accepted incident carried, or the refusal's code. */
type Outcome = string;

/** The invariant: an incident with the basic shape and well-formed warnings, or a typed EidoError; quickly. */
function checkOutcome(input: unknown): Outcome[] {
  const started = process.cpuUsage();
  let outcome: Outcome[];
  try {
    const incident = parseEido(input);
    expect(typeof incident.incidentId).toBe('string');
    expect(incident.incidentId).not.toBe('');
    expect(incident.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(Array.isArray(incident.persons) && Array.isArray(incident.locations) && Array.isArray(incident.notes)).toBe(true);
    expect(typeof incident.raw).toBe('string');
    for (const w of incident.warnings) {
      expect(CODES).toContain(w.code);
      expect(w.fatal).toBe(false);
      expect(typeof w.path === 'string' && w.message.length > 0 && w.repair.length > 0).toBe(true);
    }
    outcome = ['ok', ...new Set(incident.warnings.map((w) => `ok+${w.code}`))];
  } catch (e) {
    if (!(e instanceof EidoError)) throw new Error(`parseEido threw a non-EidoError: ${String(e)}`, { cause: e });
    expect(CODES).toContain(e.code);
    expect(e.message.length).toBeGreaterThan(0);
    // parseEido's last-resort wrapper turns a bug of ours into `invalid`; the fuzzer must
    // never reach it, or the "typed error" would only be a disguised crash.
    expect(e.message).not.toContain('could not be normalized');
    expect(e.problems.some((p) => p.fatal)).toBe(true);
    outcome = [e.code];
  }
  const used = process.cpuUsage(started);
  const elapsed = (used.user + used.system) / 1000;
  slowestMs = Math.max(slowestMs, elapsed);
  expect(elapsed).toBeLessThan(MAX_MS_PER_CALL);
  return outcome;
}

describe('parseEido fuzzing', () => {
  // The first calls compile schemas and JIT the parsers; the time bound is about steady state.
  beforeAll(() => {
    for (let i = 0; i < 20; i++) {
      parseEido(SAMPLE_TEXT);
      for (const bad of ['{', '{}', HOSTILE_XML[0]]) {
        try {
          parseEido(bad);
        } catch {
          // expected
        }
      }
    }
  });

  it('mutated samples: returns or throws EidoError, never anything else (3000 runs)', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: textEdit, weight: 1 }), fc.boolean(), (muts, edit, asText) => {
        const doc = sample();
        for (const m of muts) apply(doc, m);
        let input: unknown = doc;
        if (edit) input = editText(JSON.stringify(doc) ?? '', edit);
        else if (asText) input = JSON.stringify(doc);
        for (const outcome of checkOutcome(input)) seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }),
      { numRuns: 3000 },
    );
    if (process.env.EIDO_FUZZ_STATS) console.log({ ...Object.fromEntries(seen), slowestMs });
    // The mutations must actually reach the interesting paths, not only fail at the door:
    // refusals of each fatal kind, and accepted incidents carrying each kind of repair.
    for (const code of ['ok', 'not_json', 'missing_part', 'bad_xml', 'invalid', 'too_deep', 'ok+broken_ref', 'ok+bad_xml', 'ok+invalid', 'ok+missing_part', 'ok+not_a_list']) {
      expect(seen.get(code) ?? 0, `outcome ${code} never produced`).toBeGreaterThan(0);
    }
  }, 120_000);

  it('arbitrary text and JSON values: returns or throws EidoError (1000 runs)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), hostileString), (input) => {
        checkOutcome(input);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('left no trace on Object.prototype (hostile "__proto__" keys in JSON and XML)', () => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['v']).toBeUndefined();
  });

  it('the unmutated sample is accepted as text and as an object', () => {
    expect(checkOutcome(SAMPLE_TEXT)).toEqual(['ok']);
    expect(checkOutcome(sample())).toEqual(['ok']);
  });
});
