/**
 * Directory search finds what people type (src/shared/directory/synonyms.ts): spellings and
 * word endings, synonyms for common needs, languages by any of their names — each both ways,
 * on real service names and descriptions; and what must not match still does not. The index
 * gives the reference's answer for every one of these queries.
 */
import { describe, expect, it } from 'vitest';
import { ServiceSearchIndex, expandWord, parseHsdsPackage, rankServices, stemOf, type ServiceQuery } from '../../src/shared/directory';
import { hsdsFiles, type SyntheticService } from '../helpers/hsds-package';

const SERVICES: SyntheticService[] = [
  { id: 'uk-counsel', name: 'Community Counselling Service', description: 'Talking therapy for adults' },
  { id: 'us-counsel', name: 'Harbor Counseling Center', description: 'Outpatient counseling, sliding scale' },
  { id: 'counselor', name: 'School Counselors Network', description: 'A counselor in every middle school' },
  { id: 'behaviour', name: 'Behavioural Health Centre', description: 'Walk-in clinic for mental health' },
  { id: 'lifeline', name: '988 Suicide & Crisis Lifeline', description: 'Call or text 988, any time' },
  { id: 'hotline', name: 'Teen Hotline', description: 'Peer support line for young people' },
  { id: 'shelter', name: 'Night Shelter on Main', description: 'Beds for people experiencing homelessness' },
  { id: 'homeless', name: 'Homeless Outreach Team', description: 'Street outreach and case management' },
  { id: 'pantry', name: 'Eastside Food Pantry', description: 'Groceries every Tuesday' },
  { id: 'meals', name: 'Senior Meals on Wheels', description: 'Hot lunches delivered to older adults' },
  { id: 'spanish', name: 'Clinica Latina', description: 'Primary care', languages: [{ name: 'Spanish', code: 'es' }] },
  { id: 'espanol', name: 'Centro Comunitario', description: 'Servicios en español', languages: [{ name: 'Español', code: 'es' }] },
  { id: 'creole', name: 'Sant Kominote', description: 'Kreyòl services', languages: [{ name: 'Haitian Creole', code: 'ht' }] },
  { id: 'legal', name: 'Legal Aid Society', description: 'Free attorneys for tenants' },
  { id: 'bike', name: 'Bike Repair Co-op', description: 'Fix your own bicycle' },
];
const services = parseHsdsPackage(hsdsFiles(SERVICES.map((s) => ({ phone: '555-0100', ...s })))).services;
const index = new ServiceSearchIndex(services);

function found(q: ServiceQuery): string[] {
  const ref = rankServices(services, q).map((r) => r.service.id);
  // The index must agree with the reference, in order.
  expect(index.search(q, 100).results.map((r) => r.service.id)).toEqual(ref);
  return ref;
}

describe('directory search: spellings and endings', () => {
  it('"counseling" finds "Counselling" and "counselling" finds "Counseling", and counselors', () => {
    for (const text of ['counseling', 'counselling', 'Counselling', 'COUNSELING']) {
      const ids = found({ text });
      expect(ids).toEqual(expect.arrayContaining(['uk-counsel', 'us-counsel', 'counselor']));
      expect(ids).not.toContain('bike');
    }
    expect(found({ text: 'counselor' })).toEqual(expect.arrayContaining(['counselor', 'uk-counsel', 'us-counsel']));
  });

  it('behavior / behaviour and center / centre, both ways', () => {
    expect(found({ text: 'behavioral health' })).toContain('behaviour');
    expect(found({ text: 'behavioural health' })).toContain('behaviour');
    expect(found({ text: 'center' })).toEqual(expect.arrayContaining(['behaviour', 'us-counsel']));
    expect(found({ text: 'centre' })).toEqual(expect.arrayContaining(['behaviour', 'us-counsel']));
    // "center" is not a stem of anything shorter: no "central", no "cents".
    expect(stemOf('center')).toBeNull();
  });

  it('plurals and -ing forms find the stem', () => {
    expect(found({ text: 'shelters' })).toContain('shelter');
    expect(found({ text: 'pantries' })).toContain('pantry');
    expect(stemOf('counselling')).toBe('counsel');
    expect(stemOf('services')).toBe('servic');
    expect(stemOf('dresses')).toBe('dress');
    expect(stemOf('using')).toBeNull();
  });
});

describe('directory search: synonyms for common needs', () => {
  it('"crisis" finds the suicide lifeline and a hotline; "suicidal" finds the crisis line', () => {
    expect(found({ text: 'crisis' })).toEqual(expect.arrayContaining(['lifeline', 'hotline']));
    expect(found({ text: 'suicidal' })).toContain('lifeline');
    expect(found({ text: 'crisis' })).not.toContain('pantry');
  });

  it('"shelter" finds homeless outreach; "homeless" finds the shelter', () => {
    expect(found({ text: 'shelter' })).toEqual(expect.arrayContaining(['shelter', 'homeless']));
    expect(found({ text: 'homeless' })).toEqual(expect.arrayContaining(['shelter', 'homeless']));
    expect(found({ text: 'shelter' })).not.toContain('legal');
  });

  it('"food" finds the pantry and meals; "hunger" finds them too', () => {
    expect(found({ text: 'food' })).toEqual(expect.arrayContaining(['pantry', 'meals']));
    expect(found({ text: 'hunger' })).toEqual(expect.arrayContaining(['pantry', 'meals']));
    expect(found({ text: 'food' })).not.toContain('shelter');
  });

  it('"therapy" finds counselling and "lawyer" finds legal aid', () => {
    expect(found({ text: 'therapy' })).toEqual(expect.arrayContaining(['uk-counsel', 'us-counsel']));
    expect(found({ text: 'lawyer' })).toEqual(['legal']);
  });

  it('the word typed ranks above its synonyms', () => {
    const ids = found({ text: 'shelter' });
    expect(ids.indexOf('shelter')).toBeLessThan(ids.indexOf('homeless'));
    expect(expandWord('shelter')[0]).toEqual({ prefix: 'shelter', same: true });
  });

  it('every word still has to match: "food shelter" finds neither a pantry alone nor a shelter alone', () => {
    expect(found({ text: 'food shelter' })).toEqual([]);
    expect(found({ text: 'zzz counseling' })).toEqual([]);
  });
});

describe('directory search: languages by any name', () => {
  it('the language filter takes "Spanish", "español", "espanol", "castellano" or "es", and finds both listings', () => {
    for (const language of ['Spanish', 'español', 'espanol', 'castellano', 'es', 'ES']) {
      expect(found({ language }).sort()).toEqual(['espanol', 'spanish']);
    }
  });

  it('"Haitian Creole", "kreyòl" and "ht" find the same service; Spanish does not', () => {
    for (const language of ['Haitian Creole', 'kreyòl', 'kreyol', 'ht']) expect(found({ language })).toEqual(['creole']);
    expect(found({ language: 'spanish' })).not.toContain('creole');
  });

  it('in free text, "spanish" finds a service that writes "español", and the reverse', () => {
    expect(found({ text: 'spanish' })).toContain('espanol');
    expect(found({ text: 'español' })).toContain('espanol');
  });
});
