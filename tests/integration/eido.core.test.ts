import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import type { Incident } from '../../src/shared/entities';
import { randomKey, tempDir } from '../helpers/tmp';
import { mentalHealthIncident } from '../unit/eido.fixtures';

/** Eligibility in the workstation core: hand-entered incidents, edits, and a site's own rule file. */
let t: ReturnType<typeof tempDir>;
let core: Core | null = null;

async function start(extra: { eligibilityRulesFile?: string } = {}): Promise<Core> {
  t = tempDir('tandem-eido-core-');
  core = await createCore({ profileDir: path.join(t.dir, 'p'), key: randomKey(), demo: true, ...extra });
  await core.call('session.demoSignIn', { role: 'dispatcher' });
  return core;
}

afterEach(() => {
  core?.close();
  core = null;
  t?.cleanup();
});

describe('eligibility in the core', () => {
  it('screens a hand-entered incident when it is created, and again when its type or notes change', async () => {
    const c = await start();
    const i = (await c.call('incident.create', { type: 'Welfare check', location: '12 Elm St', notes: 'Sister says he sounds hopeless' })) as Incident;
    expect(i.eligibility).toMatchObject({ eligible: true, exclusions: [] });
    expect(i.eligibility!.reasons).toHaveLength(2);
    const edited = (await c.call('incident.update', { id: i.id, patch: { notes: 'Update: he has a knife' } })) as Incident;
    expect(edited.eligibility!.eligible).toBe(false);
    expect(edited.eligibility!.exclusions[0]).toMatch(/^Weapons involved: "knife" in notes/);
    const plain = (await c.call('incident.create', { type: 'Noise complaint', location: '1 Main St' })) as Incident;
    expect(plain.eligibility).toEqual({ eligible: false, reasons: [], exclusions: [] });
    // A change that touches neither type nor notes keeps the screening as it was.
    const moved = (await c.call('incident.update', { id: edited.id, patch: { location: '14 Elm St' } })) as Incident;
    expect(moved.eligibility).toEqual(edited.eligibility);
  });

  it('keeps CAD’s screening of an EIDO incident when a dispatcher edits it', async () => {
    const c = await start();
    const doc = mentalHealthIncident();
    const r = c.cad.ingest(JSON.stringify(doc), 'test');
    expect(r.ok).toBe(true);
    const id = (r as { incidentId: string }).incidentId;
    const before = c.store.read<Incident>('incident', id)!;
    const after = (await c.call('incident.update', { id, patch: { notes: 'Dispatcher note' } })) as Incident;
    expect(after.eligibility).toEqual(before.eligibility);
  });

  it('refuses a console edit of what CAD sent on an EIDO incident, with a sentence, and writes nothing', async () => {
    const c = await start();
    const r = c.cad.ingest(JSON.stringify(mentalHealthIncident()), 'test');
    const id = (r as { incidentId: string }).incidentId;
    const before = c.store.read<Incident>('incident', id)!;
    const err = await c.call('incident.update', { id, patch: { location: '1 Other St', type: 'Noise' } }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'bad_request' });
    expect((err as { message: string }).message).toBe(`Type, Location come from CAD on incident ${before.number}: change them in CAD`);
    expect(c.store.read<Incident>('incident', id)).toEqual(before);
    // Closing it stays open to the dispatcher.
    expect(((await c.call('incident.update', { id, patch: { status: 'closed' } })) as Incident).status).toBe('closed');
  });

  it('uses a site rule file, and refuses to start with a broken one', async () => {
    const dir = tempDir('tandem-rules-');
    try {
      const rules = path.join(dir.dir, 'rules.json');
      fs.writeFileSync(rules, JSON.stringify({ version: 1, include: [{ id: 'noise', reason: 'Noise is ours', phrases: ['noise'] }], exclude: [] }));
      const c = await start({ eligibilityRulesFile: rules });
      const i = (await c.call('incident.create', { type: 'Noise complaint', location: '1 Main St' })) as Incident;
      expect(i.eligibility).toEqual({ eligible: true, reasons: ['Noise is ours: "noise" in type'], exclusions: [] });
      fs.writeFileSync(rules, '{"version": 1, "include": []}');
      await expect(createCore({ profileDir: path.join(dir.dir, 'q'), key: randomKey(), eligibilityRulesFile: rules })).rejects.toThrow(
        /rules\.json: Invalid eligibility rules/,
      );
      await expect(createCore({ profileDir: path.join(dir.dir, 'r'), key: randomKey(), eligibilityRulesFile: path.join(dir.dir, 'nope.json') })).rejects.toThrow(
        /Cannot read the eligibility rule file/,
      );
    } finally {
      dir.cleanup();
    }
  });
});
