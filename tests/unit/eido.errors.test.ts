/**
 * What refuses a document (fatal: nothing safe to show) and what is repaired (the incident
 * comes through with a warning), each checked on a variation of the NENA sample.
 */
import { describe, expect, it } from 'vitest';
import { EidoError, parseEido, type EidoErrorCode, type NormalizedEidoIncident } from '../../src/shared/eido';
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

/** Parses a document that must come through, and returns the incident with its warnings. */
function accepted(input: unknown): NormalizedEidoIncident {
  const incident = parseEido(input);
  expect(incident.warnings.length).toBeGreaterThan(0);
  for (const w of incident.warnings) {
    expect(w).toMatchObject({ fatal: false, path: expect.any(String), code: expect.any(String), message: expect.any(String), repair: expect.any(String) });
  }
  return incident;
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
  it.each([['2.0'], ['0.9'], ['EIDO-2'], [2], [['1.0']]])('eidoVersion %j is fatal (wrong_version)', (v) => {
    const doc = sample();
    doc.eidoVersion = v;
    const err = expectCode(doc, 'wrong_version', 'eidoVersion');
    expect(err.problems).toHaveLength(1);
  });

  it.each([['1'], ['1.0 '], [1], ['1.0.0']])('eidoVersion %j plainly means 1.0: read, with a warning', (v) => {
    const doc = sample();
    doc.eidoVersion = v;
    const incident = accepted(doc);
    expect(incident.warnings).toEqual([expect.objectContaining({ path: 'eidoVersion', code: 'wrong_version', repair: 'read as EIDO 1.0' })]);
    expect(incident.incidentId).toBe(parseEido(SAMPLE_TEXT).incidentId);
  });

  it.each([['missing', undefined], ['null', null]])('a %s eidoVersion is read as 1.0, with a warning', (_name, v) => {
    const doc = sample();
    if (v === undefined) delete doc.eidoVersion;
    else doc.eidoVersion = v;
    expect(accepted(doc).warnings).toEqual([expect.objectContaining({ path: 'eidoVersion', code: 'missing_part' })]);
  });

  it('is checked before the rest of the structure, and a wrong one stops there', () => {
    const doc = sample();
    doc.eidoVersion = '2.0';
    delete doc.agencyComponent;
    delete doc.$id;
    const err = expectCode(doc, 'wrong_version', 'eidoVersion');
    expect(err.problems.map((p) => p.path)).toEqual(['eidoVersion']);
  });
});

describe('fatal: nothing identifies, orders or makes up an incident', () => {
  const cases: Array<[string, (d: Json) => void, EidoErrorCode, string | undefined]> = [
    ['no document $id', (d) => delete d.$id, 'missing_part', '$id'],
    ['an empty document $id', (d) => (d.$id = '  '), 'missing_part', '$id'],
    ['a document $id that is not text', (d) => (d.$id = { id: 1 }), 'invalid', '$id'],
    ['no document lastUpdateTimeStamp', (d) => delete d.lastUpdateTimeStamp, 'missing_part', 'lastUpdateTimeStamp'],
    ['an impossible date', (d) => (d.lastUpdateTimeStamp = '2021-02-30T14:40:00Z'), 'invalid', 'lastUpdateTimeStamp'],
    ['a timestamp without a zone', (d) => (d.lastUpdateTimeStamp = '2021-04-30T14:40:00'), 'invalid', 'lastUpdateTimeStamp'],
    [
      'no incident, call, location, person or note',
      (d) => {
        delete d.callComponent;
        delete d.locationComponent;
        delete d.personComponent;
      },
      'missing_part',
      undefined,
    ],
  ];
  it.each(cases)('%s', (_name, mutate, code, path) => {
    const doc = sample();
    mutate(doc);
    const err = expectCode(doc, code, path);
    expect(err.problems[0]).toMatchObject({ fatal: true, code });
  });

  it('a document whose only components are all unusable has nothing to show', () => {
    const doc = sample();
    delete doc.callComponent;
    delete doc.personComponent;
    for (const l of doc.locationComponent) {
      delete l.locationByValue;
      delete l.locationByReferenceUrl;
    }
    const err = expectCode(doc, 'missing_part');
    // The refusal says why each component was left out, too.
    expect(err.problems.filter((p) => !p.fatal).map((p) => p.path)).toEqual(expect.arrayContaining(['locationComponent[0]', 'locationComponent[1]']));
  });
});

