import { describe, expect, it } from 'vitest';
import { EidoError, parseEido, type EidoErrorCode } from '../../src/shared/eido';
import { SAMPLE_TEXT, pidfWith, prologue, sample, type Json } from './eido.fixtures';

/** Runs parseEido and returns the EidoError it must throw. */
function rejection(input: unknown, opts?: { maxBytes?: number; maxXmlBytes?: number }): EidoError {
  try {
    parseEido(input, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(EidoError);
    return e as EidoError;
  }
  throw new Error('parseEido accepted a document it should reject');
}

function expectCode(input: unknown, code: EidoErrorCode, path?: string): EidoError {
  const err = rejection(input);
  expect({ code: err.code, path: err.path }).toEqual({ code, path });
  if (path) expect(err.message.startsWith(`${path}: `)).toBe(true);
  return err;
}

function withLocationXml(xml: string): Json {
  const doc = sample();
  doc.locationComponent[0].locationByValue = xml;
  return doc;
}

const XML_PATH = 'locationComponent[0].locationByValue';

describe('not JSON', () => {
  it.each([['{nope'], [''], ['   '], ['[1,'], [SAMPLE_TEXT.slice(0, 200)]])('%j', (text) => {
    expectCode(text, 'not_json');
  });

  it('does not quote the input in the message (it may hold personal data)', () => {
    const err = rejection('{"name": "Jane Secret" oops}');
    expect(err.code).toBe('not_json');
    expect(err.message).not.toContain('Jane');
  });

  it('rejects inputs that are neither text nor an object', () => {
    for (const v of [42, true, null, undefined]) expect(rejection(v).code).toBe('not_json');
  });

  it('rejects JSON that is not an object', () => {
    expectCode('[1, 2]', 'invalid');
    expectCode('"1.0"', 'invalid');
  });
});

describe('version', () => {
  it.each([['2.0'], ['1'], ['1.0 '], [1.0], [null]])('eidoVersion %j is wrong_version', (v) => {
    const doc = sample();
    doc.eidoVersion = v;
    expectCode(doc, 'wrong_version', 'eidoVersion');
  });

  it('a missing eidoVersion is a missing part', () => {
    const doc = sample();
    delete doc.eidoVersion;
    expectCode(doc, 'missing_part', 'eidoVersion');
  });

  it('is checked before the rest of the structure', () => {
    const doc = sample();
    doc.eidoVersion = '2.0';
    delete doc.agencyComponent;
    expectCode(doc, 'wrong_version', 'eidoVersion');
  });
});

describe('missing parts', () => {
  const cases: Array<[string, (d: Json) => void, string]> = [
    ['document $id', (d) => delete d.$id, '$id'],
    ['document lastUpdateTimeStamp', (d) => delete d.lastUpdateTimeStamp, 'lastUpdateTimeStamp'],
    ['issuingElementIdentification', (d) => delete d.issuingElementIdentification, 'issuingElementIdentification'],
    ['agencyComponent', (d) => delete d.agencyComponent, 'agencyComponent'],
    ['an empty agencyComponent', (d) => (d.agencyComponent = []), 'agencyComponent'],
    ['call start', (d) => delete d.callComponent[0].callStartTimestamp, 'callComponent[0].callStartTimestamp'],
    ['call updatedByAgencyReference', (d) => delete d.callComponent[0].updatedByAgencyReference, 'callComponent[0].updatedByAgencyReference'],
    ['a reference without $ref', (d) => (d.callComponent[0].updatedByAgencyReference = {}), 'callComponent[0].updatedByAgencyReference.$ref'],
    ['person roles', (d) => delete d.personComponent[0].personIncidentRoleRegistryText, 'personComponent[0].personIncidentRoleRegistryText'],
    ['location type', (d) => delete d.locationComponent[1].locationTypeDescriptionRegistryText, 'locationComponent[1].locationTypeDescriptionRegistryText'],
    ['agent agency', (d) => delete d.agentComponent[0].agencyReference, 'agentComponent[0].agencyReference'],
    [
      'location with neither value nor reference',
      (d) => delete d.locationComponent[1].locationByReferenceUrl,
      'locationComponent[1]',
    ],
    [
      'incident type',
      (d) => (d.incidentComponent = { ...prologue('inc') }),
      'incidentComponent.incidentTypeCommonRegistryText',
    ],
    [
      'note text',
      (d) => (d.notesComponent = [{ ...prologue('n1') }]),
      'notesComponent[0].notesActionComments',
    ],
    [
      'caution severity',
      (d) => (d.cautionComponent = [{ ...prologue('c1'), cautionTypeInternalText: 'x', cautionTypeCommonRegistryText: 'y' }]),
      'cautionComponent[0].cautionSeverity',
    ],
  ];
  it.each(cases)('%s', (_name, mutate, path) => {
    const doc = sample();
    mutate(doc);
    expectCode(doc, 'missing_part', path);
  });
});

describe('invalid values', () => {
  const cases: Array<[string, (d: Json) => void, string]> = [
    ['call direction', (d) => (d.callComponent[0].direction = 'sideways'), 'callComponent[0].direction'],
    ['timestamp without zone', (d) => (d.callComponent[0].callStartTimestamp = '2021-04-30T14:40:00'), 'callComponent[0].callStartTimestamp'],
    ['impossible date', (d) => (d.lastUpdateTimeStamp = '2021-02-30T14:40:00Z'), 'lastUpdateTimeStamp'],
    ['component list that is an object', (d) => (d.callComponent = d.callComponent[0]), 'callComponent'],
    ['callback URIs that are not strings', (d) => (d.callbackComponent[0].callBackInformationUri = [5]), 'callbackComponent[0].callBackInformationUri[0]'],
    [
      'caution severity off the scale',
      (d) => (d.cautionComponent = [{ ...prologue('c1'), cautionTypeInternalText: 'x', cautionTypeCommonRegistryText: 'y', cautionSeverity: 'urgent' }]),
      'cautionComponent[0].cautionSeverity',
    ],
    ['a javascript: location URL', (d) => (d.locationComponent[1].locationByReferenceUrl = 'javascript:alert(1)'), 'locationComponent[1].locationByReferenceUrl'],
    ['a duplicate $id', (d) => (d.personComponent[0].$id = d.locationComponent[0].$id), 'personComponent[0]'],
    ['a non-string $ref', (d) => (d.callComponent[0].personReference = [{ $ref: 7 }]), 'callComponent[0].personReference[0].$ref'],
  ];
  it.each(cases)('%s', (_name, mutate, path) => {
    const doc = sample();
    mutate(doc);
    expectCode(doc, 'invalid', path);
  });

  it('names the field and both places in a duplicate $id message', () => {
    const doc = sample();
    doc.personComponent[0].$id = doc.locationComponent[0].$id;
    expect(rejection(doc).message).toContain('locationComponent[0]');
  });
});

describe('broken references', () => {
  it('a $ref to nowhere', () => {
    const doc = sample();
    doc.callComponent[0].personReference[0].$ref = 'no-such-person';
    expectCode(doc, 'broken_ref', 'callComponent[0].personReference[0].$ref');
  });

  it('a callback reference to nowhere', () => {
    const doc = sample();
    doc.personComponent[0].callBackReference.$ref = 'gone';
    expectCode(doc, 'broken_ref', 'personComponent[0].callBackReference.$ref');
  });

  it('a reference that lands on the wrong kind of component', () => {
    const doc = sample();
    doc.callComponent[0].locationReference[0].$ref = '123e4567-abcd-12d3-a456-426614174000'; // a person
    const err = expectCode(doc, 'broken_ref', 'callComponent[0].locationReference[0].$ref');
    expect(err.message).toContain('locationComponent');
  });

  it('an agency reference that names an agent', () => {
    const doc = sample();
    doc.callComponent[0].updatedByAgencyReference.$ref = 'tjones.atroop@state.pa.us';
    expectCode(doc, 'broken_ref', 'callComponent[0].updatedByAgencyReference.$ref');
  });

  it('agency and agent ids may be external', () => {
    const doc = sample();
    doc.agentComponent[0].agencyReference.$ref = 'psap.other-county.example';
    expect(parseEido(doc).externalRefs).toEqual(['psap.other-county.example']);
  });
});

describe('hostile and malformed PIDF-LO', () => {
  it('refuses a billion-laughs DOCTYPE', () => {
    const lol =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
      ']>' +
      pidfWith('<civicAddress><A3>&lol9;</A3></civicAddress>');
    const err = expectCode(withLocationXml(lol), 'bad_xml', XML_PATH);
    expect(err.message).toMatch(/DOCTYPE/);
  });

  it('refuses an external entity (XXE)', () => {
    const xxe = '<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + pidfWith('<civicAddress><A3>&xxe;</A3></civicAddress>');
    expectCode(withLocationXml(xxe), 'bad_xml', XML_PATH);
  });

  it('refuses an entity declaration even without a DOCTYPE keyword', () => {
    expectCode(withLocationXml(pidfWith('<!ENTITY x "y"><civicAddress><A3>x</A3></civicAddress>')), 'bad_xml', XML_PATH);
  });

  it('never expands an undeclared entity reference: it stays literal text', () => {
    const result = parseEido(withLocationXml(pidfWith('<civicAddress><A3>&xxe;</A3></civicAddress>')));
    expect(result.location).toMatchObject({ kind: 'civic', fields: { A3: '&xxe;' } });
  });

  it.each([['__proto__'], ['constructor'], ['prototype']])('refuses an element named %s (prototype pollution)', (name) => {
    const xml = pidfWith(`<civicAddress><${name}><polluted>1</polluted></${name}><A3>Dover</A3></civicAddress>`);
    expectCode(withLocationXml(xml), 'bad_xml', XML_PATH);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['unclosed element', pidfWith('<civicAddress><A3>Dover</civicAddress>')],
    ['not XML at all', 'Dover, DE'],
    ['two roots', '<a/><b/>'],
    ['no location-info', '<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="t"/></presence>'],
    ['location-info without a location', pidfWith('<note>none</note>')],
    ['latitude out of range', pidfWith('<Point xmlns="http://www.opengis.net/gml"><pos>123 45</pos></Point>')],
    ['a position that is not numbers', pidfWith('<Point xmlns="http://www.opengis.net/gml"><pos>north east</pos></Point>')],
  ])('%s is bad_xml', (_name, xml) => {
    expectCode(withLocationXml(xml), 'bad_xml', XML_PATH);
  });

  it('refuses deep nesting', () => {
    const deep = pidfWith(`${'<x>'.repeat(200)}${'</x>'.repeat(200)}<civicAddress><A3>Dover</A3></civicAddress>`);
    expectCode(withLocationXml(deep), 'too_deep', XML_PATH);
  });

  it('refuses an oversize XML body', () => {
    const big = pidfWith(`<civicAddress><LOC>${'x'.repeat(70 * 1024)}</LOC></civicAddress>`);
    expectCode(withLocationXml(big), 'oversize', XML_PATH);
    expect(rejection(withLocationXml(pidfWith('<civicAddress><A3>Dover</A3></civicAddress>')), { maxXmlBytes: 50 }).code).toBe('oversize');
  });
});

describe('XML volume', () => {
  it('refuses a body with too many tags', () => {
    const wide = pidfWith(`${'<b/>'.repeat(1200)}<civicAddress><A3>Dover</A3></civicAddress>`);
    expect(wide.length).toBeLessThan(64 * 1024);
    expectCode(withLocationXml(wide), 'oversize', XML_PATH);
  });

  it('refuses many bodies that add up to too many tags', () => {
    const doc = sample();
    const template = doc.locationComponent[0];
    for (let i = 0; i < 120; i++) doc.locationComponent.push({ ...template, $id: `extra-${i}` });
    const err = rejection(doc);
    expect(err.code).toBe('oversize');
    expect(err.path).toMatch(/^locationComponent\[\d+\]\.locationByValue$/);
  });
});

describe('size and nesting of the document', () => {
  it('refuses a document over 1 MiB by default', () => {
    const doc = sample();
    doc.padding = 'x'.repeat(1024 * 1024);
    expectCode(JSON.stringify(doc), 'oversize');
    expectCode(doc, 'oversize');
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = JSON.stringify({ ...sample(), padding: 'é'.repeat(600 * 1024) }); // 1.2 MB, 0.6 M chars
    expect(text.length).toBeLessThan(1024 * 1024);
    expectCode(text, 'oversize');
  });

  it('treats nonsense limits as a programming error (RangeError), not a bad document', () => {
    expect(() => parseEido(SAMPLE_TEXT, { maxBytes: -1 })).toThrow(RangeError);
    expect(() => parseEido(SAMPLE_TEXT, { maxXmlBytes: Number.NaN })).toThrow(RangeError);
  });

  it('honours a smaller maxBytes', () => {
    expect(rejection(SAMPLE_TEXT, { maxBytes: 1000 }).code).toBe('oversize');
    expect(parseEido(SAMPLE_TEXT, { maxBytes: 10_000 }).incidentId).toContain('incidentid');
  });

  it('refuses deeply nested JSON text without exhausting the stack', () => {
    const deep = `{"eidoVersion":"1.0","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expectCode(deep, 'too_deep');
  });

  it('does not count brackets inside strings as nesting', () => {
    const doc = sample();
    doc.notesComponent = [
      { ...prologue('n1'), notesActionComments: `${'[{'.repeat(500)} "quoted \\" ]]] ${'}]'.repeat(500)}` },
    ];
    expect(parseEido(JSON.stringify(doc)).notes).toHaveLength(1);
  });

  it('refuses a cyclic object and a deep object', () => {
    const cyclic = sample();
    cyclic.self = cyclic;
    expectCode(cyclic, 'too_deep');
    const deep: Json = sample();
    let cur = deep;
    for (let i = 0; i < 1000; i++) cur = cur.next = {};
    expectCode(deep, 'too_deep');
  });

  it('refuses objects that cannot be read as plain data', () => {
    const doc = sample();
    Object.defineProperty(doc, 'trap', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(rejection(doc).code).toBe('invalid');
    const bad = sample();
    bad.n = BigInt(1);
    expect(rejection(bad).code).toBe('invalid');
  });
});
