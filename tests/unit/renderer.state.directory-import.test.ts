import { afterEach, describe, expect, it } from 'vitest';
import { RpcError, type DirectoryImportProgress } from '../../src/shared/contract';
import { createCaseloadStore, type CaseloadStore } from '../../src/renderer/caseload/store';
import { progressFraction, progressText } from '../../src/renderer/caseload/state/directory-import';
import { fakeCore, flush, pending, type Handlers } from './renderer.fake-core';

/** The console's directory import: progress while it runs, then the report or why it failed. */

let store: CaseloadStore | null = null;
function caseload(handlers: Handlers) {
  const core = fakeCore(handlers, null);
  store = createCaseloadStore({ client: core.client });
  return { core, store };
}
afterEach(() => {
  store?.dispose();
  store = null;
});

const progress = (stage: DirectoryImportProgress['stage'], step: string, done = 0, total = 1): DirectoryImportProgress => ({ dir: '/pkg', stage, step, done, total });
const report = { dir: '/pkg', services: 3, added: 3, updated: 0, unchanged: 0, rejected: [], rejectedCount: 0, warnings: [], warningCount: 0, notInPackage: 0, hoursUnknown: 1 };

describe('the directory import', () => {
  it('shows the progress the core tells, then the report; the folder typed is what is imported', async () => {
    const reply = pending();
    const { store, core } = caseload({ 'directory.import': () => reply.promise });
    store.getState().setImportDir('  /pkg ');
    const done = store.getState().importDirectory();
    expect(store.getState()).toMatchObject({ importing: true, importProgress: null, importReport: null });
    expect(core.calls.at(-1)).toEqual({ name: 'directory.import', input: { dir: '/pkg' } });
    // A second click while it runs does not start another.
    expect(await store.getState().importDirectory()).toBeNull();
    expect(core.calls.filter((c) => c.name === 'directory.import')).toHaveLength(1);
    core.emit('directory.import.progress', progress('parsing', 'read phones.csv', 4, 12));
    expect(progressText(store.getState().importProgress)).toBe('Reading the tables: read phones.csv (4 of 12)');
    expect(progressFraction(store.getState().importProgress)).toBeCloseTo(0.1 + 0.6 * (4 / 12));
    reply.reply(report);
    expect(await done).toEqual(report);
    expect(store.getState()).toMatchObject({ importing: false, importProgress: null, importReport: report, importError: null });
    // Progress after the end is not shown as a running import.
    core.emit('directory.import.progress', progress('parsing', 'late'));
    expect(store.getState().importProgress).toBeNull();
  });

  it('says why an import failed, and the next one starts clean', async () => {
    let refuse = true;
    const { store } = caseload({
      'directory.import': () => {
        if (refuse) throw new RpcError('bad_request', 'This package cannot be imported: organizations.csv is missing');
        return report;
      },
    });
    store.getState().setImportDir('/pkg');
    expect(await store.getState().importDirectory()).toBeNull();
    expect(store.getState()).toMatchObject({ importing: false, importReport: null, importError: expect.stringMatching(/organizations\.csv is missing/) });
    refuse = false;
    await store.getState().importDirectory();
    expect(store.getState()).toMatchObject({ importError: null, importReport: report });
  });

  it('a sign-out forgets the import on screen, and its late reply is dropped', async () => {
    const reply = pending();
    const { store } = caseload({ 'directory.import': () => reply.promise });
    store.getState().setImportDir('/pkg');
    const done = store.getState().importDirectory();
    store.getState().reset();
    reply.reply(report);
    await done;
    await flush();
    expect(store.getState()).toMatchObject({ importing: false, importReport: null, importDir: '' });
  });

  it('an empty folder name imports nothing', async () => {
    const { store, core } = caseload({});
    store.getState().setImportDir('   ');
    expect(await store.getState().importDirectory()).toBeNull();
    expect(core.calls).toEqual([]);
  });
});