describe('every problem at once', () => {
  it('a refusal lists every problem, fatal ones first, each with its path, and says how many', () => {
    const doc = sample();
    delete doc.$id;
    doc.callComponent[0].direction = 'sideways';
    doc.callComponent[0].personReference = [{ $ref: 'nobody' }];
    doc.lastUpdateTimestamp = doc.lastUpdateTimeStamp;
    delete doc.lastUpdateTimeStamp;
    doc.agentComponent[0].agentRoleRegistryText = 'Call Taking';
    const err = rejection(doc);
    expect(err.code).toBe('missing_part');
    expect(err.path).toBe('$id');
    expect(err.problems.map((p) => [p.fatal, p.code, p.path])).toEqual([
      [true, 'missing_part', '$id'],
      [false, 'misnamed_key', 'lastUpdateTimestamp'],
      [false, 'invalid', 'callComponent[0].direction'],
      [false, 'not_a_list', 'agentComponent[0].agentRoleRegistryText'],
      [false, 'broken_ref', 'callComponent[0].personReference[0].$ref'],
    ]);
    expect(err.message).toBe('$id: required by EIDO 1.0 but missing (it identifies the incident) (and 4 more problems)');
    expect(err.problems[2]).toMatchObject({ expected: 'incoming, outgoing, internal', found: '"sideways"', repair: 'left out' });
  });

  it('never echoes free text: a name in a timestamp field is described, not quoted', () => {
    const doc = sample();
    doc.callComponent[0].callStartTimestamp = 'Jane Secret called';
    const incident = accepted(doc);
    const w = incident.warnings.find((x) => x.path === 'callComponent[0].callStartTimestamp');
    expect(w).toMatchObject({ code: 'invalid', found: 'text of 18 characters' });
    expect(JSON.stringify(incident.warnings)).not.toContain('Jane');
  });
});

