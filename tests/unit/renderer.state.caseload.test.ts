import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcError } from '../../src/shared/contract';
import { createCaseloadStore, type CaseloadStore } from '../../src/renderer/caseload/store';
import { FLASH_MS } from '../../src/renderer/caseload/state/record';
import { SEARCH_DELAY_MS } from '../../src/renderer/caseload/state/queue';
import { fakeCore, flush, pending, type Handlers } from './renderer.fake-core';

/** The caseload's store: queue, case record and directory, against a scripted core. */

const row = (id: string, personName = 'Riley Thompson') => ({ id, personName });
const record = (id: string, reason = 'Call-back') => ({ case: { id, reason }, person: { name: 'Riley Thompson' }, referrals: [], tasks: [], timeline: [] });
const hit = (id: string) => ({ id, name: `Service ${id}` });

let store: CaseloadStore | null = null;
function caseload(handlers: Handlers) {
  const core = fakeCore(handlers, null);
  store = createCaseloadStore({ client: core.client });
  return { core, store };
}

afterEach(() => {
  store?.dispose();
  store = null;
  vi.useRealTimers();
});

describe('the queue', () => {
  it('loads once when first shown, and again only when the scope or status changes', async () => {
    const { store, core } = caseload({ 'case.queue': () => ({ rows: [row('c1'), row('c2')], total: 2 }) });
    store.getState().show({ kind: 'queue' });
    await flush();
    expect(store.getState()).toMatchObject({ loaded: true, total: 2, queueError: null });
    store.getState().show({ kind: 'queue' });
    // Risk and origin narrow what is already here.
    store.getState().setFilter({ risk: 'high', origin: 'walk_in' });
    expect(core.calls).toHaveLength(1);
    store.getState().setFilter({ scope: 'mine' });
    expect(store.getState().loaded).toBe(false);
    await flush();
    expect(core.calls.map((c) => c.input)).toEqual([
      { scope: 'all', status: 'active', limit: 20000 },
      { scope: 'mine', status: 'active', limit: 20000 },
    ]);
  });

  it('an older reply arriving after a newer one is dropped', async () => {
    const replies = [pending(), pending()];
    let n = 0;
    const { store } = caseload({ 'case.queue': () => replies[n++].promise });
    void store.getState().loadQueue();
    void store.getState().loadQueue();
    replies[1].reply({ rows: [row('new')], total: 1 });
    await flush();
    replies[0].reply({ rows: [row('old')], total: 1 });
    await flush();
    expect(store.getState().rows.map((r) => r.id)).toEqual(['new']);
  });

  it('a queue that cannot load says why', async () => {
    const { store } = caseload({
      'case.queue': () => {
        throw new RpcError('forbidden', 'Only clinicians see the caseload');
      },
    });
    await store.getState().loadQueue();
    expect(store.getState()).toMatchObject({ loaded: true, queueError: 'Only clinicians see the caseload' });
  });

  it('searching closed cases asks the core once typing pauses, with the text trimmed', async () => {
    vi.useFakeTimers();
    const { store, core } = caseload({ 'case.queue': () => ({ rows: [], total: 0 }) });
    store.getState().setFilter({ status: 'closed' });
    await vi.advanceTimersByTimeAsync(0);
    const before = core.calls.length;
    store.getState().setSearch('ril');
    store.getState().setSearch('riley ');
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS - 1);
    expect(core.calls).toHaveLength(before);
    await vi.advanceTimersByTimeAsync(1);
    expect(core.calls.slice(before).map((c) => c.input)).toEqual([{ scope: 'all', status: 'closed', limit: 500, search: 'riley' }]);
  });

  it('open cases are narrowed here as the clinician types: no request per key', async () => {
    vi.useFakeTimers();
    const { store, core } = caseload({ 'case.queue': () => ({ rows: [], total: 0 }) });
    store.getState().setSearch('riley');
    await vi.advanceTimersByTimeAsync(1000);
    expect(core.calls).toEqual([]);
    expect(store.getState().search).toBe('riley');
  });
});

