import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { intakeRepairs } from '../../src/renderer/logic/intake-repairs';
import { SAMPLE_TEXT } from './eido.fixtures';

/** The dispatcher's review of a CAD incident: what Tandem repaired to read CAD's document. */
const NEAR_MISS = fs.readFileSync(path.resolve(__dirname, '../fixtures/eido/near-miss.eido.json'), 'utf8');
const incident = (eidoRaw: string | null, source: 'eido' | 'manual' = 'eido', id = 'i1') => ({ id, source, eidoRaw, eidoUpdatedAt: '2025-03-15T01:12:05Z' });

describe('intakeRepairs', () => {
  it('lists every repair of a near-miss document, with the key CAD should have sent', () => {
    const repairs = intakeRepairs(incident(NEAR_MISS));
    expect(repairs.length).toBeGreaterThan(1);
    expect(repairs).toContainEqual(expect.stringMatching(/^lastUpdateTimestamp: .*did you mean "lastUpdateTimeStamp".* → /));
    expect(repairs).toContainEqual(expect.stringMatching(/^EIDOVersion: .*did you mean "eidoVersion"/));
  });

  it('is empty for a clean document, an incident typed by a dispatcher, and a document that cannot be read', () => {
    expect(intakeRepairs(incident(SAMPLE_TEXT, 'eido', 'i2'))).toEqual([]);
    expect(intakeRepairs(incident(NEAR_MISS, 'manual', 'i3'))).toEqual([]);
    expect(intakeRepairs(incident(null, 'eido', 'i4'))).toEqual([]);
    expect(intakeRepairs(incident('{"not": "eido"', 'eido', 'i5'))).toEqual([]);
  });
});