describe('repairable: the incident comes through, with a warning', () => {
  type Case = [string, (d: Json) => void, { path: string; code: EidoErrorCode; repair?: RegExp }, (n: NormalizedEidoIncident) => void];
  const cases: Case[] = [
    ['no issuingElementIdentification', (d) => delete d.issuingElementIdentification, { path: 'issuingElementIdentification', code: 'missing_part' }, (n) => expect(n.issuer).toBeUndefined()],
    ['no agencyComponent', (d) => delete d.agencyComponent, { path: 'agencyComponent', code: 'missing_part' }, (n) => expect(n.agencies).toEqual([])],
    ['an empty agencyComponent', (d) => (d.agencyComponent = []), { path: 'agencyComponent', code: 'missing_part' }, (n) => expect(n.updatedBy.agencyId).toBe('state.pa.us')],
    [
      'no document updatedByAgencyReference: the agency sent stands in',
      (d) => delete d.updatedByAgencyReference,
      { path: 'updatedByAgencyReference', code: 'missing_part', repair: /first agency \("state\.pa\.us"\)/ },
      (n) => expect(n.updatedBy.agencyId).toBe('state.pa.us'),
    ],
    ['no callStateRegistryText', (d) => delete d.callComponent[0].callStateRegistryText, { path: 'callComponent[0].callStateRegistryText', code: 'missing_part' }, (n) => expect(n.status.callState).toBeUndefined()],
    ['no call start', (d) => delete d.callComponent[0].callStartTimestamp, { path: 'callComponent[0].callStartTimestamp', code: 'missing_part' }, (n) => expect(n.callStart).toBeUndefined()],
    ['a call without updatedByAgencyReference', (d) => delete d.callComponent[0].updatedByAgencyReference, { path: 'callComponent[0].updatedByAgencyReference', code: 'missing_part' }, (n) => expect(n.calls).toHaveLength(1)],
    ['a reference without $ref', (d) => (d.callComponent[0].updatedByAgencyReference = {}), { path: 'callComponent[0].updatedByAgencyReference.$ref', code: 'missing_part' }, (n) => expect(n.calls).toHaveLength(1)],
    ['no person roles', (d) => delete d.personComponent[0].personIncidentRoleRegistryText, { path: 'personComponent[0].personIncidentRoleRegistryText', code: 'missing_part' }, (n) => expect(n.persons[0]?.roles).toEqual([])],
    ['no location type', (d) => delete d.locationComponent[1].locationTypeDescriptionRegistryText, { path: 'locationComponent[1].locationTypeDescriptionRegistryText', code: 'missing_part' }, (n) => expect(n.locations[1]?.locationType).toBeUndefined()],
    ['an agent without its agency', (d) => delete d.agentComponent[0].agencyReference, { path: 'agentComponent[0].agencyReference', code: 'missing_part' }, (n) => expect(n.agents[0]?.agencyId).toBeUndefined()],
    [
      'a location with neither value nor reference is left out',
      (d) => delete d.locationComponent[1].locationByReferenceUrl,
      { path: 'locationComponent[1]', code: 'missing_part', repair: /left out/ },
      (n) => expect(n.locations.map((l) => l.id)).toEqual(['123e4567-dead-12d3-a456-426614174000']),
    ],
    ['an incident component without a type', (d) => (d.incidentComponent = { ...prologue('inc') }), { path: 'incidentComponent.incidentTypeCommonRegistryText', code: 'missing_part' }, (n) => expect(n.type).toEqual({})],
    [
      'a note without text is left out',
      (d) => (d.notesComponent = [{ ...prologue('n1') }, { ...prologue('n2'), notesActionComments: 'kept' }]),
      { path: 'notesComponent[0]', code: 'missing_part', repair: /left out/ },
      (n) => expect(n.notes.map((x) => x.text)).toEqual(['kept']),
    ],
    [
      'a caution without severity',
      (d) => (d.cautionComponent = [{ ...prologue('c1'), cautionTypeInternalText: 'Dog', cautionTypeCommonRegistryText: 'Animal' }]),
      { path: 'cautionComponent[0].cautionSeverity', code: 'missing_part' },
      (n) => expect(n.cautions).toEqual([{ id: 'c1', text: 'Dog', registryText: 'Animal' }]),
    ],
    ['a call direction off the list', (d) => (d.callComponent[0].direction = 'sideways'), { path: 'callComponent[0].direction', code: 'invalid', repair: /left out/ }, (n) => expect(n.calls[0]?.direction).toBeUndefined()],
    ['a call direction in another case', (d) => (d.callComponent[0].direction = 'Incoming'), { path: 'callComponent[0].direction', code: 'invalid', repair: /read as "incoming"/ }, (n) => expect(n.calls[0]?.direction).toBe('incoming')],
    ['a call start without a zone', (d) => (d.callComponent[0].callStartTimestamp = '2021-04-30T14:40:00'), { path: 'callComponent[0].callStartTimestamp', code: 'invalid' }, (n) => expect(n.calls[0]?.start).toBeUndefined()],
    ['a component list that is one object', (d) => (d.callComponent = d.callComponent[0]), { path: 'callComponent', code: 'not_a_list' }, (n) => expect(n.calls).toHaveLength(1)],
    ['one role where a list belongs', (d) => (d.personComponent[0].personIncidentRoleRegistryText = 'Caller'), { path: 'personComponent[0].personIncidentRoleRegistryText', code: 'not_a_list' }, (n) => expect(n.persons[0]?.roles).toEqual(['Caller'])],
    ['one reference where a list belongs', (d) => (d.callComponent[0].personReference = d.callComponent[0].personReference[0]), { path: 'callComponent[0].personReference', code: 'not_a_list' }, (n) => expect(n.persons).toHaveLength(1)],
    ['a priority number sent as text', (d) => (d.incidentComponent = { ...prologue('inc'), incidentTypeCommonRegistryText: 'Medical', incidentCommonPriorityNumber: '2' }), { path: 'incidentComponent.incidentCommonPriorityNumber', code: 'invalid', repair: /read as 2/ }, (n) => expect(n.priority.number).toBe(2)],
    ['a callback URI that is a number', (d) => (d.callbackComponent[0].callBackInformationUri = [5, 'tel:8195551212']), { path: 'callbackComponent[0].callBackInformationUri[0]', code: 'invalid' }, (n) => expect(n.callback.number).toBe('8195551212')],
    ['a caution severity off the scale', (d) => (d.cautionComponent = [{ ...prologue('c1'), cautionTypeInternalText: 'x', cautionTypeCommonRegistryText: 'y', cautionSeverity: 'urgent' }]), { path: 'cautionComponent[0].cautionSeverity', code: 'invalid' }, (n) => expect(n.cautions[0]?.severity).toBeUndefined()],
    [
      'a javascript: location URL is never kept',
      (d) => (d.locationComponent[1].locationByReferenceUrl = 'javascript:alert(1)'),
      { path: 'locationComponent[1].locationByReferenceUrl', code: 'invalid' },
      (n) => expect(JSON.stringify(n.locations)).not.toContain('javascript'),
    ],
    [
      'two components of different kinds sharing an $id: references resolve by kind',
      (d) => (d.personComponent[0].$id = d.locationComponent[0].$id),
      { path: 'personComponent[0]', code: 'duplicate_id' },
      (n) => expect([n.persons.length, n.locations.length]).toEqual([1, 2]),
    ],
    [
      'the document and its incident component sharing the incident id',
      (d) => (d.incidentComponent = { ...prologue(d.$id), incidentTypeCommonRegistryText: 'Behavioral Health' }),
      { path: 'incidentComponent', code: 'duplicate_id', repair: /one incident/ },
      (n) => expect(n.type.registryText).toBe('Behavioral Health'),
    ],
    [
      'a component repeated exactly: the repeat is left out',
      (d) => d.agencyComponent.push(structuredClone(d.agencyComponent[0])),
      { path: 'agencyComponent[1]', code: 'duplicate_id', repair: /repeat was left out/ },
      (n) => expect(n.agencies).toHaveLength(1),
    ],
    ['a $ref that is not text', (d) => (d.callComponent[0].personReference = [{ $ref: 7 }]), { path: 'callComponent[0].personReference[0].$ref', code: 'invalid' }, (n) => expect(n.persons).toHaveLength(1)],
    ['a $ref to nowhere', (d) => (d.callComponent[0].personReference[0].$ref = 'no-such-person'), { path: 'callComponent[0].personReference[0].$ref', code: 'broken_ref', repair: /dropped/ }, (n) => expect(n.persons).toHaveLength(1)],
    ['a callback reference to nowhere', (d) => (d.personComponent[0].callBackReference.$ref = 'gone'), { path: 'personComponent[0].callBackReference.$ref', code: 'broken_ref' }, (n) => expect(n.persons[0]?.phones).toEqual([])],
    [
      'a reference that lands on the wrong kind of component',
      (d) => (d.callComponent[0].locationReference[0].$ref = '123e4567-abcd-12d3-a456-426614174000'),
      { path: 'callComponent[0].locationReference[0].$ref', code: 'broken_ref' },
      (n) => expect(n.warnings[0]?.message).toContain('locationComponent'),
    ],
    ['an agency reference that names an agent', (d) => (d.callComponent[0].updatedByAgencyReference.$ref = 'tjones.atroop@state.pa.us'), { path: 'callComponent[0].updatedByAgencyReference.$ref', code: 'broken_ref' }, (n) => expect(n.externalRefs).toEqual([])],
  ];
  it.each(cases)('%s', (_name, mutate, expected, check) => {
    const doc = sample();
    mutate(doc);
    const incident = accepted(doc);
    expect(incident.warnings).toContainEqual(expect.objectContaining({ path: expected.path, code: expected.code, ...(expected.repair ? { repair: expect.stringMatching(expected.repair) } : {}) }));
    check(incident);
  });

  it('agency and agent ids may be external, without a warning', () => {
    const doc = sample();
    doc.agentComponent[0].agencyReference.$ref = 'psap.other-county.example';
    const incident = parseEido(doc);
    expect(incident.externalRefs).toEqual(['psap.other-county.example']);
    expect(incident.warnings).toEqual([]);
  });

  it('strict mode refuses what would be repaired, naming the same problems', () => {
    const doc = sample();
    delete doc.callComponent[0].callStateRegistryText;
    doc.personComponent[0].personIncidentRoleRegistryText = 'Caller';
    const tolerant = parseEido(doc);
    let refused: EidoError | undefined;
    try {
      parseEido(doc, { strict: true });
    } catch (e) {
      refused = e as EidoError;
    }
    expect(refused).toBeInstanceOf(EidoError);
    expect(refused?.code).toBe('missing_part');
    expect(refused?.message).toMatch(/refused in strict mode; and 1 more problem\)$/);
    expect(refused?.problems.map((p) => p.path)).toEqual(tolerant.warnings.map((w) => w.path));
    expect(parseEido(SAMPLE_TEXT, { strict: true }).warnings).toEqual([]);
  });
});

describe('PIDF-LO: hostile XML is fatal, broken XML loses one location', () => {
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
    expect(result.location).toMatchObject({ kind: 'civic', civic: { fields: { A3: '&xxe;' } } });
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
  ])('%s loses that location, with a bad_xml warning; the rest comes through', (_name, xml) => {
    const incident = accepted(withLocationXml(xml));
    expect(incident.warnings).toEqual([expect.objectContaining({ path: XML_PATH, code: 'bad_xml', repair: 'this location was left out' })]);
    expect(incident.locations.map((l) => l.kind)).toEqual(['reference']);
  });

  it('keeps the address when only the geometry beside it is broken', () => {
    const xml = pidfWith('<civicAddress><A3>Dover</A3></civicAddress><Point xmlns="http://www.opengis.net/gml"><pos>123 45</pos></Point>');
    const incident = accepted(withLocationXml(xml));
    expect(incident.locations[0]).toMatchObject({ kind: 'civic', civic: { display: 'Dover' } });
    expect(incident.locations[0]?.point).toBeUndefined();
    expect(incident.warnings[0]).toMatchObject({ path: XML_PATH, code: 'bad_xml', repair: /address is kept/ });
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