describe('the case record', () => {
  it('opening a case loads it; opening another shows nothing of the first meanwhile', async () => {
    const second = pending();
    const { store } = caseload({ 'case.get': (i) => ((i as { id: string }).id === 'c1' ? record('c1') : second.promise) });
    store.getState().openCase('c1');
    await flush();
    expect(store.getState()).toMatchObject({ selectedId: 'c1', record: { case: { id: 'c1' } } });
    store.getState().openCase('c2');
    expect(store.getState().record).toBeNull();
    second.reply(record('c2'));
    await flush();
    expect(store.getState().record?.case.id).toBe('c2');
  });

  it('a case that cannot open says why', async () => {
    const { store } = caseload({
      'case.get': () => {
        throw new RpcError('not_found', 'No such case');
      },
    });
    store.getState().openCase('c9');
    await flush();
    expect(store.getState()).toMatchObject({ record: null, recordError: 'No such case' });
  });

  it('a saved action confirms itself for a few seconds and shows the record as it is now', async () => {
    vi.useFakeTimers();
    let reason = 'Call-back';
    const { store } = caseload({
      'case.get': () => record('c1', reason),
      'case.addNote': () => {
        reason = 'Call-back, noted';
        return { ok: true };
      },
    });
    store.getState().openCase('c1');
    await vi.advanceTimersByTimeAsync(0);
    const out = await store.getState().act('note', 'case.addNote', { caseId: 'c1', text: 'Spoke with her sister' }, 'Note added');
    expect(out).toEqual({ ok: true });
    expect(store.getState()).toMatchObject({ busy: null, actionError: null, flash: 'Note added', record: { case: { reason: 'Call-back, noted' } } });
    await vi.advanceTimersByTimeAsync(FLASH_MS);
    expect(store.getState().flash).toBeNull();
  });

  it('a refused save gives no result, so its form stays open as typed, with the reason under that form', async () => {
    const { store, core } = caseload({
      'case.get': () => record('c1'),
      'case.addNote': () => {
        throw new RpcError('bad_request', 'Invalid case.addNote: text: Write the note');
      },
    });
    store.getState().openCase('c1');
    await flush();
    const before = core.calls.length;
    const saving = store.getState().act('note', 'case.addNote', { caseId: 'c1', text: '' }, 'Note added');
    expect(store.getState().busy).toBe('note');
    expect(await saving).toBeNull();
    expect(store.getState()).toMatchObject({ busy: null, flash: null, actionError: { action: 'note', message: 'Invalid case.addNote: text: Write the note' } });
    expect(core.namesSince(before)).toEqual(['case.addNote']);
    store.getState().clearError();
    expect(store.getState().actionError).toBeNull();
  });

  it('a form that turns its own input down says so under that form only, sending nothing', () => {
    const { store, core } = caseload({});
    store.getState().refuse('close', 'Give a reason for closing.');
    expect(store.getState().actionError).toEqual({ action: 'close', message: 'Give a reason for closing.' });
    expect(core.calls).toEqual([]);
  });

  it('moving to another screen takes an old complaint away', async () => {
    const { store } = caseload({ 'case.queue': () => ({ rows: [], total: 0 }) });
    store.setState({ actionError: { action: 'close', message: 'Give a reason for closing.' } });
    store.getState().show({ kind: 'queue' });
    expect(store.getState().actionError).toBeNull();
  });
});

describe('the directory', () => {
  it('first shown, loads its choices and a first search, selecting the first service', async () => {
    const { store, core } = caseload({
      'directory.facets': () => ({ needs: ['housing'] }),
      'directory.search': () => ({ rows: [hit('s1'), hit('s2')], total: 2, size: 40 }),
    });
    store.getState().show({ kind: 'directory', caseId: 'c1' });
    await flush();
    expect(store.getState()).toMatchObject({ facets: { needs: ['housing'] }, dirLoaded: true, dirTotal: 2, dirSize: 40, dirSelectedId: 's1' });
    store.getState().show({ kind: 'directory', caseId: 'c1' });
    expect(core.calls).toHaveLength(2);
  });

  it('the selection stays on its service while a new search still finds it', async () => {
    let rows = [hit('s1'), hit('s2')];
    const { store } = caseload({ 'directory.search': () => ({ rows, total: rows.length, size: 40 }) });
    await store.getState().searchDirectory();
    store.getState().selectService('s2');
    rows = [hit('s2'), hit('s3')];
    await store.getState().searchDirectory();
    expect(store.getState().dirSelectedId).toBe('s2');
    rows = [hit('s4')];
    await store.getState().searchDirectory();
    expect(store.getState().dirSelectedId).toBe('s4');
  });

  it('sends only the filters filled in, and an age only when it is a whole number of years', async () => {
    const { store, core } = caseload({ 'directory.search': () => ({ rows: [], total: 0, size: 0 }) });
    store.getState().setDir({ text: ' food ', language: 'es', age: '12.5' });
    await store.getState().searchDirectory();
    store.getState().setDir({ age: '17', openNow: true });
    await store.getState().searchDirectory();
    expect(core.calls.map((c) => c.input)).toEqual([
      { text: 'food', language: 'es', limit: 100 },
      { text: 'food', language: 'es', age: 17, openNow: true, limit: 100 },
    ]);
  });

  it('a search that fails says why; choices that fail to load leave the filters typed by hand', async () => {
    const { store } = caseload({
      'directory.facets': () => {
        throw new RpcError('internal', 'disk full');
      },
      'directory.search': () => {
        throw new RpcError('internal', 'disk full');
      },
    });
    store.getState().show({ kind: 'directory', caseId: null });
    await flush();
    expect(store.getState()).toMatchObject({ facets: null, dirError: 'disk full', dirLoaded: true });
  });
});

describe('keeping current', () => {
  it('a burst of case changes reloads a loaded queue once, shortly after', async () => {
    vi.useFakeTimers();
    const { store, core } = caseload({ 'case.queue': () => ({ rows: [], total: 0 }) });
    store.getState().refresh(['case']);
    await vi.advanceTimersByTimeAsync(1000);
    // Nothing loaded yet: nothing to keep current.
    expect(core.calls).toEqual([]);
    await store.getState().loadQueue();
    store.getState().refresh(['case']);
    store.getState().refresh(['person']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(core.namesSince(0)).toEqual(['case.queue', 'case.queue']);
  });

  it('a directory import reloads the directory on screen, or marks it stale for next time', async () => {
    let size = 40;
    const { store } = caseload({ 'directory.facets': () => ({ needs: [] }), 'directory.search': () => ({ rows: [], total: 0, size }) });
    store.getState().show({ kind: 'directory', caseId: null });
    await flush();
    size = 55;
    store.getState().refresh(['resource_service']);
    await flush();
    expect(store.getState()).toMatchObject({ dirSize: 55, dirLoaded: true });
    store.getState().show({ kind: 'queue' });
    store.getState().refresh(['resource_service']);
    expect(store.getState()).toMatchObject({ dirLoaded: false, facets: null });
  });

  it('reset drops replies still on their way and goes back to an empty queue', async () => {
    const queue = pending();
    const { store } = caseload({ 'case.queue': () => queue.promise, 'case.get': () => record('c1') });
    store.getState().openCase('c1');
    await flush();
    void store.getState().loadQueue();
    store.getState().reset();
    queue.reply({ rows: [row('c1')], total: 1 });
    await flush();
    expect(store.getState()).toMatchObject({ screen: { kind: 'queue' }, rows: [], loaded: false, record: null, selectedId: null });
  });
});
